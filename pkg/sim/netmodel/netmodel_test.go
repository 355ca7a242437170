package netmodel

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

func msg(t int64, src, dst string) event.Event {
	return event.Event{TimeUS: t, Type: "TRANSMIT", Src: src, Dst: dst, SizeBytes: 64, SrcIndex: 0, DstIndex: 1}
}

// collect routes msgs and delivers everything up to until.
func collect(n *Network, msgs []event.Event, until int64) []event.Event {
	var got []event.Event
	deliver := func(e event.Event) { got = append(got, e) }
	for _, m := range msgs {
		n.Route(m, deliver)
	}
	n.Deliver(until, deliver)
	return got
}

func TestLatencyDeliversExactlyAtSendPlusLatency(t *testing.T) {
	t.Parallel()
	n := New(scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 10000,
		Links: []scenario.Link{{Src: "a", Dst: "b", LatencyUS: 5000}}}, 42, nil, 1<<40)
	var got []event.Event
	deliver := func(e event.Event) { got = append(got, e) }
	n.Route(msg(1000, "a", "b"), deliver)
	n.Deliver(5999, deliver)
	if len(got) != 0 {
		t.Fatalf("delivered at 5999: %+v", got)
	}
	n.Deliver(6000, deliver)
	if len(got) != 1 || got[0].TimeUS != 6000 || got[0].SentUS != 1000 || got[0].LatencyUS != 5000 {
		t.Fatalf("Deliver(6000) = %+v, want one message at 6000 sent at 1000", got)
	}
	// Idempotent and safe backwards, as upstream's advance_to.
	n.Deliver(6000, deliver)
	n.Deliver(10, deliver)
	if len(got) != 1 {
		t.Errorf("repeated Deliver gave %d messages", len(got))
	}
	// An unconfigured pair takes the default latency.
	got = collect(n, []event.Event{msg(0, "b", "a")}, 1<<40)
	if got[0].LatencyUS != 10000 {
		t.Errorf("default latency = %d, want 10000", got[0].LatencyUS)
	}
}

