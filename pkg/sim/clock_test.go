package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// clockRuntime is a runtime whose nodes live in wall-clock time and which
// picks the run's zero ahead of now, as the container runtime does for its
// shaping helpers.
type clockRuntime struct {
	lead  time.Duration
	err   error
	zero  time.Time
	first time.Time // when a node was first advanced
}

func (r *clockRuntime) Node(n scenario.Node) (node.Node, error) {
	return &pacedContainer{id: n.ID, rt: r}, nil
}
func (r *clockRuntime) Close() error { return nil }
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
func (c *pacedContainer) WallClock() bool   { return true }

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
	if !res.Statistical {
		t.Error("a run with a wall-clock node is not marked statistical")
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
