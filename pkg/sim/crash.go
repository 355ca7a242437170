package sim

import (
	"sort"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// crashes schedules the node_crash faults: the kernel takes a node down at
// its crash time and brings it back at its restart time, at the start of
// the first step whose target lies after that time.
type crashes struct {
	actions []crashAction
	next    int
	// windows are each node's down times, to drop what an external node
	// emits while it is down (it keeps being advanced, as upstream
	// requires, but a crashed node sends nothing).
	windows  map[int32][][2]int64
	down     []bool
	restarts []int64
	// downAt is when each node went down; took the length of each of its
	// outages that ended in a restart, in virtual microseconds.
	downAt []int64
	took   [][]int64
	// anyDown is set once a node that recovers by itself crashed: the
	// kernel then asks after each step whether it is back.
	anyDown bool
}

type crashAction struct {
	t       int64
	idx     int32
	restart bool
	// pause: the action is node_pause's freeze or thaw (restart), which
	// counts no restart.
	pause bool
	// from is when the action's window began: of two windows that touch,
	// the earlier one's restart comes first.
	from int64
}

func newCrashes(faults []scenario.Fault, index map[string]int32, nodes int, end int64) *crashes {
	c := &crashes{windows: map[int32][][2]int64{}, down: make([]bool, nodes), restarts: make([]int64, nodes),
		downAt: make([]int64, nodes), took: make([][]int64, nodes)}
	for _, f := range faults {
		if f.Kind != scenario.FaultNodeCrash && f.Kind != scenario.FaultNodePause {
			continue
		}
		i, ok := index[f.Node]
		if !ok {
			continue
		}
		// The loader's window (its overlap check uses the same), with a
		// fault that never ends down until the end of the run.
		from, to, ends := f.Window()
		pause := f.Kind == scenario.FaultNodePause
		c.actions = append(c.actions, crashAction{t: from, idx: i, pause: pause, from: from})
		if ends {
			c.actions = append(c.actions, crashAction{t: to, idx: i, restart: true, pause: pause, from: from})
		} else {
			to = end
		}
		c.windows[i] = append(c.windows[i], [2]int64{from, to})
	}
	// Time order, then node order. The loader refuses windows that
	// overlap on one node (scenario's checkNodeFaults), so at one time a
	// node has at most the restart of a window that ends and the crash of
	// one that begins, and the restart comes first: two outages in a row
	// were one (the crash of a node still down was ignored, then the
	// restart brought it back). A window of no length crashes, then
	// restarts.
	sort.SliceStable(c.actions, func(a, b int) bool {
		x, y := c.actions[a], c.actions[b]
		if x.t != y.t {
			return x.t < y.t
		}
		if x.idx != y.idx {
			return x.idx < y.idx
		}
		if x.from != y.from {
			return x.from < y.from
		}
		return !x.restart && y.restart
	})
	return c
}

// nextTime returns the time of the next action, or false.
func (c *crashes) nextTime() (int64, bool) {
	if c.next >= len(c.actions) {
		return 0, false
	}
	return c.actions[c.next].t, true
}

// apply runs every action earlier than target.
func (c *crashes) apply(k *kernel, target int64) {
	for c.next < len(c.actions) && c.actions[c.next].t < target {
		a := c.actions[c.next]
		c.next++
		n := k.nodes[a.idx]
		cr, ok := n.(node.Crasher)
		if f := k.cohortAt(a.idx); f != nil && f.gen != nil {
			ok = false // its generator crashes and restarts the device
		}
		if a.pause {
			c.pause(k, a)
			continue
		}
		switch {
		case !a.restart && !c.down[a.idx]:
			c.down[a.idx] = true
			c.downAt[a.idx] = a.t
			if _, self := n.(node.Recoverer); self {
				c.anyDown = true
			}
			if ok {
				cr.Crash(a.t)
			}
		case a.restart && c.down[a.idx]:
			c.down[a.idx] = false
			c.restarts[a.idx]++
			c.took[a.idx] = append(c.took[a.idx], a.t-c.downAt[a.idx])
			if ok {
				cr.Restart(a.t)
			}
			k.wakeAt[a.idx] = node.Never
			k.schedule(a.idx)
		}
	}
}

// pause freezes or thaws a node for node_pause: it is down meanwhile, and
// a node that can be frozen (a container) is.
func (c *crashes) pause(k *kernel, a crashAction) {
	p, ok := k.nodes[a.idx].(node.Pauser)
	switch {
	case !a.restart && !c.down[a.idx]:
		c.down[a.idx] = true
		if ok {
			p.Pause(a.t)
		}
	case a.restart && c.down[a.idx]:
		c.down[a.idx] = false
		if ok {
			p.Unpause(a.t)
		}
		k.wakeAt[a.idx] = node.Never
		k.schedule(a.idx)
	}
}

// recovered brings back the crashed nodes that came back by themselves (a
// container under a restart policy): from target on they send and receive
// again.
func (c *crashes) recovered(k *kernel, target int64) {
	for i, down := range c.down {
		if !down {
			continue
		}
		r, ok := k.nodes[i].(node.Recoverer)
		if !ok {
			continue
		}
		if _, _, up := r.Recovery(); !up {
			continue
		}
		c.down[i] = false
		ws := c.windows[int32(i)]
		for j := range ws {
			if target >= ws[j][0] && target < ws[j][1] {
				ws[j][1] = target
			}
		}
		k.net.NodeUp(k.nodes[i].ID(), target)
	}
}

// isDown tells whether node i is down at t.
func (c *crashes) isDown(i int32, t int64) bool {
	for _, w := range c.windows[i] {
		if t >= w[0] && t < w[1] {
			return true
		}
	}
	return false
}

// crashed tells whether a node_crash fault hit node i during the run.
func (c *crashes) crashed(i int32) bool {
	for _, a := range c.actions[:c.next] {
		if a.idx == i && !a.restart && !a.pause {
			return true
		}
	}
	return false
}
