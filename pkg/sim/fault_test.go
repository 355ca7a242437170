package sim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
)

func ptr[T any](v T) *T { return &v }

// TestFaultsOnTheTimeline runs m0 (sensors sample at 1..9 s) with faults and
// checks what each one costs.
func TestFaultsOnTheTimeline(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		faults     []scenario.Fault
		delivered  int64
		faulted    int64
		restarts   map[string]int64
		unhealthy  string
		csvMissing string // a row that must not be in the CSV files
	}{
		{name: "no fault", delivered: 27},
		{name: "link down 2.5-4.5 s drops two samples of one sensor",
			faults:    []scenario.Fault{{Kind: scenario.FaultLinkDown, AtUS: 2_500_000, DurationUS: 2_000_000, Link: scenario.Scope{Src: "sensor1", Dst: "gateway"}}},
			delivered: 25, faulted: 2},
		{name: "partition drops everything it separates",
			faults:    []scenario.Fault{{Kind: scenario.FaultPartition, AtUS: 0, Groups: [][]string{{"sensor1", "sensor2"}, {"gateway"}}}},
			delivered: 9, faulted: 18},
		{name: "gateway crash drops arrivals until restart",
			faults:    []scenario.Fault{{Kind: scenario.FaultNodeCrash, AtUS: 3_500_000, Node: "gateway", RestartAfterUS: ptr[int64](2_000_000)}},
			delivered: 21, faulted: 6, restarts: map[string]int64{"gateway": 1},
			csvMissing: "5000000,aggregate"},
		{name: "gateway pause drops arrivals while frozen, and counts no restart",
			faults:    []scenario.Fault{{Kind: scenario.FaultNodePause, AtUS: 3_500_000, Node: "gateway", DurationUS: 2_000_000}},
			delivered: 21, faulted: 6},
		{name: "sensor crash skips its samples and it ends down",
			faults:    []scenario.Fault{{Kind: scenario.FaultNodeCrash, AtUS: 6_500_000, Node: "sensor3"}},
			delivered: 24, unhealthy: "sensor3", csvMissing: "7000000,sample"},
		{name: "sensor restart resumes on schedule",
			faults:    []scenario.Fault{{Kind: scenario.FaultNodeCrash, AtUS: 1_500_000, Node: "sensor2", RestartAfterUS: ptr[int64](2_000_000)}},
			delivered: 25, restarts: map[string]int64{"sensor2": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := m0()
			sc.Faults = tc.faults
			dir := t.TempDir()
			res, err := Run(context.Background(), sc, WithCSVDir(dir))
			if err != nil {
				t.Fatal(err)
			}
			n := res.Network
			if n.Delivered != tc.delivered || n.Faulted != tc.faulted || n.Sent != n.Delivered+n.Dropped()+res.InFlight {
				t.Errorf("network %+v, want %d delivered and %d dropped by faults", n, tc.delivered, tc.faulted)
			}
			var faultDrops int64
			for _, d := range res.FaultDrops {
				faultDrops += d
			}
			if faultDrops != tc.faulted {
				t.Errorf("fault drops %v, want %d in all", res.FaultDrops, tc.faulted)
			}
			for _, nr := range res.Nodes {
				if nr.Restarts != tc.restarts[nr.ID] {
					t.Errorf("node %s restarts %d, want %d", nr.ID, nr.Restarts, tc.restarts[nr.ID])
				}
				// Every restart here comes 2 s after its crash.
				if len(nr.RecoveryS) != int(nr.Restarts) || nr.Restarts > 0 && nr.RecoveryS[0] != 2 {
					t.Errorf("node %s recovery times %v, want 2 s for each of %d restarts", nr.ID, nr.RecoveryS, nr.Restarts)
				}
				if nr.Healthy != (nr.ID != tc.unhealthy) {
					t.Errorf("node %s healthy = %v", nr.ID, nr.Healthy)
				}
			}
			if tc.csvMissing != "" {
				for _, id := range []string{"gateway", "sensor3"} {
					b, _ := os.ReadFile(filepath.Join(dir, id+"_metrics.csv"))
					if strings.Contains(string(b), tc.csvMissing) {
						t.Errorf("%s_metrics.csv has %q:\n%s", id, tc.csvMissing, b)
					}
				}
			}
		})
	}
}
