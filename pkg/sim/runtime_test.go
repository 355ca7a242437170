package sim

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// fakeRuntime makes docker nodes that log their life, and logs its own
// Close: the run must close it once, after every node it started.
type fakeRuntime struct {
	log      *[]string
	startErr map[string]error
	closeErr error
}

func (r *fakeRuntime) Node(n scenario.Node) (node.Node, error) {
	return &fakeContainer{id: n.ID, log: r.log, startErr: r.startErr[n.ID]}, nil
}

func (r *fakeRuntime) Close() error {
	*r.log = append(*r.log, "runtime closed")
	return r.closeErr
}

type fakeContainer struct {
	id       string
	log      *[]string
	startErr error
}

func (c *fakeContainer) ID() string { return c.id }
func (c *fakeContainer) Start(context.Context, node.Env) error {
	*c.log = append(*c.log, c.id+" started")
	return c.startErr
}
func (c *fakeContainer) Advance(_ context.Context, _ int64, _ []event.Event, out []event.Event) ([]event.Event, error) {
	return out, nil
}
func (c *fakeContainer) Next() int64       { return node.Never }
func (c *fakeContainer) Stats() node.Stats { return node.Stats{Model: "docker"} }
func (c *fakeContainer) Close() error {
	*c.log = append(*c.log, c.id+" closed")
	return nil
}

func dockerScenario(ids ...string) *scenario.Scenario {
	sc := scenarioOf(3000, 1000, direct)
	for i, id := range ids {
		sc.Nodes = append(sc.Nodes, scenario.Node{ID: id, Type: "service", Implementation: scenario.ImplDocker,
			Pos: scenario.Pos{File: "s.yaml", Line: 3 + i, Col: 5}, Docker: map[string]any{"image": "i"}})
	}
	return sc
}

// The run closes the runtime after the nodes it started, on every path.
func TestRunClosesTheRuntimeAfterItsNodes(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name     string
		ctx      context.Context
		startErr map[string]error
		closeErr error
		wantErr  error
		want     []string
	}{
		{"success", context.Background(), nil, nil, nil,
			[]string{"a started", "b started", "a closed", "b closed", "runtime closed"}},
		{"a node fails to start", context.Background(), map[string]error{"b": boom}, nil, boom,
			[]string{"a started", "b started", "a closed", "b closed", "runtime closed"}},
		{"cancelled", cancelled, nil, nil, context.Canceled,
			[]string{"a started", "b started", "a closed", "b closed", "runtime closed"}},
		{"cleaning up fails the run", context.Background(), nil, boom, boom,
			[]string{"a started", "b started", "a closed", "b closed", "runtime closed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var log []string
			rt := &fakeRuntime{log: &log, startErr: tc.startErr, closeErr: tc.closeErr}
			res, err := Run(tc.ctx, dockerScenario("a", "b"), WithRuntime(rt))
			if !errors.Is(err, tc.wantErr) || (err == nil) != (res != nil) {
				t.Errorf("Run() = %v, %v; want %v", res != nil, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, log); diff != "" {
				t.Errorf("order of events (-want +got):\n%s", diff)
			}
		})
	}
}

// A run that ends before any node started still closes the runtime.
func TestRunClosesTheRuntimeWhenNothingStarted(t *testing.T) {
	t.Parallel()
	var log []string
	sc := dockerScenario("a")
	sc.Nodes = append(sc.Nodes, scenario.Node{ID: "bad", Type: "sensor", Config: map[string]any{"model": "nope"}})
	if _, err := Run(context.Background(), sc, WithRuntime(&fakeRuntime{log: &log})); err == nil {
		t.Fatal("Run() = nil error, want the unknown model")
	}
	if diff := cmp.Diff([]string{"runtime closed"}, log); diff != "" {
		t.Errorf("order of events (-want +got):\n%s", diff)
	}
}

// A docker node without a runtime fails the run with one clear error at
// the node's line, as a runtime error.
func TestDockerNodeWithoutRuntime(t *testing.T) {
	t.Parallel()
	_, err := Run(context.Background(), dockerScenario("a", "b"))
	if !errors.Is(err, node.ErrNoRuntime) {
		t.Fatalf("Run() = %v, want node.ErrNoRuntime", err)
	}
	for _, want := range []string{`s.yaml:3:5: node "a"`, "sim.WithRuntime"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Run() = %q, want it to contain %q", err, want)
		}
	}
	if n := strings.Count(err.Error(), "container runtime"); n != 1 {
		t.Errorf("Run() = %q: says %d times that there is no runtime, want once", err, n)
	}
}
