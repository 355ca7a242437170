package gate

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/metrics"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
)

func TestCompare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		actual float64
		op     string
		value  float64
		want   bool
	}{
		{1, "gte", 1, true}, {0.99, "gte", 1, false},
		{1, "gt", 1, false}, {2, "gt", 1, true},
		{1, "lte", 1, true}, {1.0001, "lte", 1, false},
		{1, "lt", 1, false}, {0, "lt", 1, true},
		{0.1 + 0.2, "eq", 0.3, true}, {0.31, "eq", 0.3, false},
		{1, "bogus", 1, false},
	}
	for _, tc := range cases {
		if got := Compare(tc.actual, tc.op, tc.value); got != tc.want {
			t.Errorf("Compare(%v, %s, %v) = %v, want %v", tc.actual, tc.op, tc.value, got, tc.want)
		}
	}
}

// lossy is two sensors at 10 Hz to a gateway over a lossy latency link for
// 10 virtual seconds.
func lossy() *scenario.Scenario {
	return &scenario.Scenario{Name: "lossy",
		Simulation: scenario.Simulation{DurationUS: 10_000_000, Seed: 3, TimeQuantumUS: 1000},
		Network: scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 2000,
			Links: []scenario.Link{{Src: "s1", Dst: "gw", LatencyUS: 5000, LossRate: 0.2, JitterUS: 1000}}},
		Nodes: []scenario.Node{
			{ID: "s1", Type: "sensor", Config: map[string]any{"dst": "gw", "sample_rate_hz": 10.0}},
			{ID: "s2", Type: "sensor", Config: map[string]any{"dst": "gw", "sample_rate_hz": 10.0}},
			{ID: "gw", Type: "gateway"},
		},
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	res, err := sim.Run(context.Background(), lossy())
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(res)
	a := func(metric, op string, v float64, where scenario.Scope) scenario.Assertion {
		return scenario.Assertion{Metric: metric, Operator: op, Value: v, Where: where}
	}
	s1 := scenario.Scope{Src: "s1", Dst: "gw"}
	s2 := scenario.Scope{Src: "s2"}
	cases := []struct {
		a      scenario.Assertion
		passed bool
		actual float64
		noData bool
	}{
		{a("packets_sent", "eq", 180, scenario.Scope{}), true, 180, false}, // 1.0 s to 9.9 s: 90 samples each
		{a("packet_delivery_rate", "eq", 1, s2), true, 1, false},
		{a("packet_delivery_rate", "gte", 0.95, s1), false, -1, false}, // ~20% lost
		{a("latency_min_ms", "eq", 2, s2), true, 2, false},
		{a("latency_max_ms", "lte", 6, s1), true, -1, false},
		{a("latency_p50_ms", "gte", 4, s1), true, -1, false},
		{a("latency_avg_ms", "lt", 2, scenario.Scope{Dst: "gw"}), false, -1, false},
		{a("messages_processed", "eq", 180, scenario.Scope{Node: "gw"}), false, -1, false},
		{a("healthy", "eq", 1, scenario.Scope{Node: "*"}), true, 1, false},
		{a("restarts", "eq", 0, scenario.Scope{}), true, 0, false},
		{a("packet_delivery_rate", "gte", 0, scenario.Scope{Src: "nobody*"}), false, 0, true},
		{a("latency_p99_ms", "lte", 100, scenario.Scope{Src: "gw"}), false, 0, true},
		{a("throughput_msgs_per_s", "gt", 15, scenario.Scope{}), true, -1, false},
	}
	var as []scenario.Assertion
	for _, tc := range cases {
		as = append(as, tc.a)
	}
	outs, all := Evaluate(as, m)
	if all {
		t.Error("Evaluate() passed with failing assertions")
	}
	for i, tc := range cases {
		o := outs[i]
		if o.Passed != tc.passed || tc.actual >= 0 && o.Actual != tc.actual || errors.Is(o.Err, metrics.ErrNoData) != tc.noData {
			t.Errorf("%s %s %v where %+v: passed %v actual %v err %v; want passed %v actual %v",
				tc.a.Metric, tc.a.Operator, tc.a.Value, tc.a.Where, o.Passed, o.Actual, o.Err, tc.passed, tc.actual)
		}
	}
	// Percentiles come from every latency, so they are exact: p50 of s1's
	// jittered 4000..6000 us, cross-checked against the histogram itself.
	for _, r := range res.Routes {
		if r.Src == "s1" {
			p95, _ := m.Value("latency_p95_ms", s1)
			if diff := cmp.Diff(float64(r.Latency.Quantile(0.95))/1000, p95); diff != "" {
				t.Error(diff)
			}
		}
	}
	_, all = Evaluate(as[:2], m)
	if !all {
		t.Error("Evaluate() failed with passing assertions")
	}
}
