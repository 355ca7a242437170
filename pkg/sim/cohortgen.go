package sim

import (
	"sync"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// A generator runs a cohort's devices ahead of the kernel on another
// goroutine: the samples a quantum's devices draw (the Gaussian draws are
// a third of a sample's cost) are ready when the kernel's step comes, and
// the kernel, on its own goroutine, only routes them and runs the
// gateways. That is how a run uses a second core.
//
// A cohort's samples depend on nothing the kernel does but the crashes
// and restarts of its own devices, which are scheduled ahead (node_crash,
// node_pause): the generator applies them itself, in the kernel's order,
// before the quantum they fall in. So the samples, and the quanta in
// which the kernel must wake the cohort, are a function of the scenario
// alone, and the kernel consumes them in order: the run is the same with
// one core or two, and the same as per-device nodes.
//
// Not covered, so such a cohort runs in the kernel's goroutine: a device
// that receives a message while down drops its wake (kernel.schedule),
// which only the kernel sees. A cohort whose devices may crash runs there
// when anything may send to them (cohortAddressed, or an external node).
type generator struct {
	c        *cohort
	duration int64
	// actions are the crash actions of the cohort's devices, in the
	// kernel's order; down mirrors crashes.down for them.
	actions []crashAction
	down    map[int32]bool

	chunks chan *chunk // full, in order
	free   chan *chunk
	done   chan struct{}
	wg     sync.WaitGroup

	// The kernel's side: the chunk being taken and its next batch, apart
	// from the rest (see cohort).
	_   [128]byte
	cur *chunk
	at  int
	_   [128]byte
}

// chunk is a run of quanta the generator drew: batch i is quantum q[i],
// its events events[ends[i-1]:ends[i]].
type chunk struct {
	q      []int64
	ends   []int
	events []event.Event
	// Two chunks' headers on one cache line would have the generator's
	// appends to one cost the kernel a miss on the other.
	_ [128]byte
}

// newChunk makes a chunk at its full size, so that chunks never grow.
func newChunk() *chunk {
	// A device emits one sample a quantum (its interval is whole quanta):
	// a chunk stops below chunkEvents plus one.
	return &chunk{q: make([]int64, 0, chunkQuanta), ends: make([]int, 0, chunkQuanta), events: make([]event.Event, 0, chunkEvents+1)}
}

const (
	// chunkEvents and chunkQuanta bound a chunk: about 600 KB of events,
	// or 16,384 quanta of a sparse fleet (100 sensors wake a quantum in
	// ten). A hand-over costs both goroutines a wake-up, a few
	// microseconds: per chunk it is nothing per sample.
	chunkEvents = 4096
	chunkQuanta = 1 << 14
	// chunksAhead is how far the generator runs ahead.
	chunksAhead = 8
)

// startGenerator moves the drawing of f's samples to a goroutine. It
// takes over the crash actions of f's devices from c.
func startGenerator(f *cohort, c *crashes, duration int64) {
	g := &generator{c: f, duration: duration, down: map[int32]bool{},
		chunks: make(chan *chunk, chunksAhead), free: make(chan *chunk, chunksAhead+2), done: make(chan struct{})}
	for _, a := range c.actions {
		if a.idx >= f.first && a.idx < f.end {
			g.actions = append(g.actions, a)
		}
	}
	for range chunksAhead + 2 {
		g.free <- newChunk()
	}
	f.gen = g
	g.wg.Add(1)
	go g.run()
}

// stop ends the goroutine and waits for it; the devices are the kernel's
// again.
func (g *generator) stop() {
	close(g.done)
	g.wg.Wait()
}

func (g *generator) run() {
	defer g.wg.Done()
	defer close(g.chunks)
	f := g.c
	ch := <-g.free
	next := 0 // g.actions[next:] are not applied yet
	for {
		j, ok := f.nextQuantum()
		if next < len(g.actions) {
			// The kernel applies what falls in a quantum at the start of
			// the step that ends it, before the nodes advance.
			if a := g.actions[next].t / f.quantum; a*f.quantum < g.duration && (!ok || a <= j) {
				for next < len(g.actions) && g.actions[next].t < (a+1)*f.quantum {
					g.apply(g.actions[next])
					next++
				}
				continue
			}
		}
		if !ok || j*f.quantum >= g.duration {
			break
		}
		// A quantum with more devices than a chunk holds (a fleet that
		// starts in step) goes out in several batches of the same quantum.
		for p := f.slotAt[j%f.slots]; p >= 0; {
			ch.events, p = f.emitQuantum(j, min((j+1)*f.quantum, g.duration), ch.events, p, chunkEvents)
			ch.q = append(ch.q, j)
			ch.ends = append(ch.ends, len(ch.events))
			if len(ch.events) >= chunkEvents || len(ch.q) >= chunkQuanta {
				if ch = g.send(ch); ch == nil {
					return
				}
			}
		}
	}
	if len(ch.q) > 0 {
		g.send(ch)
	}
}

// send hands a full chunk over and returns an empty one, or nil when the
// run ended.
func (g *generator) send(ch *chunk) *chunk {
	select {
	case g.chunks <- ch:
	case <-g.done:
		return nil
	}
	select {
	case ch := <-g.free:
		ch.q, ch.ends, ch.events = ch.q[:0], ch.ends[:0], ch.events[:0]
		return ch
	case <-g.done:
		return nil
	}
}

// apply is crashes.apply for one of the cohort's devices.
func (g *generator) apply(a crashAction) {
	dev := &g.c.devs[g.c.pos[a.idx-g.c.first]]
	switch {
	case !a.restart && !g.down[a.idx]:
		g.down[a.idx] = true
		if !a.pause {
			dev.Crash(a.t)
		}
	case a.restart && g.down[a.idx]:
		g.down[a.idx] = false
		if !a.pause {
			dev.Restart(a.t)
		}
		g.c.rescheduled(a.idx)
	}
}

// nextQuantum is the quantum of the next batch, waiting for the generator
// when it is behind.
func (g *generator) nextQuantum() (int64, bool) {
	for g.cur == nil || g.at == len(g.cur.q) {
		if g.cur != nil {
			g.free <- g.cur
			g.cur = nil
		}
		ch, ok := <-g.chunks
		if !ok {
			return 0, false
		}
		g.cur, g.at = ch, 0
	}
	return g.cur.q[g.at], true
}

// take appends the batches of the quanta before target.
func (g *generator) take(target int64, out []event.Event) []event.Event {
	last := ceilDiv(target, g.c.quantum) - 1
	for j, ok := g.nextQuantum(); ok && j <= last; j, ok = g.nextQuantum() {
		from := 0
		if g.at > 0 {
			from = g.cur.ends[g.at-1]
		}
		out = append(out, g.cur.events[from:g.cur.ends[g.at]]...)
		g.at++
	}
	return out
}

// cohortAddressed tells whether any node of sc may send to a device of
// the group entry: a built-in sensor or gateway whose destination is one,
// or any node whose destinations the run cannot see.
func cohortAddressed(sc *scenario.Scenario, entry scenario.Node) bool {
	for _, n := range sc.Nodes {
		var dst string
		switch {
		case n.Implementation != "" && n.Implementation != scenario.ImplPythonModel:
			return true
		case node.ModelOf(n) == node.ModelSensor:
			dst = "gateway"
			if d, ok := n.Config["dst"].(string); ok {
				dst = d
			}
		case node.ModelOf(n) == node.ModelGateway:
			dst, _ = n.Config["forward_to"].(string)
		case node.ModelOf(n) == node.ModelSink, node.ModelOf(n) == node.ModelMQTTBroker:
			continue
		default:
			return true
		}
		if _, member := entry.Member(dst); member {
			return true
		}
	}
	return false
}

// minDevicesPerSlot is how many devices a cohort's occupied slots hold on
// average, at least, for a generator to pay: a quantum's samples then go
// to the kernel together.
const minDevicesPerSlot = 4

// dense tells whether the cohort's quanta hold enough samples for a
// generator.
func (f *cohort) dense() bool {
	occupied := 0
	for s := range f.slots {
		if f.slotAt[s] < f.slotAt[s+1] {
			occupied++
		}
	}
	return len(f.devs) >= minDevicesPerSlot*occupied
}
