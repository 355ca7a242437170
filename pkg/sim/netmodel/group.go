package netmodel

import (
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// A device group's messages to its destination share one Route, named by
// the group's id template ("sensor{i}"), instead of one Route per device:
// a million routes scattered in memory cost a cache miss a message and
// ~200 bytes a device, and the report folds them into one row anyway.
// What the report still needs per device (what each dropped, for the
// group's offenders) is kept in a dense slice by device offset.

// group is a device group registered with AddGroup.
type group struct {
	first, end int32 // node indexes [first, end)
	dst        string
	route      *Route
	listed     bool // route is in Network.routes
	// drops is what each device dropped, by offset; allocated at the
	// first drop.
	drops []int64
}

// AddGroup makes the messages that the nodes [first, first+entry.Count)
// send to dst share one route named entry.ID (the template). It reports
// false, and changes nothing, when a configured link starts at one of the
// group's devices: that device has a link of its own, and the group keeps
// per-device routes.
func (n *Network) AddGroup(entry scenario.Node, dst string, first int32) bool {
	for p := range n.links {
		if _, member := entry.Member(p.src); member {
			return false
		}
	}
	g := &group{first: first, end: first + int32(entry.Count), dst: dst} // #nosec G115 -- the loader bounds Count by scenario.MaxGroupCount
	// Every device uses the default link (and its RNG), as its own route
	// would without a configured link.
	g.route = &Route{Src: entry.ID, Dst: dst, link: &n.def, group: g}
	n.groups = append(n.groups, g)
	return true
}

// groupRoute returns the route of e's group, or nil when its sender is in
// no group (or sends elsewhere than the group's destination).
func (n *Network) groupRoute(e *event.Event) *Route {
	for _, g := range n.groups {
		if e.SrcIndex >= g.first && e.SrcIndex < g.end && e.Dst == g.dst {
			if !g.listed {
				// Listed from the first message on, as a device's route is.
				n.routes[pair{g.route.Src, g.dst}] = g.route
				g.listed = true
			}
			return g.route
		}
	}
	return nil
}

// dropped counts a message of e's sender lost for good, when the route is
// a group's.
func (r *Route) dropped(e *event.Event) {
	g := r.group
	if g == nil {
		return
	}
	if g.drops == nil {
		g.drops = make([]int64, g.end-g.first)
	}
	g.drops[e.SrcIndex-g.first]++
}

// GroupDrops returns what each device of the group starting at node index
// first dropped, by offset; nil when none dropped anything or no such
// group was added.
func (n *Network) GroupDrops(first int32) []int64 {
	for _, g := range n.groups {
		if g.first == first {
			return g.drops
		}
	}
	return nil
}

// RouteGroup routes es, messages the devices of one group sent to the
// group's destination, in order, and reports whether it could: on the
// direct model without faults a message is delivered at once and
// unchanged, so what Route does for each comes down to counters, and the
// caller delivers es as they are. es[i].DstIndex must name a node.
// Otherwise it changes nothing and reports false: the caller routes them
// one by one.
func (n *Network) RouteGroup(es []event.Event) bool {
	if n.latencyModel || len(n.windows) > 0 || len(es) == 0 {
		return false
	}
	r := n.groupRoute(&es[0])
	if r == nil {
		return false
	}
	k := int64(len(es))
	r.Sent += k
	n.totals.Sent += k
	r.Delivered += k
	n.totals.Delivered += k
	for i := range es {
		e := &es[i]
		e.SentUS = e.TimeUS
		r.Latency.Add(e.LatencyUS)
		n.tl.delivered(e.TimeUS, e.LatencyUS)
	}
	return true
}
