package shape

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDecide checks each packet's fate on made-up times: the kernel's part
// is the bed tests' (pkg/sim/container).
func TestDecide(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	lat := int64(1000)
	tests := []struct {
		name string
		peer Peer
		at   []time.Duration // arrivals after t0, 1500-byte packets
		want []time.Duration // release after t0; -1 dropped
	}{
		{"latency", Peer{Link: Params{LatencyUS: 50000}}, []time.Duration{0, time.Millisecond}, []time.Duration{50 * time.Millisecond, 51 * time.Millisecond}},
		{"bandwidth queues", Peer{Link: Params{BandwidthBPS: 120000}}, []time.Duration{0, 0, 0}, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}},
		{"down window", Peer{Windows: []Window{{FromUS: 1000, UntilUS: 2000, Down: true}}}, []time.Duration{0, time.Millisecond, 2 * time.Millisecond}, []time.Duration{0, -1, 2 * time.Millisecond}},
		{"degrade window", Peer{Link: Params{LatencyUS: 10}, Windows: []Window{{FromUS: 1000, LatencyUS: &lat}}}, []time.Duration{0, time.Millisecond}, []time.Duration{10 * time.Microsecond, 2 * time.Millisecond}},
		{"backlog drops", Peer{Link: Params{BandwidthBPS: 12000}}, make([]time.Duration, 12), []time.Duration{
			time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second, 6 * time.Second,
			7 * time.Second, 8 * time.Second, 9 * time.Second, 10 * time.Second, 11 * time.Second, -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newShaper(Config{StartUnixNano: t0.UnixNano(), Peers: []Peer{tt.peer}})
			var got []time.Duration
			for _, a := range tt.at {
				at, drop := s.decide(0, t0.Add(a), 1500)
				if drop {
					got = append(got, -1)
				} else {
					got = append(got, at.Sub(t0))
				}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("releases mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestLossAndJitter checks the draws: seeded, near the rate, in bounds.
func TestLossAndJitter(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	run := func() (int, time.Duration, time.Duration) {
		s := newShaper(Config{Seed: 3, Peers: []Peer{{Node: "b", Link: Params{LatencyUS: 50000, JitterUS: 20000, LossRate: 0.2}}}})
		lost, lo, hi := 0, time.Hour, time.Duration(0)
		for i := range 10000 {
			now := t0.Add(time.Duration(i) * time.Millisecond)
			at, drop := s.decide(0, now, 100)
			if drop {
				lost++
				continue
			}
			lo, hi = min(lo, at.Sub(now)), max(hi, at.Sub(now))
		}
		return lost, lo, hi
	}
	lost, lo, hi := run()
	if lost < 1800 || lost > 2200 {
		t.Errorf("lost %d of 10000 at loss_rate 0.2", lost)
	}
	if lo < 30*time.Millisecond || hi > 70*time.Millisecond || hi-lo < 35*time.Millisecond {
		t.Errorf("delays %v..%v; want within 30..70 ms and spread", lo, hi)
	}
	if l2, lo2, hi2 := run(); l2 != lost || lo2 != lo || hi2 != hi {
		t.Errorf("the same seed gave %d %v %v, then %d %v %v", lost, lo, hi, l2, lo2, hi2)
	}
}

// TestLaterZero: the zero is the last one the runtime gave, the run's
// clock's, also when a fault boundary had passed on an earlier one. A
// helper that kept the earlier zero lifted a partition early by the
// difference, and every later boundary acted early too.
func TestLaterZero(t *testing.T) {
	t.Parallel()
	c := Config{Peers: []Peer{{Node: "a", Windows: []Window{{FromUS: 0, UntilUS: 1_000_000, Down: true, Fault: 1}}}}}
	// Packets from the last zero, and whether the partition drops them.
	at := []time.Duration{-time.Millisecond, 0, 999 * time.Millisecond, time.Second}
	want := []bool{false, true, true, false}
	tests := []struct {
		name  string
		zeros []time.Duration // from now, in the order given
	}{
		{"one zero", []time.Duration{time.Second}},
		{"a later zero before the first boundary", []time.Duration{time.Second, 2 * time.Second}},
		{"a later zero after the first boundary passed", []time.Duration{-500 * time.Millisecond, 300 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newShaper(c)
			tl := newTimeline(s, c)
			now := time.Now()
			for _, z := range tt.zeros {
				tl.setZero(now.Add(z))
			}
			zero := now.Add(tt.zeros[len(tt.zeros)-1])
			var dropped []bool
			for _, a := range at {
				_, down := s.params(0, zero.Add(a))
				dropped = append(dropped, down)
			}
			if d := cmp.Diff(want, dropped); d != "" {
				t.Errorf("packets dropped around the last zero (-want +got):\n%s", d)
			}
			var ahead []time.Duration
			for {
				if _, ok := tl.next(); !ok {
					break
				}
				_, when := tl.pop()
				ahead = append(ahead, when.Sub(zero))
			}
			if d := cmp.Diff([]time.Duration{0, time.Second}, ahead); d != "" {
				t.Errorf("boundaries ahead, from the last zero (-want +got):\n%s", d)
			}
		})
	}
}
