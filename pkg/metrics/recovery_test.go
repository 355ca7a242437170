package metrics

import (
	"errors"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
)

// recovery_time_s is the longest recovery of the matched nodes; no
// recovery is no data, not 0 (which would pass any lte bound).
func TestRecoveryTime(t *testing.T) {
	s := New(&sim.Result{Nodes: []sim.NodeResult{
		{ID: "broker", Restarts: 2, RecoveryS: []float64{0.8, 1.5}},
		{ID: "broker2", Restarts: 1, RecoveryS: []float64{0.4}},
		{ID: "sensor"},
	}})
	for _, c := range []struct {
		glob string
		want float64
	}{{"broker", 1.5}, {"broker2", 0.4}, {"broker*", 1.5}, {"", 1.5}} {
		got, err := s.Value("recovery_time_s", scenario.Scope{Node: c.glob})
		if err != nil || got != c.want {
			t.Errorf("recovery_time_s where node %q = %g, %v; want %g", c.glob, got, err, c.want)
		}
	}
	if _, err := s.Value("recovery_time_s", scenario.Scope{Node: "sensor"}); !errors.Is(err, ErrNoData) {
		t.Errorf("recovery_time_s of a node that never crashed: %v, want ErrNoData", err)
	}
}
