package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// Only a started helper with a fault window needs the run paced: links
// alone act the same at any pace.
func TestNeedsWallClock(t *testing.T) {
	t.Parallel()
	down := shape.Window{Kind: scenario.FaultLinkDown, Fault: 2, FromUS: 30e6, UntilUS: 40e6, Down: true}
	part := shape.Window{Kind: scenario.FaultPartition, Fault: 1, FromUS: 5e5, Down: true}
	plan := netPlan{nodes: map[string]shape.Config{
		"a": {Node: "a", Peers: []shape.Peer{{Node: "b", Link: shape.Params{LatencyUS: 1000}}}},
		"b": {Node: "b", Peers: []shape.Peer{{Node: "a", Windows: []shape.Window{down}}, {Node: "c", Windows: []shape.Window{part}}}},
	}}
	type want struct {
		Fault int
		Need  bool
	}
	cases := []struct {
		name    string
		net     *netShaping
		started []string
		want    want
	}{
		{"no shaping", nil, nil, want{}},
		{"links only", &netShaping{plan: plan}, []string{"a"}, want{}},
		{"faults of a node not started", &netShaping{plan: plan}, nil, want{}},
		{"faults", &netShaping{plan: plan}, []string{"a", "b"}, want{0, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &Runtime{net: tc.net}
			if tc.net != nil {
				tc.net.shapers = map[string]*Shaper{}
				for _, id := range tc.started {
					tc.net.shapers[id] = nil
				}
			}
			var got want
			got.Fault, got.Need = r.NeedsWallClock()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("NeedsWallClock() (-want +got):\n%s", diff)
			}
		})
	}
}
