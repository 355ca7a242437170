package metrics

import (
	"errors"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

func TestObservedMetrics(t *testing.T) {
	t.Parallel()
	gap := 4.5
	res := &sim.Result{Observers: []sim.ObserverResult{
		{Name: "agg", Messages: 20, RatePerS: 2, GapMaxS: 3.25, Correlated: 40, E2EGapMaxS: &gap,
			E2E:    &sim.E2ELatencyMS{Avg: 12, P50: 10, P95: 30, Max: 41},
			Bodies: []any{[]any{map[string]any{"count": 3.0}, map[string]any{"count": 7.0}}, "not a map", []any{map[string]any{"count": 5.0}}}},
		{Name: "quiet", GapMaxS: 10},
	}}
	s := New(res)
	for _, tc := range []struct {
		metric, observe, field string
		want                   float64
		noData                 bool
	}{
		{"observed_messages", "agg", "", 20, false},
		{"observed_rate_per_s", "agg", "", 2, false},
		{"observed_gap_max_s", "agg", "", 3.25, false},
		{"observed_correlated", "agg", "", 40, false},
		{"e2e_gap_max_s", "agg", "", 4.5, false},
		{"e2e_latency_avg_ms", "agg", "", 12, false},
		{"e2e_latency_p50_ms", "agg", "", 10, false},
		{"e2e_latency_p95_ms", "agg", "", 30, false},
		{"e2e_latency_max_ms", "agg", "", 41, false},
		{"observed_field_min", "agg", "count", 3, false},
		{"observed_field_max", "agg", "count", 7, false},
		{"observed_field_last", "agg", "count", 5, false},
		{"observed_field_max", "agg", "missing", 0, true},
		{"observed_messages", "quiet", "", 0, false},
		{"observed_gap_max_s", "quiet", "", 10, false},
		{"e2e_latency_p50_ms", "quiet", "", 0, true},
		{"e2e_gap_max_s", "quiet", "", 0, true},
		{"observed_messages", "nobody", "", 0, true},
	} {
		where := scenario.Scope{Observe: tc.observe}
		var got float64
		var err error
		if tc.field != "" {
			got, err = s.Field(tc.metric, tc.field, where)
		} else {
			got, err = s.Value(tc.metric, where)
		}
		if tc.noData {
			if !errors.Is(err, ErrNoData) {
				t.Errorf("%s on %s: %g, %v; want no data", tc.metric, tc.observe, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s on %s = %g, %v; want %g", tc.metric, tc.observe, got, err, tc.want)
		}
	}
}

// A black-box container never sees the simulated messages sent to it: its
// message counters are not measured, and an assertion on them says so.
func TestBlackBoxMessagesAreNotMeasured(t *testing.T) {
	t.Parallel()
	s := New(&sim.Result{Nodes: []sim.NodeResult{
		{ID: "app", BlackBox: true},
		{ID: "gw", Stats: node.Stats{MessagesReceived: 5}},
	}})
	if v, err := s.Value("messages_received", scenario.Scope{Node: "app"}); !errors.Is(err, ErrNoData) {
		t.Errorf("messages_received of a black-box container = %g, %v; want no data", v, err)
	}
	if v, err := s.Value("messages_received", scenario.Scope{}); err != nil || v != 5 {
		t.Errorf("messages_received of every node = %g, %v; want 5, from the node that is measured", v, err)
	}
	if v, err := s.Value("healthy", scenario.Scope{Node: "app"}); err != nil || v != 0 {
		t.Errorf("healthy = %g, %v", v, err)
	}
}
