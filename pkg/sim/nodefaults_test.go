package sim

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// TestBackToBackCrashes: two node_crash windows that touch are two
// outages, each with its restart and recovery time. The second crash came
// at the time of the first restart and was applied first: it was ignored
// (the node was down), and the restart brought the node back, one restart
// for two crashes.
func TestBackToBackCrashes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		faults   []scenario.Fault
		restarts int64
		recovery []float64
	}{{
		name: "crash then crash",
		faults: []scenario.Fault{
			{Kind: scenario.FaultNodeCrash, AtUS: 3_500_000, Node: "gateway", RestartAfterUS: ptr[int64](2_000_000)},
			{Kind: scenario.FaultNodeCrash, AtUS: 5_500_000, Node: "gateway", RestartAfterUS: ptr[int64](1_000_000)},
		},
		restarts: 2, recovery: []float64{2, 1},
	}, {
		name: "listed the other way round",
		faults: []scenario.Fault{
			{Kind: scenario.FaultNodeCrash, AtUS: 5_500_000, Node: "gateway", RestartAfterUS: ptr[int64](1_000_000)},
			{Kind: scenario.FaultNodeCrash, AtUS: 3_500_000, Node: "gateway", RestartAfterUS: ptr[int64](2_000_000)},
		},
		restarts: 2, recovery: []float64{2, 1},
	}, {
		name: "a crash of no length",
		faults: []scenario.Fault{
			{Kind: scenario.FaultNodeCrash, AtUS: 3_500_000, Node: "gateway", RestartAfterUS: ptr[int64](0)},
		},
		restarts: 1, recovery: []float64{0},
	}, {
		name: "pause then crash",
		faults: []scenario.Fault{
			{Kind: scenario.FaultNodePause, AtUS: 3_500_000, Node: "gateway", DurationUS: 2_000_000},
			{Kind: scenario.FaultNodeCrash, AtUS: 5_500_000, Node: "gateway", RestartAfterUS: ptr[int64](1_000_000)},
		},
		restarts: 1, recovery: []float64{1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := m0()
			sc.Faults = tc.faults
			res, err := Run(context.Background(), sc)
			if err != nil {
				t.Fatal(err)
			}
			for _, nr := range res.Nodes {
				if nr.ID != "gateway" {
					continue
				}
				if nr.Restarts != tc.restarts || !nr.Healthy {
					t.Errorf("restarts %d, healthy %v; want %d, healthy", nr.Restarts, nr.Healthy, tc.restarts)
				}
				if diff := cmp.Diff(tc.recovery, nr.RecoveryS); diff != "" {
					t.Errorf("recovery times (-want +got):\n%s", diff)
				}
			}
		})
	}
}
