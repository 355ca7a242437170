package sim

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// probe is a scripted node. As an External it is advanced every quantum,
// like an upstream protocol node; it records what it sees.
type probe struct {
	id    string
	emit  map[int64][]event.Event // by step target
	steps []int64
	got   []string
	stats node.Stats
}

func (p *probe) ID() string                            { return p.id }
func (p *probe) Start(context.Context, node.Env) error { return nil }
func (p *probe) Next() int64                           { return node.Never }
func (p *probe) Stats() node.Stats                     { return p.stats }
func (p *probe) Close() error                          { return nil }
func (p *probe) Send(_ context.Context, target int64, in []event.Event) error {
	p.steps = append(p.steps, target)
	for _, e := range in {
		p.got = append(p.got, fmt.Sprintf("step %d: %s from %s at %d", target, e.Type, e.Src, e.TimeUS))
	}
	return nil
}
func (p *probe) Advance(_ context.Context, target int64, _ []event.Event, out []event.Event) ([]event.Event, error) {
	return append(out, p.emit[target]...), nil
}

var _ node.External = (*probe)(nil)

func scenarioOf(durUS, quantum int64, net scenario.Network, ids ...string) *scenario.Scenario {
	sc := &scenario.Scenario{Name: "t", Simulation: scenario.Simulation{DurationUS: durUS, Seed: 42, TimeQuantumUS: quantum}, Network: net}
	for _, id := range ids {
		sc.Nodes = append(sc.Nodes, scenario.Node{ID: id, Type: "probe", Implementation: scenario.ImplPythonModel})
	}
	return sc
}

var direct = scenario.Network{Model: scenario.ModelDirect, DefaultLatencyUS: 10000}

func run(t *testing.T, sc *scenario.Scenario, probes ...*probe) *Result {
	t.Helper()
	var opts []Option
	for _, p := range probes {
		opts = append(opts, withNode(p.id, p))
	}
	res, err := Run(context.Background(), sc, opts...)
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	return res
}

func TestStepsAreCeilDurationOverQuantumWithTruncatedLastStep(t *testing.T) {
	t.Parallel()
	a := &probe{id: "a"}
	res := run(t, scenarioOf(2500, 1000, direct, "a"), a)
	if diff := cmp.Diff([]int64{1000, 2000, 2500}, a.steps); diff != "" {
		t.Errorf("ADVANCE targets (-want +got):\n%s", diff)
	}
	if res.Steps != 3 || res.StepsTotal != 3 || res.VirtualTimeUS != 2500 {
		t.Errorf("steps %d/%d, virtual %d; want 3/3, 2500", res.Steps, res.StepsTotal, res.VirtualTimeUS)
	}
}

func TestDirectDeliversInTheNextStepWithOriginalTime(t *testing.T) {
	t.Parallel()
	a := &probe{id: "a", emit: map[int64][]event.Event{2000: {{TimeUS: 1500, Type: "PING", Src: "a", Dst: "b"}}}}
	b := &probe{id: "b"}
	run(t, scenarioOf(5000, 1000, direct, "a", "b"), a, b)
	if diff := cmp.Diff([]string{"step 3000: PING from a at 1500"}, b.got); diff != "" {
		t.Errorf("b received (-want +got):\n%s", diff)
	}
}

func TestLatencyDeliversAtFirstTargetAtOrAfterArrivalThenHandsOff(t *testing.T) {
	t.Parallel()
	net := scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 10000,
		Links: []scenario.Link{{Src: "a", Dst: "b", LatencyUS: 5000}}}
	// Sent at 1000 in the step ending 1000: due at 6000, handed over at the
	// end of the step whose target is 6000, received in the step to 7000.
	a := &probe{id: "a", emit: map[int64][]event.Event{1000: {{TimeUS: 1000, Type: "PING", Src: "a", Dst: "b"}},
		// Due at 6001: handed over at target 7000, received at 8000.
		2000: {{TimeUS: 1001, Type: "PONG", Src: "a", Dst: "b"}}}}
	b := &probe{id: "b"}
	res := run(t, scenarioOf(10000, 1000, net, "a", "b"), a, b)
	want := []string{"step 7000: PING from a at 6000", "step 8000: PONG from a at 6001"}
	if diff := cmp.Diff(want, b.got); diff != "" {
		t.Errorf("b received (-want +got):\n%s", diff)
	}
	r := res.Routes[0]
	if r.Latency.Min != 5000 || r.Latency.Max != 5000 || r.Delivered != 2 {
		t.Errorf("route %v: delivered %d, latency %d..%d; want 2 at 5000", r, r.Delivered, r.Latency.Min, r.Latency.Max)
	}
}

func TestUnknownAndAbsentDestinationsAreCountedNotDelivered(t *testing.T) {
	t.Parallel()
	for _, model := range []string{scenario.ModelDirect, scenario.ModelLatency} {
		t.Run(model, func(t *testing.T) {
			t.Parallel()
			a := &probe{id: "a", emit: map[int64][]event.Event{1000: {
				{TimeUS: 1, Type: "X", Src: "a", Dst: "nobody"},
				{TimeUS: 1, Type: "Y", Src: "a"},
				{TimeUS: 1, Type: "Z", Src: "a", Dst: "b"},
			}}}
			b := &probe{id: "b"}
			res := run(t, scenarioOf(100000, 1000, scenario.Network{Model: model, DefaultLatencyUS: 10}, "a", "b"), a, b)
			n := res.Network
			if n.Sent != 3 || n.Delivered != 1 || n.Unroutable != 2 || n.Sent != n.Delivered+n.Lost+n.Unroutable+res.InFlight {
				t.Errorf("network %+v, in flight %d; want 3 sent, 1 delivered, 2 unroutable", n, res.InFlight)
			}
			if len(b.got) != 1 {
				t.Errorf("b received %v, want only Z", b.got)
			}
		})
	}
}

func TestEventsAreCollectedInNodeOrderThenEmissionOrder(t *testing.T) {
	t.Parallel()
	// c lists b before a, although a emits earlier times: upstream routes
	// in node order, not time order.
	a := &probe{id: "a", emit: map[int64][]event.Event{1000: {{TimeUS: 900, Type: "A2", Src: "a", Dst: "c"}}}}
	b := &probe{id: "b", emit: map[int64][]event.Event{1000: {{TimeUS: 100, Type: "B1", Src: "b", Dst: "c"}, {TimeUS: 50, Type: "B2", Src: "b", Dst: "c"}}}}
	c := &probe{id: "c"}
	run(t, scenarioOf(3000, 1000, direct, "a", "b", "c"), a, b, c)
	want := []string{"step 2000: A2 from a at 900", "step 2000: B1 from b at 100", "step 2000: B2 from b at 50"}
	if diff := cmp.Diff(want, c.got); diff != "" {
		t.Errorf("c received (-want +got):\n%s", diff)
	}
}
