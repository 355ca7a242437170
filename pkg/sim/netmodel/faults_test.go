package netmodel

import (
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

func ptr[T any](v T) *T { return &v }

func TestFaults(t *testing.T) {
	t.Parallel()
	net := scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 1000}
	cases := []struct {
		name      string
		fault     scenario.Fault
		src, dst  string
		sendAt    int64
		delivered bool
		latency   int64
	}{
		{"link down drops in its window", scenario.Fault{Kind: scenario.FaultLinkDown, AtUS: 100, DurationUS: 50, Link: scenario.Scope{Src: "s*", Dst: "gw"}}, "s1", "gw", 120, false, 0},
		{"link down ends", scenario.Fault{Kind: scenario.FaultLinkDown, AtUS: 100, DurationUS: 50, Link: scenario.Scope{Src: "s*", Dst: "gw"}}, "s1", "gw", 150, true, 1000},
		{"link down spares other links", scenario.Fault{Kind: scenario.FaultLinkDown, AtUS: 100, Link: scenario.Scope{Src: "s*", Dst: "gw"}}, "gw", "s1", 120, true, 1000},
		{"link down without end lasts", scenario.Fault{Kind: scenario.FaultLinkDown, AtUS: 100, Link: scenario.Scope{Dst: "gw"}}, "x", "gw", 1 << 30, false, 0},
		{"degrade raises latency", scenario.Fault{Kind: scenario.FaultLinkDegrade, AtUS: 0, DurationUS: 10, Link: scenario.Scope{Dst: "gw"}, LatencyUS: ptr[int64](50000)}, "s1", "gw", 5, true, 50000},
		{"degrade to total loss", scenario.Fault{Kind: scenario.FaultLinkDegrade, AtUS: 0, Link: scenario.Scope{Dst: "gw"}, LossRate: ptr(1.0)}, "s1", "gw", 5, false, 0},
		{"partition drops across groups", scenario.Fault{Kind: scenario.FaultPartition, AtUS: 0, DurationUS: 10, Groups: [][]string{{"s1"}, {"gw"}}}, "s1", "gw", 5, false, 0},
		{"partition keeps a group whole", scenario.Fault{Kind: scenario.FaultPartition, AtUS: 0, Groups: [][]string{{"s1", "gw"}, {"s2"}}}, "s1", "gw", 5, true, 1000},
		{"crash drops arrivals while down", scenario.Fault{Kind: scenario.FaultNodeCrash, AtUS: 500, Node: "gw", RestartAfterUS: ptr[int64](1000)}, "s1", "gw", 0, false, 0},
		{"crash spares arrivals after restart", scenario.Fault{Kind: scenario.FaultNodeCrash, AtUS: 500, Node: "gw", RestartAfterUS: ptr[int64](400)}, "s1", "gw", 0, true, 1000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := New(net, 1, []scenario.Fault{tc.fault}, 1<<40)
			got := collect(n, []event.Event{msg(tc.sendAt, tc.src, tc.dst)}, 1<<40)
			if (len(got) == 1) != tc.delivered {
				t.Fatalf("delivered %d messages, want delivered=%v", len(got), tc.delivered)
			}
			if tc.delivered && got[0].LatencyUS != tc.latency {
				t.Errorf("latency %d, want %d", got[0].LatencyUS, tc.latency)
			}
			tot := n.Totals()
			if !tc.delivered && (tot.Faulted != 1 || n.FaultDrops()[0] != 1) && tc.fault.LossRate == nil {
				t.Errorf("totals %+v, fault drops %v; want the fault to own the drop", tot, n.FaultDrops())
			}
			if tot.Sent != tot.Delivered+tot.Dropped()+n.InFlight() {
				t.Errorf("totals %+v do not add up", tot)
			}
		})
	}
}

// A fault must not shift the loss draws of the messages after it.
func TestFaultKeepsTheRNGStream(t *testing.T) {
	t.Parallel()
	cfg := scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 1, DefaultLossRate: 0.5}
	pattern := func(faults []scenario.Fault) string {
		n := New(cfg, 9, faults, 1<<40)
		b := make([]byte, 0, 200)
		for i := range 200 {
			got := collect(n, []event.Event{msg(int64(i), "a", "b")}, 1<<40)
			b = append(b, ".x"[len(got)])
		}
		return string(b[100:])
	}
	down := []scenario.Fault{{Kind: scenario.FaultLinkDown, AtUS: 10, DurationUS: 50}}
	if a, b := pattern(nil), pattern(down); a != b {
		t.Errorf("after the fault:\n%s\n%s", a, b)
	}
}

func TestTimelineBuckets(t *testing.T) {
	t.Parallel()
	n := New(scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 7}, 1,
		[]scenario.Fault{{Kind: scenario.FaultLinkDown, AtUS: 30_000, DurationUS: 10_000}}, 60_000)
	var msgs []event.Event
	for t := int64(0); t < 60_000; t += 100 {
		msgs = append(msgs, msg(t, "a", "b"))
	}
	collect(n, msgs, 1<<40)
	tl, width := n.Timeline()
	if width != 1000 || len(tl) != Buckets {
		t.Fatalf("%d buckets of %d us", len(tl), width)
	}
	if tl[0].Delivered != 10 || tl[0].LatencyMax != 7 || tl[35].Dropped != 10 || tl[35].Delivered != 0 {
		t.Errorf("bucket 0 %+v, bucket 35 %+v", tl[0], tl[35])
	}
}
