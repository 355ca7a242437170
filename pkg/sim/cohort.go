package sim

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// A cohort runs a sensor group's devices as one entity of the kernel
// instead of a million nodes in its calendar and its step sets.
//
// Every device samples at the group's one interval, and a device's samples
// keep their phase for good (a restart skips whole intervals), so when the
// interval is a whole number of quanta the devices that sample in a
// quantum are the same every period: the quantum's slot, period/quantum
// of them. A cohort keeps its devices in slot order (device order within a
// slot), so a quantum's samples come from one contiguous run of memory in
// the order the kernel emits them (node order), and it keeps no queue per
// device: the cost of a sample does not grow with the fleet.
//
// What the calendar held per device, the cohort holds as wake: the time the
// kernel would wake the device at, which is its next sample while it is
// up and stays as it was when it crashes (the kernel wakes a crashed
// device once more, at the sample it missed, and the run counts that step).
//
// A group runs as per-device nodes, as before, when its interval is not a
// whole number of quanta (its slots would change from period to period),
// when a configured link starts at one of its devices (netmodel.AddGroup),
// or when its devices publish to a real broker or app (mqtt.go,
// httpsend.go).
type cohort struct {
	// due is set when the current step wakes the cohort: the kernel writes
	// it at every step, so it has a cache line of its own (see cursor).
	due bool
	_   [128]byte

	first, end int32 // node indexes [first, end)
	// ahead asks for a generator; gen, when set, draws the samples ahead
	// on another goroutine (cohortgen.go).
	ahead bool
	gen   *generator

	entry   scenario.Node
	quantum int64
	slots   int64 // period / quantum
	devs    []node.GroupSensor
	// pos is a device's position in devs by its offset; dev the reverse.
	pos, dev []int32
	// slotAt[s] is where slot s starts in devs; slotAt[slots] = len(devs).
	// nextSlot[s] is the first slot at or after s that has devices, slots
	// when none has.
	slotAt, nextSlot []int32
	wake             []int64 // by position; node.Never when the kernel holds none
	// filtered counts, by device offset, samples a pause window dropped
	// after the device counted them: its route did not carry them.
	filtered map[int32]int64
	// windows are the down windows of the cohort's devices (crashes):
	// what a device emits in them is dropped.
	windows map[int32][][2]int64

	// What follows changes at every quantum and, with a generator, on its
	// goroutine: apart from what the kernel reads at every step above,
	// or each write would cost the kernel's core a cache miss.
	_ [128]byte
	// cursor is the first quantum not processed yet; next the first at or
	// after it with a device to wake, when known.
	cursor    int64
	next      int64
	nextKnown bool
	_         [128]byte
}

// maxCohortSlots bounds a cohort's slot table (4 bytes a slot): an hour's
// interval at a 1 ms quantum.
const maxCohortSlots = 1 << 22

// newCohorts makes a cohort of each sensor group that can run as one. The
// nodes have started (a device's first sample is drawn then). It moves the
// devices into slot order and points nodes at their new places. A group
// whose devices also publish their readings (published, on the MQTT or
// HTTP bus) runs per device: the buses see each device's step.
func newCohorts(sc *scenario.Scenario, nodes []node.Node, net *netmodel.Network, quantum int64, c *crashes, published func(int32) bool) []*cohort {
	var fs []*cohort
	for _, s := range spans(sc) {
		if s.end > s.first && published(int32(s.first)) { // #nosec G115 -- a node index, which the loader bounds by scenario.MaxGroupCount
			continue
		}
		if f := newCohort(s, nodes, net, quantum); f != nil {
			f.windows = map[int32][][2]int64{}
			for i, ws := range c.windows {
				if i >= f.first && i < f.end {
					f.windows[i] = slices.Clone(ws)
				}
			}
			fs = append(fs, f)
		}
	}
	return fs
}

