package metrics

import (
	"errors"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// image_size_mb is the largest image of the matched containers, measured
// from the image even when no stats sample came; a node without a
// measured image has no data, not 0.
func TestImageSize(t *testing.T) {
	s := New(&sim.Result{Nodes: []sim.NodeResult{
		{ID: "gw", Resources: &node.Resources{ImageSizeMB: 4.2, Samples: 10}},
		{ID: "broker", Resources: &node.Resources{ImageSizeMB: 6.5}},
		{ID: "sensor"},
	}})
	for glob, want := range map[string]float64{"gw": 4.2, "broker": 6.5, "": 6.5} {
		got, err := s.Value("image_size_mb", scenario.Scope{Node: glob})
		if err != nil || got != want {
			t.Errorf("image_size_mb where node %q = %g, %v; want %g", glob, got, err, want)
		}
	}
	if _, err := s.Value("image_size_mb", scenario.Scope{Node: "sensor"}); !errors.Is(err, ErrNoData) {
		t.Errorf("image_size_mb of a built-in node: %v, want ErrNoData", err)
	}
}
