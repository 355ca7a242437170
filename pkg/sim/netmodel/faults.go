package netmodel

import (
	"path"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// window is one fault as the network applies it: active for messages sent
// (or, for a crashed node, arriving) in [from, to).
type window struct {
	f        scenario.Fault
	from, to int64
	group    map[string]int // partition: node -> group
	dropped  int64
}

func (w *window) active(t int64) bool { return t >= w.from && t < w.to }

func (w *window) matches(src, dst string) bool {
	return glob(w.f.Link.Src, src) && glob(w.f.Link.Dst, dst)
}

func glob(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	ok, _ := path.Match(pattern, s)
	return ok
}

func newWindows(faults []scenario.Fault, end int64) []*window {
	var ws []*window
	for _, f := range faults {
		w := &window{f: f, from: f.AtUS, to: end}
		switch {
		case f.Kind == scenario.FaultNodeCrash && f.RestartAfterUS != nil:
			w.to = f.AtUS + *f.RestartAfterUS
		case f.Kind != scenario.FaultNodeCrash && f.DurationUS > 0:
			w.to = f.AtUS + f.DurationUS
		}
		if f.Kind == scenario.FaultPartition {
			w.group = map[string]int{}
			for i, g := range f.Groups {
				for _, id := range g {
					w.group[id] = i
				}
			}
		}
		ws = append(ws, w)
	}
	return ws
}

// sendFault applies the faults active when a message is sent: it returns
// the window that drops it, if any, and the link as degraded.
func (n *Network) sendFault(src, dst string, t int64, l link) (*window, link) {
	var drop *window
	for _, w := range n.windows {
		if !w.active(t) {
			continue
		}
		switch w.f.Kind {
		case scenario.FaultLinkDown:
			if drop == nil && w.matches(src, dst) {
				drop = w
			}
		case scenario.FaultLinkDegrade:
			if w.matches(src, dst) {
				if w.f.LatencyUS != nil {
					l.latency = *w.f.LatencyUS
				}
				if w.f.LossRate != nil {
					l.loss = *w.f.LossRate
				}
			}
		case scenario.FaultPartition:
			gs, okS := w.group[src]
			gd, okD := w.group[dst]
			if drop == nil && okS && okD && gs != gd {
				drop = w
			}
		}
	}
	return drop, l
}

// crashed returns the node_crash window that has dst down at t.
func (n *Network) crashed(dst string, t int64) *window {
	for _, w := range n.windows {
		if isNodeFault(w.f.Kind) && w.f.Node == dst && w.active(t) {
			return w
		}
	}
	return nil
}

// isNodeFault tells whether kind takes a node down: node_crash, or
// node_pause (a frozen node receives nothing either).
func isNodeFault(kind string) bool {
	return kind == scenario.FaultNodeCrash || kind == scenario.FaultNodePause
}

// NodeUp ends node's crash windows at t: a container brought back by its
// restart policy receives messages again from then on.
func (n *Network) NodeUp(node string, t int64) {
	for _, w := range n.windows {
		if w.f.Kind == scenario.FaultNodeCrash && w.f.Node == node && w.active(t) {
			w.to = t
		}
	}
}

// FaultDrops returns how many messages each fault dropped, in the order
// of the scenario's faults.
func (n *Network) FaultDrops() []int64 {
	out := make([]int64, len(n.windows))
	for i, w := range n.windows {
		out[i] = w.dropped
	}
	return out
}
