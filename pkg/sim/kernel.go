package sim

import (
	"context"
	"fmt"
	bits64 "math/bits"
	"slices"
	"time"

	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// kernel is the coordinator's loop. Each executed step does what upstream's
// coordinator does for one quantum ending at target:
//  1. every node gets the messages pending for it and processes its
//     internal events earlier than target (nodes in scenario order);
//  2. the events they emit are routed in (node order, emission order);
//  3. the network hands over messages due at or before target.
//
// Messages routed in a step are delivered in the next one. A step is
// executed only if some node has pending messages, an internal event before
// its target, or a message falls due, or an external node needs it.
type kernel struct {
	nodes    []node.Node
	external []node.External // by index; nil for built-in nodes
	anyExt   bool
	// everyQuantum executes every quantum: external nodes need it.
	everyQuantum bool
	index        map[string]int32
	net          *netmodel.Network

	quantum, duration int64

	pending     [][]event.Event
	pendingList []int32
	wake        *calendar
	wakeFn      func(int32)
	wakeAt      []int64
	// active marks the nodes of the current step, one bit per node: walking
	// the words visits them in node order without sorting. activeList
	// holds the same nodes in marking order: when they are few beside the
	// words (a large cohort), sorting them is cheaper than the walk.
	active     []uint64
	activeList []int32
	out        []event.Event
	deliverFn  func(event.Event)

	lastDst string
	lastIdx int32

	crash *crashes

	// cohorts are the sensor groups run as one entity each (cohort.go),
	// by node index.
	cohorts []*cohort
	// segs are the runs of k.out a cohort emitted in the step, [from, to).
	segs [][2]int

	// emitted, when set, sees the events each node emitted in a step (after
	// crash filtering): the MQTT bus publishes the sensors' readings.
	emitted func(ctx context.Context, i int32, evs []event.Event) error

	// pace holds virtual time to the wall clock from paceStart on (a
	// black-box container takes part).
	pace      bool
	paceStart time.Time

	now   int64
	steps int64
}

func newKernel(nodes []node.Node, net *netmodel.Network, quantum, duration int64) *kernel {
	k := &kernel{
		nodes:    nodes,
		external: make([]node.External, len(nodes)),
		index:    make(map[string]int32, len(nodes)),
		net:      net,
		quantum:  quantum,
		duration: duration,
		pending:  make([][]event.Event, len(nodes)),
		wakeAt:   make([]int64, len(nodes)),
		active:   make([]uint64, (len(nodes)+63)/64),
		lastIdx:  event.NoNode,
	}
	for i, n := range nodes {
		// Upstream keys nodes by id in a dict: a duplicate id replaces the
		// earlier node. The loader rejects duplicates; keep the first here.
		if _, dup := k.index[n.ID()]; !dup {
			k.index[n.ID()] = int32(i)
		}
		if x, ok := n.(node.External); ok {
			k.external[i] = x
			k.anyExt = true
			k.everyQuantum = true
		}
	}
	k.deliverFn = k.deliver
	k.wake = newCalendar(quantum, k.wakeAt)
	k.wakeFn = func(i int32) {
		k.wakeAt[i] = node.Never
		k.mark(i)
	}
	return k
}

// schedule records a node's next internal event in the wake heap.
func (k *kernel) schedule(i int32) {
	if k.external[i] != nil {
		return
	}
	if f := k.cohortAt(i); f != nil {
		if f.gen == nil { // else the generator holds the wakes
			f.rescheduled(i)
		}
		return
	}
	t := k.nodes[i].Next()
	if t == k.wakeAt[i] {
		return // its entry stands: a node that got messages wakes as before
	}
	k.wakeAt[i] = t
	if t != node.Never {
		k.wake.push(t, i)
	}
}

func (k *kernel) resolve(dst string) int32 {
	if dst == k.lastDst && k.lastIdx != event.NoNode {
		return k.lastIdx
	}
	i, ok := k.index[dst]
	if !ok || dst == "" {
		return event.NoNode
	}
	k.lastDst, k.lastIdx = dst, i
	return i
}

func (k *kernel) deliver(e event.Event) {
	i := e.DstIndex
	if len(k.pending[i]) == 0 {
		k.pendingList = append(k.pendingList, i)
	}
	k.pending[i] = append(k.pending[i], e)
}

// nextTarget returns the end of the next quantum in which something happens,
// or -1 when nothing ever will.
func (k *kernel) nextTarget() int64 {
	next := k.now + k.quantum
	if k.everyQuantum || len(k.pendingList) > 0 {
		return min(next, k.duration)
	}
	best := int64(-1)
	consider := func(step int64) {
		t := max(step*k.quantum, next)
		if best < 0 || t < best {
			best = t
		}
	}
	if j, ok := k.wake.first(k.now / k.quantum); ok {
		// An internal event at t runs in the first quantum ending after t.
		consider(j + 1)
	}
	if d, ok := k.net.Next(); ok {
		// A message due at d is handed over at the first target >= d.
		consider(ceilDiv(d, k.quantum))
	}
	if a, ok := k.crash.nextTime(); ok {
		consider(a/k.quantum + 1)
	}
	for _, f := range k.cohorts {
		if j, ok := f.nextWake(); ok {
			consider(j + 1)
		}
	}
	if best < 0 {
		return -1
	}
	return min(best, k.duration)
}

func (k *kernel) run(ctx context.Context) error {
	for _, f := range k.cohorts {
		if f.ahead {
			startGenerator(f, k.crash, k.duration)
		}
	}
	defer func() {
		for _, f := range k.cohorts {
			if f.gen != nil {
				f.gen.stop()
			}
		}
	}()
	for i := range k.nodes {
		k.wakeAt[i] = node.Never
		if k.cohortAt(int32(i)) == nil { // a cohort holds its devices' wakes
			k.schedule(int32(i))
		}
	}
	for k.now < k.duration {
		if k.steps&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		target := k.nextTarget()
		if target < 0 {
			k.now = k.duration
			break
		}
		if err := k.waitUntil(ctx, target); err != nil {
			return err
		}
		if err := k.step(ctx, target); err != nil {
			return err
		}
		k.now = target
		k.steps++
	}
	return k.waitUntil(ctx, k.duration)
}

// waitUntil sleeps, when pacing, until the wall clock reaches virtual time
// t.
func (k *kernel) waitUntil(ctx context.Context, t int64) error {
	if !k.pace {
		return nil
	}
	d := time.Until(k.paceStart.Add(time.Duration(t) * time.Microsecond))
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// mark adds node i to the current step.
func (k *kernel) mark(i int32) {
	if w, b := &k.active[i>>6], uint64(1)<<(i&63); *w&b == 0 {
		*w |= b
		k.activeList = append(k.activeList, i)
	}
}

// each calls fn for every marked node in node order.
func (k *kernel) each(fn func(i int32) error) error {
	if len(k.activeList)*16 < len(k.active) {
		slices.Sort(k.activeList)
		for _, i := range k.activeList {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	for w, bits := range k.active {
		for bits != 0 {
			b := bits & -bits
			bits ^= b
			if err := fn(int32(w<<6 + bits64.TrailingZeros64(b))); err != nil { // #nosec G115 -- a node index, below the node count, which the loader bounds far under MaxInt32
				return err
			}
		}
	}
	return nil
}

func (k *kernel) step(ctx context.Context, target int64) error {
	k.crash.apply(k, target)
	for _, i := range k.pendingList {
		k.mark(i)
	}
	k.pendingList = k.pendingList[:0]
	// Targets are quantum ends but for the run's last, truncated one:
	// what falls after it, in its quantum, is never run.
	k.wake.popBefore(ceilDiv(target, k.quantum), k.wakeFn)
	for _, f := range k.cohorts {
		if j, ok := f.nextWake(); ok && j < ceilDiv(target, k.quantum) {
			f.due = true
			k.mark(f.first)
		}
	}
	if k.anyExt {
		for i, x := range k.external {
			if x != nil {
				k.mark(int32(i))
			}
		}
		// Phase 1: external nodes compute concurrently with the built-in
		// ones.
		err := k.each(func(i int32) error {
			if x := k.external[i]; x != nil {
				if err := x.Send(ctx, target, k.pending[i]); err != nil {
					return err
				}
				k.pending[i] = k.pending[i][:0]
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Phase 2: collect in node order.
	k.out = k.out[:0]
	err := k.each(func(i int32) error {
		if f := k.cohortAt(i); f != nil {
			k.advanceCohort(f, i, target)
			return nil
		}
		out := k.out
		from := len(out)
		var err error
		out, err = k.nodes[i].Advance(ctx, target, k.pending[i], out)
		if err != nil {
			return fmt.Errorf("advancing node %q to %d us: %w", k.nodes[i].ID(), target, err)
		}
		if _, crashes := k.crash.windows[i]; crashes {
			kept := out[:from]
			for _, e := range out[from:] {
				if !k.crash.isDown(i, e.TimeUS) {
					kept = append(kept, e)
				}
			}
			out = kept
		}
		for j := from; j < len(out); j++ {
			out[j].SrcIndex = i
		}
		if k.emitted != nil && len(out) > from {
			if err := k.emitted(ctx, i, out[from:]); err != nil {
				return err
			}
		}
		k.out = out
		clear(k.pending[i])
		k.pending[i] = k.pending[i][:0]
		// A woken node's wakeAt is Never (wakeFn); one that only got
		// messages keeps its entry unless its next event moved: pushing it
		// again every step would pile copies into one bucket.
		k.schedule(i)
		return nil
	})
	k.unmark()
	if err != nil {
		return err
	}
	if k.crash.anyDown {
		k.crash.recovered(k, target)
	}
	// Phase 3: route in collection order, then hand over what is due.
	out := k.out
	seg := 0
	for j := 0; j < len(out); j++ {
		if seg < len(k.segs) && k.segs[seg][0] == j {
			// A cohort's samples: one destination, routed at once when
			// the network allows.
			es := out[j:k.segs[seg][1]]
			seg++
			if dst := k.resolve(es[0].Dst); dst != event.NoNode && k.net.RouteGroup(es) {
				if len(k.pending[dst]) == 0 {
					k.pendingList = append(k.pendingList, dst)
				}
				for i := range es {
					es[i].DstIndex = dst
				}
				k.pending[dst] = append(k.pending[dst], es...)
				j += len(es) - 1
				continue
			}
		}
		out[j].DstIndex = k.resolve(out[j].Dst)
		k.net.Route(out[j], k.deliverFn)
	}
	k.segs = k.segs[:0]
	clear(out)
	k.out = out[:0]
	k.net.Deliver(target, k.deliverFn)
	return nil
}

// unmark empties the current step's set, at the cost of what it held.
func (k *kernel) unmark() {
	if len(k.activeList)*16 < len(k.active) {
		for _, i := range k.activeList {
			k.active[i>>6] = 0
		}
	} else {
		clear(k.active)
	}
	k.activeList = k.activeList[:0]
}

// cohortAt returns the cohort node i belongs to, or nil.
func (k *kernel) cohortAt(i int32) *cohort {
	for _, f := range k.cohorts {
		if i >= f.first && i < f.end {
			return f
		}
	}
	return nil
}

// advanceCohort is the step of node i, a cohort's device: the whole cohort's
// samples at its first device's place, then what was delivered to i. A
// cohort's samples skip k.emitted: a group whose devices publish on the
// MQTT or HTTP bus runs per device (newCohorts).
func (k *kernel) advanceCohort(f *cohort, i int32, target int64) {
	if i == f.first && f.due {
		f.due = false
		from := len(k.out)
		if k.out = f.emit(target, k.out); len(k.out) > from {
			k.segs = append(k.segs, [2]int{from, len(k.out)})
		}
	}
	if p := k.pending[i]; len(p) > 0 {
		f.receive(i, len(p))
		clear(p)
		k.pending[i] = p[:0]
	}
}
