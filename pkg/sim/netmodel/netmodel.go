package netmodel

import (
	"math"
	"sort"
	"strconv"

	"github.com/xedgesim/simulate/internal/pyrand"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// Network routes messages. It is not safe for concurrent use: the kernel
// routes from one goroutine, in a total order.
type Network struct {
	latencyModel bool
	def          link
	links        map[pair]*link
	routes       map[pair]*Route
	// bySrc indexes routes by the sender's node index, so the hot path
	// compares a destination or two instead of hashing two strings.
	bySrc   [][]*Route
	q       event.Queue
	totals  Totals
	windows []*window
	tl      timeline
	// groups are the device groups that share one route (group.go).
	groups []*group
}

type pair struct{ src, dst string }

// link is the configuration and state of one direction of a link.
type link struct {
	latency, jitter, bandwidth int64
	loss                       float64
	rng                        *pyrand.Rand
	busyUntil                  int64
}

// Route is what one (src, dst) pair carried. Pairs without a configured
// link share the default link's RNG, as upstream's do.
type Route struct {
	Src, Dst   string
	link       *link
	Sent       int64
	Delivered  int64
	Lost       int64
	Unroutable int64
	// Faulted counts messages dropped by an injected fault.
	Faulted int64
	Latency Histogram
	// group, when set, is the device group whose messages the route
	// carries; it counts what each device dropped.
	group *group
}

// Dropped is everything sent that will never arrive.
func (r *Route) Dropped() int64 { return r.Lost + r.Unroutable + r.Faulted }

// Totals are the network-wide counters.
type Totals struct {
	Sent       int64
	Delivered  int64
	Lost       int64
	Unroutable int64
	Faulted    int64
}

// Dropped is everything sent that will never arrive.
func (t Totals) Dropped() int64 { return t.Lost + t.Unroutable + t.Faulted }

// New builds the network of a scenario. seed is the scenario seed; each
// link's RNG is seeded from sha256("<src>_<dst>_<seed>") and unconfigured
// pairs share one seeded from sha256("default_<seed>"), as upstream does.
// faults are applied on the virtual timeline that ends at end (us).
func New(cfg scenario.Network, seed int64, faults []scenario.Fault, end int64) *Network {
	n := &Network{
		latencyModel: cfg.Model == scenario.ModelLatency,
		links:        map[pair]*link{},
		routes:       map[pair]*Route{},
		windows:      newWindows(faults, end),
		tl:           newTimeline(end),
	}
	n.def = link{latency: cfg.DefaultLatencyUS, loss: cfg.DefaultLossRate, rng: pyrand.New(pyrand.DerivedSeed("default", seed))}
	add := func(src, dst string, l scenario.Link) {
		// A later entry for the same pair replaces the earlier one, RNG
		// included, as upstream's dict does.
		n.links[pair{src, dst}] = &link{
			latency: l.LatencyUS, jitter: l.JitterUS, bandwidth: l.BandwidthBPS, loss: l.LossRate,
			rng: pyrand.New(pyrand.DerivedSeed(src+"_"+dst, seed)),
		}
	}
	for _, l := range cfg.Links {
		add(l.Src, l.Dst, l)
		if l.Bidirectional {
			add(l.Dst, l.Src, l)
		}
	}
	return n
}

// routeOf finds e's route through the sender's index.
func (n *Network) routeOf(e *event.Event) *Route {
	if r := n.groupRoute(e); r != nil {
		return r
	}
	i := int(e.SrcIndex)
	if i < 0 || e.Src == "" {
		return n.route(e.Src, e.Dst)
	}
	if i >= len(n.bySrc) {
		n.bySrc = append(n.bySrc, make([][]*Route, i+1-len(n.bySrc))...)
	}
	for _, r := range n.bySrc[i] {
		if r.Dst == e.Dst && r.Src == e.Src {
			return r
		}
	}
	r := n.route(e.Src, e.Dst)
	n.bySrc[i] = append(n.bySrc[i], r)
	return r
}

func (n *Network) route(src, dst string) *Route {
	k := pair{src, dst}
	r := n.routes[k]
	if r == nil {
		l := n.links[k]
		if l == nil {
			l = &n.def
		}
		r = &Route{Src: src, Dst: dst, link: l}
		n.routes[k] = r
	}
	return r
}

// Route takes a message a node emitted. With the direct model it is handed
// to deliver at once, unchanged; with the latency model it draws the loss
// (always, even at rate 0, to keep upstream's RNG streams) and is queued for
// Deliver. A message whose destination is no node is routed like any other
// and counted as unroutable when it would arrive.
func (n *Network) Route(e event.Event, deliver func(event.Event)) {
	r := n.routeOf(&e)
	r.Sent++
	n.totals.Sent++
	l := r.link
	cfg := *l
	var drop *window
	if len(n.windows) > 0 {
		drop, cfg = n.sendFault(e.Src, e.Dst, e.TimeUS, cfg)
	}
	if !n.latencyModel {
		if drop != nil {
			n.fault(r, drop, &e, e.TimeUS)
			return
		}
		e.SentUS = e.TimeUS
		n.arrive(r, &e, deliver)
		return
	}
	// The draw is made even when a fault drops the message, so the run
	// after the fault sees the same numbers as a run without it.
	lost := l.rng.Random() < cfg.loss
	if drop != nil {
		n.fault(r, drop, &e, e.TimeUS)
		return
	}
	if lost {
		r.dropped(&e)
		r.Lost++
		n.totals.Lost++
		n.tl.dropped(e.TimeUS)
		return
	}
	lat := cfg.latency
	if l.jitter > 0 {
		// A second draw only when jitter is on, so upstream's streams stay.
		lat += int64(math.Round((2*l.rng.Random() - 1) * float64(l.jitter)))
		lat = max(lat, 0)
	}
	sent := e.TimeUS
	at := sent
	if l.bandwidth > 0 {
		// Serialization: the link sends one message at a time.
		at = later(max(at, l.busyUntil), serialization(e.SizeBytes, l.bandwidth))
		l.busyUntil = at
	}
	e.SentUS = sent
	e.TimeUS = at + lat
	e.LatencyUS = e.TimeUS - sent
	n.q.Push(e)
}

// Deliver hands every queued message due at or before target to deliver,
// in (time, routing order).
func (n *Network) Deliver(target int64, deliver func(event.Event)) {
	for n.q.Len() > 0 && n.q.Peek().TimeUS <= target {
		e := n.q.Pop()
		n.arrive(n.routeOf(&e), &e, deliver)
	}
}

func (n *Network) arrive(r *Route, e *event.Event, deliver func(event.Event)) {
	if e.DstIndex == event.NoNode {
		r.dropped(e)
		r.Unroutable++
		n.totals.Unroutable++
		n.tl.dropped(e.SentUS)
		return
	}
	if len(n.windows) > 0 {
		if w := n.crashed(e.Dst, e.TimeUS); w != nil {
			n.fault(r, w, e, e.SentUS)
			return
		}
	}
	r.Delivered++
	n.totals.Delivered++
	r.Latency.Add(e.LatencyUS)
	n.tl.delivered(e.TimeUS, e.LatencyUS)
	deliver(*e)
}

func (n *Network) fault(r *Route, w *window, e *event.Event, sent int64) {
	r.dropped(e)
	r.Faulted++
	n.totals.Faulted++
	w.dropped++
	n.tl.dropped(sent)
}

// Next returns the time of the earliest queued message and whether there is
// one.
func (n *Network) Next() (int64, bool) {
	if n.q.Len() == 0 {
		return 0, false
	}
	return n.q.Peek().TimeUS, true
}

// InFlight returns the number of queued messages.
func (n *Network) InFlight() int64 { return int64(n.q.Len()) }

// Totals returns the network-wide counters.
func (n *Network) Totals() Totals { return n.totals }

// Routes returns every pair that carried a message, sorted by (src, dst).
func (n *Network) Routes() []*Route {
	rs := make([]*Route, 0, len(n.routes))
	for _, r := range n.routes {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Src != rs[j].Src {
			return rs[i].Src < rs[j].Src
		}
		return rs[i].Dst < rs[j].Dst
	})
	return rs
}

// String names a route src->dst.
func (r *Route) String() string { return r.Src + "->" + dstName(r.Dst) }

func dstName(d string) string {
	if d == "" {
		return "(none)"
	}
	return strconv.Quote(d)[1 : len(d)+1]
}
