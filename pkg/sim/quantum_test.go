package sim

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// TestQuantumLongerThanTheRun: a quantum as long as the run or longer is
// one step to the run's end, whatever its size. At the int64 limit the
// quantum arithmetic wrapped: 0 steps counted, and the sensor never ran.
func TestQuantumLongerThanTheRun(t *testing.T) {
	t.Parallel()
	type figures struct {
		Steps, StepsTotal, VirtualTimeUS, Sent, Delivered int64
	}
	measure := func(quantum int64) figures {
		sc := &scenario.Scenario{Name: "q",
			Simulation: scenario.Simulation{DurationUS: 10_000_000, Seed: 1, TimeQuantumUS: quantum},
			Network:    scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 10_000},
			Nodes: []scenario.Node{
				{ID: "s1", Type: "sensor", Implementation: scenario.ImplPythonModel, Port: 5001, HasPort: true},
				{ID: "gateway", Type: "gateway", Implementation: scenario.ImplPythonModel, Port: 5002, HasPort: true},
			}}
		res, err := Run(context.Background(), sc)
		if err != nil {
			t.Fatalf("quantum %d: Run() = %v", quantum, err)
		}
		return figures{res.Steps, res.StepsTotal, res.VirtualTimeUS, res.Network.Sent, res.Network.Delivered}
	}
	want := measure(10_000_000)
	if want.Sent == 0 || want.StepsTotal != 1 {
		t.Fatalf("quantum = duration: %+v, want one step and readings sent", want)
	}
	for _, q := range []int64{20_000_000, math.MaxInt64 / 2, math.MaxInt64} {
		if diff := cmp.Diff(want, measure(q)); diff != "" {
			t.Errorf("quantum %d (-as with quantum = duration +got):\n%s", q, diff)
		}
	}
}
