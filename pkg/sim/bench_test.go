package sim

import (
	"context"
	"fmt"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// fleet is n built-in sensors at 1 Hz reporting to one gateway.
func fleet(n int, seconds int64) *scenario.Scenario {
	sc := &scenario.Scenario{Name: "fleet",
		Simulation: scenario.Simulation{DurationUS: seconds * 1_000_000, Seed: 1, TimeQuantumUS: 1000},
		Network:    scenario.Network{Model: scenario.ModelDirect, DefaultLatencyUS: 10000}}
	for i := range n {
		sc.Nodes = append(sc.Nodes, scenario.Node{ID: fmt.Sprintf("s%d", i), Type: "sensor", Config: map[string]any{"dst": "gw"}})
	}
	sc.Nodes = append(sc.Nodes, scenario.Node{ID: "gw", Type: "gateway"})
	return sc
}

// BenchmarkFleet reports events per second of the kernel with built-in
// models: 10,000 sensors for 60 virtual seconds per iteration.
func BenchmarkFleet(b *testing.B) {
	sc := fleet(10000, 60)
	var events int64
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(context.Background(), sc)
		if err != nil {
			b.Fatal(err)
		}
		events += res.Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
