package netmodel

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// A message's serialization delay never wraps: huge sizes, and bandwidths
// from one bit per second to the int64 limit, give a delivery at or after
// the send (or never, past Horizon), and a link stays busy, not reset.
func TestSerializationDoesNotWrap(t *testing.T) {
	t.Parallel()
	const sent = 1_000_000
	cases := []struct {
		name string
		size int
		bw   int64
		// want is the first message's delivery time; the second message,
		// sent at the same time, arrives after it (or also never).
		want int64
	}{
		{name: "ordinary", size: 64, bw: 9600, want: sent + 53334 + 1000},
		{name: "bandwidth at the int64 limit", size: 64, bw: math.MaxInt64, want: sent + 1 + 1000},
		{name: "bandwidth at the int64 limit, huge size", size: math.MaxInt64, bw: math.MaxInt64, want: sent + 8_000_000 + 1000},
		{name: "2 TB at 1 Gbit/s", size: 2e12, bw: 1e9, want: sent + 16e9 + 1000},
		{name: "2 TB at 1 bit/s", size: 2e12, bw: 1, want: Horizon + 1000},
		{name: "largest size at 1 bit/s", size: math.MaxInt64, bw: 1, want: Horizon + 1000},
		{name: "negative size", size: -5, bw: 1, want: sent + 1000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n := New(scenario.Network{Model: scenario.ModelLatency,
				Links: []scenario.Link{{Src: "a", Dst: "b", LatencyUS: 1000, BandwidthBPS: c.bw}}}, 1, nil, 1<<40)
			m := msg(sent, "a", "b")
			m.SizeBytes = c.size
			var got []event.Event
			for range 2 {
				n.Route(m, func(e event.Event) { got = append(got, e) })
			}
			n.Deliver(math.MaxInt64, func(e event.Event) { got = append(got, e) })
			if len(got) != 2 {
				t.Fatalf("%d messages delivered, want 2", len(got))
			}
			if got[0].TimeUS != c.want {
				t.Errorf("first arrives at %d, want %d", got[0].TimeUS, c.want)
			}
			for _, e := range got {
				if e.TimeUS < sent || e.LatencyUS < 0 {
					t.Errorf("a message sent at %d arrives at %d (latency %d)", sent, e.TimeUS, e.LatencyUS)
				}
			}
			if got[1].TimeUS < got[0].TimeUS || got[1].TimeUS == got[0].TimeUS && got[0].TimeUS < Horizon && c.size > 0 {
				t.Errorf("the second message arrives at %d, not after the first at %d", got[1].TimeUS, got[0].TimeUS)
			}
		})
	}
}

func TestSerialization(t *testing.T) {
	t.Parallel()
	cases := []struct {
		size int
		bw   int64
		want int64
	}{
		{0, 1, 0},
		{1, 8_000_000, 1},
		{1, 8_000_001, 1}, // rounded up
		{1, 16_000_000, 1},
		{3, 16_000_000, 2},
		{1, 1, 8_000_000},
		{1152921504606, 1, Horizon}, // size*8e6 is 9.2e18: past Horizon
		{math.MaxInt64, math.MaxInt64, 8_000_000},
		{math.MaxInt64, 1, Horizon},
	}
	var got []int64
	var want []int64
	for _, c := range cases {
		got = append(got, serialization(c.size, c.bw))
		want = append(want, c.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("serialization (-want +got):\n%s", diff)
	}
}