// TestLossMatchesUpstreamStreams compares drop patterns with CPython's:
// random.Random(sha256("<src>_<dst>_<seed>")) for a configured link and
// sha256("default_<seed>") for everything else, one draw per message.
func TestLossMatchesUpstreamStreams(t *testing.T) {
	t.Parallel()
	// python3: r = random.Random(int.from_bytes(sha256(b"sensor1_gateway_42")
	// .digest()[:8], "big")); "x" if r.random() < 0.5 else "." (100 times).
	const link = ".xxx.xxx.xxx..x..xx.xx.x.xxxxx...xxxxx..xxx...x.x...xxxx..xxxx.x.x.xx.x..xxxx...xx.xxx.x.x..xx.x.x.."
	const def = ".x.....x..x..x.....x.x.xx.....x...............x........x...x" // default_42, loss 0.3
	n := New(scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 100, DefaultLossRate: 0.3,
		Links: []scenario.Link{{Src: "sensor1", Dst: "gateway", LatencyUS: 5000, LossRate: 0.5}}}, 42, nil, 1<<40)
	pattern := func(src, dst string, count int) string {
		var b strings.Builder
		for i := range count {
			before := n.Totals().Lost
			n.Route(msg(int64(i), src, dst), func(event.Event) {})
			if n.Totals().Lost > before {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	// Interleave: the streams must not affect each other.
	gotDef := pattern("sensor2", "gateway", 30)
	gotLink := pattern("sensor1", "gateway", 100)
	gotDef += pattern("gateway", "cloud", 30) // another default pair shares the stream
	if diff := cmp.Diff(link, gotLink); diff != "" {
		t.Errorf("link drops (-cpython +ours):\n%s", diff)
	}
	if diff := cmp.Diff(def, gotDef); diff != "" {
		t.Errorf("default drops (-cpython +ours):\n%s", diff)
	}
	tot := n.Totals()
	n.Deliver(1<<40, func(event.Event) {})
	if tot = n.Totals(); tot.Sent != 160 || tot.Sent != tot.Delivered+tot.Lost+tot.Unroutable+n.InFlight() {
		t.Errorf("totals %+v do not add up to 160", tot)
	}
}

func TestZeroLossStillDrawsOncePerMessage(t *testing.T) {
	t.Parallel()
	// With a draw per message at rate 0, the default stream at loss 0.3
	// later sees the same numbers as if the first messages had been lossy.
	cfg := scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 1,
		Links: []scenario.Link{{Src: "a", Dst: "b", LatencyUS: 1, LossRate: 0}}}
	n := New(cfg, 42, nil, 1<<40)
	got := collect(n, []event.Event{msg(0, "a", "b"), msg(1, "a", "b")}, 100)
	if len(got) != 2 {
		t.Fatalf("zero loss delivered %d of 2", len(got))
	}
	cfg.Links[0].LossRate = 1
	n = New(cfg, 42, nil, 1<<40)
	if got := collect(n, []event.Event{msg(0, "a", "b")}, 100); len(got) != 0 {
		t.Errorf("loss 1.0 delivered %+v", got)
	}
}

func TestJitterStaysWithinBounds(t *testing.T) {
	t.Parallel()
	n := New(scenario.Network{Model: scenario.ModelLatency,
		Links: []scenario.Link{{Src: "a", Dst: "b", LatencyUS: 1000, JitterUS: 200}}}, 1, nil, 1<<40)
	var msgs []event.Event
	for i := range 2000 {
		msgs = append(msgs, msg(int64(i*10), "a", "b"))
	}
	got := collect(n, msgs, 1<<40)
	lo, hi := int64(1<<62), int64(0)
	for _, e := range got {
		lo, hi = min(lo, e.LatencyUS), max(hi, e.LatencyUS)
	}
	if lo < 800 || hi > 1200 || hi-lo < 300 {
		t.Errorf("jittered latency in [%d, %d], want spread within [800, 1200]", lo, hi)
	}
}

func TestBandwidthSerializesAndQueues(t *testing.T) {
	t.Parallel()
	// 64 bytes at 9600 bit/s take ceil(512e6/9600) = 53334 us on the wire.
	n := New(scenario.Network{Model: scenario.ModelLatency,
		Links: []scenario.Link{{Src: "a", Dst: "b", LatencyUS: 1000, BandwidthBPS: 9600}}}, 1, nil, 1<<40)
	got := collect(n, []event.Event{msg(0, "a", "b"), msg(0, "a", "b"), msg(500000, "a", "b")}, 1<<40)
	var times []int64
	for _, e := range got {
		times = append(times, e.TimeUS)
	}
	want := []int64{53334 + 1000, 2*53334 + 1000, 500000 + 53334 + 1000}
	if diff := cmp.Diff(want, times); diff != "" {
		t.Errorf("delivery times (-want +got):\n%s", diff)
	}
}

func TestBidirectionalLinksHaveOwnStreams(t *testing.T) {
	t.Parallel()
	n := New(scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 99,
		Links: []scenario.Link{{Src: "a", Dst: "b", LatencyUS: 7, LossRate: 0.5, Bidirectional: true}}}, 3, nil, 1<<40)
	var ab, ba int
	for i := range 400 {
		n.Route(msg(int64(i), "a", "b"), func(event.Event) {})
		n.Route(msg(int64(i), "b", "a"), func(event.Event) {})
	}
	n.Deliver(1<<40, func(e event.Event) {
		if e.LatencyUS != 7 {
			t.Fatalf("latency %d, want 7 both ways", e.LatencyUS)
		}
		if e.Src == "a" {
			ab++
		} else {
			ba++
		}
	})
	if ab < 150 || ab > 250 || ba < 150 || ba > 250 || ab == ba && ab == 200 {
		t.Errorf("delivered a->b %d, b->a %d of 400 at loss 0.5", ab, ba)
	}
}

func TestDirectDeliversAtOnceUnchanged(t *testing.T) {
	t.Parallel()
	n := New(scenario.Network{Model: scenario.ModelDirect, DefaultLatencyUS: 10000, DefaultLossRate: 0.9}, 1, nil, 1<<40)
	var got []event.Event
	n.Route(msg(1234, "a", "b"), func(e event.Event) { got = append(got, e) })
	if len(got) != 1 || got[0].TimeUS != 1234 || got[0].LatencyUS != 0 {
		t.Errorf("direct Route delivered %+v, want the message at 1234 at once", got)
	}
	if _, ok := n.Next(); ok {
		t.Error("direct model queued a message")
	}
}

func TestHistogramQuantilesAreExact(t *testing.T) {
	t.Parallel()
	var h Histogram
	for v := int64(1); v <= 100; v++ {
		h.Add(v)
	}
	cases := map[float64]int64{0.5: 50, 0.95: 95, 0.99: 99, 1: 100, 0.001: 1}
	for q, want := range cases {
		if got := h.Quantile(q); got != want {
			t.Errorf("Quantile(%g) = %d, want %d", q, got, want)
		}
	}
	if h.Mean() != 50.5 || h.Min != 1 || h.Max != 100 {
		t.Errorf("mean %g min %d max %d", h.Mean(), h.Min, h.Max)
	}
}
