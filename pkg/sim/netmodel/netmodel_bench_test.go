package netmodel

import (
	"strconv"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// fleetMsgs is one message from each of n senders to one gateway, all sent
// at the same instant, as a 1 Hz fleet's messages are.
func fleetMsgs(n int) []event.Event {
	msgs := make([]event.Event, n)
	for i := range msgs {
		msgs[i] = event.Event{Type: "TRANSMIT", Src: "s" + strconv.Itoa(i), Dst: "gw",
			SrcIndex: int32(i), DstIndex: int32(n), SizeBytes: 64}
	}
	return msgs
}

// benchRoute routes every message of a fleet once per second of virtual
// time and delivers what is due, reporting the cost per message.
func benchRoute(b *testing.B, cfg scenario.Network, senders int) {
	msgs := fleetMsgs(senders)
	n := New(cfg, 42, nil, 1<<40)
	var delivered int64
	deliver := func(event.Event) { delivered++ }
	b.ReportAllocs()
	var now int64
	i := 0
	for b.Loop() {
		m := msgs[i]
		m.TimeUS = now
		n.Route(m, deliver)
		if i++; i == len(msgs) {
			i = 0
			now += 1_000_000
			n.Deliver(now, deliver)
		}
	}
	n.Deliver(1<<62, deliver)
	if delivered == 0 {
		b.Fatal("nothing delivered")
	}
}

func BenchmarkRouteDirect(b *testing.B) {
	benchRoute(b, scenario.Network{Model: scenario.ModelDirect}, 1000)
}

func BenchmarkRouteLatency(b *testing.B) {
	benchRoute(b, scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 10000}, 1000)
}

// BenchmarkRouteLatencyLinks gives every sender its own link with loss,
// jitter and bandwidth: two RNG draws and serialization per message.
func BenchmarkRouteLatencyLinks(b *testing.B) {
	cfg := scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 10000}
	for i := range 1000 {
		cfg.Links = append(cfg.Links, scenario.Link{Src: "s" + strconv.Itoa(i), Dst: "gw",
			LatencyUS: 5000, JitterUS: 1000, LossRate: 0.01, BandwidthBPS: 1_000_000})
	}
	benchRoute(b, cfg, 1000)
}