func newCohort(s groupSpan, nodes []node.Node, net *netmodel.Network, quantum int64) *cohort {
	n := s.end - s.first
	if n == 0 {
		return nil
	}
	first, ok := nodes[s.first].(*node.GroupSensor)
	if !ok {
		return nil
	}
	g := first.Group()
	devs := g.Members()
	period := g.Interval()
	if len(devs) != n || period%quantum != 0 || period/quantum > maxCohortSlots {
		return nil
	}
	for o, x := range nodes[s.first:s.end] {
		if x != node.Node(&devs[o]) {
			return nil // a device was replaced
		}
	}
	if !net.AddGroup(s.entry, g.Dst(), int32(s.first)) { // #nosec G115 -- a node index, which the loader bounds by scenario.MaxGroupCount
		return nil
	}
	slots := period / quantum
	f := &cohort{
		first: int32(s.first), end: int32(s.end), // #nosec G115 -- as above
		entry: s.entry, quantum: quantum, slots: slots,
		devs: devs, pos: make([]int32, n), dev: make([]int32, n),
		slotAt: make([]int32, slots+1), nextSlot: make([]int32, slots+1), wake: make([]int64, n),
		filtered: map[int32]int64{},
	}
	slotOf := func(d *node.GroupSensor) int64 { return d.At() % period / quantum }
	// A counting sort by slot keeps device order within a slot.
	for o := range devs {
		f.slotAt[slotOf(&devs[o])+1]++
	}
	for i := range slots {
		f.slotAt[i+1] += f.slotAt[i]
	}
	at := slices.Clone(f.slotAt[:slots])
	for o := range devs {
		sl := slotOf(&devs[o])
		f.pos[o] = at[sl]
		at[sl]++
	}
	f.nextSlot[slots] = int32(slots) // #nosec G115 -- slots <= maxCohortSlots
	for i := slots - 1; i >= 0; i-- {
		f.nextSlot[i] = f.nextSlot[i+1]
		if f.slotAt[i] < f.slotAt[i+1] {
			f.nextSlot[i] = int32(i) // #nosec G115 -- as above
		}
	}
	// Move the devices into slot order in place: each swap puts one
	// where it belongs (dev is scratch meanwhile).
	copy(f.dev, f.pos)
	for i := range f.dev {
		for int(f.dev[i]) != i {
			j := f.dev[i]
			devs[i], devs[j] = devs[j], devs[i]
			f.dev[i], f.dev[j] = f.dev[j], f.dev[i]
		}
	}
	for o, p := range f.pos {
		f.dev[p] = int32(o) // #nosec G115 -- offsets within the group
		f.wake[p] = devs[p].Next()
		nodes[s.first+o] = &devs[p]
	}
	return f
}

// quantumOf is the quantum an event at t falls in.
func (f *cohort) quantumOf(t int64) int64 { return t / f.quantum }

// nextQuantum returns the first quantum, from the cursor on, in which the
// kernel wakes a device of the cohort.
func (f *cohort) nextQuantum() (int64, bool) {
	if f.nextKnown {
		return f.next, f.next >= 0
	}
	f.nextKnown = true
	earliest := node.Never
	for j, limit := f.cursor, f.cursor+f.slots; j < limit; j++ {
		s := j % f.slots
		ns := int64(f.nextSlot[s])
		if ns == f.slots {
			j += f.slots - s - 1 // on to the next period's first slot
			continue
		}
		if j += ns - s; j >= limit {
			break
		}
		end := (j + 1) * f.quantum
		for p := f.slotAt[ns]; p < f.slotAt[ns+1]; p++ {
			w := f.wake[p]
			if w < end {
				f.next = j
				return j, true
			}
			earliest = min(earliest, w)
		}
	}
	// Nothing within a period: every device was looked at.
	if earliest == node.Never {
		f.next = -1
		return 0, false
	}
	f.next = f.quantumOf(earliest)
	return f.next, true
}

// rescheduled records that the device at node index i has a new wake.
func (f *cohort) rescheduled(i int32) {
	p := f.pos[i-f.first]
	w := f.devs[p].Next()
	f.wake[p] = w
	f.nextKnown = false // rare (restarts, messages to a device): look again
}

