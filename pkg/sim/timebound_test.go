package sim

import (
	"context"
	"testing"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// TestLongestTimesDoNotWrap: the longest run the loader takes
// (scenario.MaxTimeS) with the longest times a node's config may set adds
// them up without wrapping: the sensor samples once, at its start, and the
// run ends. With a 9e12 s run (a raised --max-duration-s) the sensor's next
// sample wrapped into the past and the run never ended.
func TestLongestTimesDoNotWrap(t *testing.T) {
	t.Parallel()
	src := `simulation: {duration_s: 4e12, seed: 1, time_quantum_us: 1000000000000}
network: {model: latency, default_latency_us: 31622400000000}
nodes:
  - {id: s1, type: sensor, port: 5001, config: {start_s: 3e12, sample_rate_hz: 2.5e-13, dst: gw}}
  - {id: gw, type: gateway, port: 5002, config: {processing_us: 4e18, aggregate_interval_s: 4e12}}
`
	sc, _, err := scenario.Parse([]byte(src), "long.yaml", scenario.WithMaxDuration(scenario.MaxTimeS))
	if err != nil {
		t.Fatal(err)
	}
	// A deadline so that a regression fails instead of spinning; it is no
	// timing assertion (the run takes milliseconds).
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, sc)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.VirtualTimeUS != 4e18 || res.Network.Sent != 1 || res.Network.Delivered != 1 {
		t.Errorf("virtual time %d, sent %d, delivered %d; want 4e18, 1, 1", res.VirtualTimeUS, res.Network.Sent, res.Network.Delivered)
	}
	for _, r := range res.Routes {
		if r.Latency.Min != 31622400000000 || r.Latency.Max != 31622400000000 {
			t.Errorf("route %s->%s: latencies %d..%d, want the link's 31622400000000", r.Src, r.Dst, r.Latency.Min, r.Latency.Max)
		}
	}
}
