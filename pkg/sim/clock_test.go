package sim

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// clockRuntime is a runtime whose nodes live in wall-clock time and which
// picks the run's zero ahead of now, as the container runtime does for its
// shaping helpers.
type clockRuntime struct {
	lead time.Duration
	// lockstep makes its nodes lockstep ones; needs says the runtime
	// needs the wall clock regardless, for the fault of index fault.
	lockstep bool
	needs    bool
	fault    int
	err      error
	zero     time.Time
	first    time.Time // when a node was first advanced
}

func (r *clockRuntime) Node(n scenario.Node) (node.Node, error) {
	return &pacedContainer{id: n.ID, rt: r}, nil
}
func (r *clockRuntime) Close() error { return nil }
func (r *clockRuntime) NeedsWallClock() (int, bool) {
	return r.fault, r.needs
}
func (r *clockRuntime) StartClock(context.Context) (time.Time, error) {
	r.zero = time.Now().Add(r.lead)
	return r.zero, r.err
}

type pacedContainer struct {
	id string
	rt *clockRuntime
}

// Send makes it an external node, advanced every quantum.
func (c *pacedContainer) Send(context.Context, int64, []event.Event) error { return nil }
func (c *pacedContainer) ID() string                                       { return c.id }
func (c *pacedContainer) Start(context.Context, node.Env) error            { return nil }
func (c *pacedContainer) Advance(_ context.Context, _ int64, _ []event.Event, out []event.Event) ([]event.Event, error) {
	if c.rt.first.IsZero() {
		c.rt.first = time.Now()
	}
	return out, nil
}
func (c *pacedContainer) Next() int64       { return node.Never }
func (c *pacedContainer) Stats() node.Stats { return node.Stats{Model: "docker"} }
func (c *pacedContainer) Close() error      { return nil }
func (c *pacedContainer) WallClock() bool   { return !c.rt.lockstep }

// A paced run's clock starts where the runtime's StartClock says: no
// quantum runs before that zero, so what the runtime told it acts on time;
// a runtime that cannot start the clock fails the run.
func TestRunStartsTheClockWhereTheRuntimeSays(t *testing.T) {
	t.Parallel()
	rt := &clockRuntime{lead: 200 * time.Millisecond}
	res, err := Run(context.Background(), dockerScenario("a"), WithRuntime(rt))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if !res.Statistical || !res.Paced {
		t.Errorf("a run with a wall-clock node: statistical %v, paced %v, want both", res.Statistical, res.Paced)
	}
	// The first quantum ends 1 ms after the zero.
	if rt.first.Before(rt.zero) {
		t.Errorf("the first quantum ran %v before the clock's zero", rt.zero.Sub(rt.first))
	}

	boom := errors.New("boom")
	if _, err := Run(context.Background(), dockerScenario("a"), WithRuntime(&clockRuntime{err: boom})); !errors.Is(err, boom) {
		t.Errorf("Run() with a runtime that cannot start the clock = %v, want %v", err, boom)
	}
}

// Lockstep nodes whose runtime acts on the wall clock (link faults on
// real packets) pace the run from the runtime's zero, so that both clocks
// agree; the run stays reproducible, so it is not statistical.
func TestRunPacesWhenTheRuntimeNeedsTheWallClock(t *testing.T) {
	t.Parallel()
	type got struct {
		Paced, Statistical bool
		Warnings, Notes    []string
	}
	cases := []struct {
		name   string
		needs  bool
		fault  int
		faults []scenario.Fault
		want   got
	}{
		{"link faults on real packets", true, 1, []scenario.Fault{
			{Kind: scenario.FaultNodePause, AtUS: 1_000_000, Node: "a", DurationUS: 1000, Pos: scenario.Pos{File: "s.yaml", Line: 8, Col: 5}},
			{Kind: scenario.FaultLinkDown, AtUS: 2_500, Pos: scenario.Pos{File: "s.yaml", Line: 9, Col: 5}},
		}, got{Paced: true, Notes: []string{"s.yaml:9:5: virtual time was paced to the wall clock: link faults (the first: link_down at 0.0025s) act on the containers' real packets at their time"}}},
		{"link faults only after the run's end (3 ms)", true, 0, []scenario.Fault{
			{Kind: scenario.FaultLinkDown, AtUS: 3_000, Pos: scenario.Pos{File: "s.yaml", Line: 9, Col: 5}},
		}, got{}},
		{"a fault the scenario does not list", true, 7, nil,
			got{Paced: true, Notes: []string{":0:0: virtual time was paced to the wall clock: link faults act on the containers' real packets at their time"}}},
		{"nothing on the wall clock", false, 0, nil, got{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rt := &clockRuntime{lead: 200 * time.Millisecond, lockstep: true, needs: tc.needs, fault: tc.fault}
			sc := dockerScenario("a")
			sc.Faults = tc.faults
			res, err := Run(context.Background(), sc, WithRuntime(rt))
			if err != nil {
				t.Fatalf("Run() = %v", err)
			}
			// Paced: the clock was started and no quantum ran before its zero.
			g := got{Paced: res.Paced && !rt.zero.IsZero() && !rt.first.Before(rt.zero), Statistical: res.Statistical}
			for _, w := range res.Warnings {
				g.Warnings = append(g.Warnings, w.Message)
			}
			for _, n := range res.Notes {
				g.Notes = append(g.Notes, fmt.Sprintf("%s:%d:%d: %s", n.Pos.File, n.Pos.Line, n.Pos.Col, n.Message))
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("Run() (-want +got):\n%s", diff)
			}
		})
	}
}