// receive counts n messages delivered to the device at node index i; the
// kernel then holds its wake anew. With a generator the wake stays: the
// device is up (cohortAddressed), so its wake is its next sample already.
func (f *cohort) receive(i int32, n int) {
	f.devs[f.pos[i-f.first]].Receive(n)
	if f.gen == nil {
		f.rescheduled(i)
	}
}

// nextWake is the first quantum, from the cursor on, in which the kernel
// wakes a device of the cohort.
func (f *cohort) nextWake() (int64, bool) {
	if f.gen != nil {
		return f.gen.nextQuantum()
	}
	return f.nextQuantum()
}

// emit appends, in node order, the samples of the devices the kernel wakes
// in the step to target, and what they emit. Node order is device order:
// a slot holds its devices in that order.
func (f *cohort) emit(target int64, out []event.Event) []event.Event {
	if f.gen != nil {
		return f.gen.take(target, out)
	}
	last := ceilDiv(target, f.quantum) - 1
	for j, ok := f.nextQuantum(); ok && j <= last; j, ok = f.nextQuantum() {
		out, _ = f.emitQuantum(j, target, out, f.slotAt[j%f.slots], math.MaxInt)
	}
	return out
}

// emitQuantum wakes the devices whose wake falls in quantum j, in the step
// to target, from position p of its slot on, and appends what they emit.
// It stops early once out holds limit events or more, and returns where
// it stopped, or -1 when the quantum is done.
func (f *cohort) emitQuantum(j, target int64, out []event.Event, p int32, limit int) ([]event.Event, int32) {
	s := j % f.slots
	end := (j + 1) * f.quantum
	for ; p < f.slotAt[s+1]; p++ {
		if len(out) >= limit {
			return out, p
		}
		if f.wake[p] >= end {
			continue
		}
		d := &f.devs[p]
		idx := f.first + f.dev[p]
		from := len(out)
		out, _ = d.Advance(context.Background(), target, nil, out) // a GroupSensor neither fails nor waits
		for e := from; e < len(out); e++ {
			out[e].SrcIndex = idx
		}
		if len(f.windows) > 0 {
			out = f.filter(idx, out, from)
		}
		f.wake[p] = d.Next()
	}
	f.cursor = j + 1
	f.nextKnown = false
	return out, -1
}

// filter drops what device idx emitted while down, as the kernel does for
// every node (crashes.windows).
func (f *cohort) filter(idx int32, out []event.Event, from int) []event.Event {
	ws, crashes := f.windows[idx]
	if !crashes {
		return out
	}
	kept := out[:from]
	for _, e := range out[from:] {
		down := false
		for _, w := range ws {
			down = down || e.TimeUS >= w[0] && e.TimeUS < w[1]
		}
		if !down {
			kept = append(kept, e)
		}
	}
	if n := len(out) - len(kept); n > 0 {
		f.filtered[idx-f.first] += int64(n)
	}
	return kept
}

// offenders returns the cohort's devices that dropped the most (worst
// first, ties in device order), at most topOffenders.
func (f *cohort) offenders(drops []int64) []Offender {
	var top []Offender
	for o, d := range drops {
		if d == 0 {
			continue
		}
		if len(top) == topOffenders && d <= top[len(top)-1].Dropped {
			continue
		}
		p := f.pos[o]
		x := Offender{ID: f.devs[p].ID(), Sent: f.devs[p].Stats().MessagesSent - f.filtered[int32(o)], Dropped: d} // #nosec G115 -- an offset within the group
		i, _ := slices.BinarySearchFunc(top, d, func(y Offender, d int64) int { return cmp.Compare(d, y.Dropped) })
		// Among equal drops the earlier device comes first: it was met
		// first, so it goes after them.
		for i < len(top) && top[i].Dropped == d {
			i++
		}
		top = slices.Insert(top, i, x)
		if len(top) > topOffenders {
			top = top[:topOffenders]
		}
	}
	return top
}
