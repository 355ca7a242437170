package sim

import "github.com/xedgesim/simulate/pkg/sim/node"

// calendar holds the nodes' next internal events by quantum: a ring of
// buckets, one per quantum of a window ahead of virtual time, and a heap
// for what lies beyond. The kernel only ever asks which nodes have an
// event before the end of a quantum, so within a bucket no order is kept,
// and a push or a pop costs the same whatever the number of pending
// events: periodic fleets (a million sensors every 10 s) stay at O(1) per
// event where a heap costs O(log n).
//
// Entries go stale when a node's next time changes; wakeAt holds the one
// that counts, and stale entries are dropped when met.
type calendar struct {
	quantum int64
	buckets [][]int32 // node indexes; bucket j&mask holds quantum j
	mask    int64
	// cur is the window's start: no entry is before it. hint is where
	// the search for the first live entry resumes: the buckets from cur
	// to it hold none.
	cur, hint int64
	// far holds entries at or after cur+len(buckets), by time.
	far    wakeHeap
	wakeAt []int64
	n      int // entries in buckets, stale ones included
}

// maxCalendarBuckets bounds the window: 65,536 quanta (65 s at upstream's
// 1 ms quantum) covers the reporting periods of edge fleets, for 1.5 MiB.
// Small scenarios get a window of about one bucket per node, so a run of
// four nodes does not allocate (and scan) a large ring.
const maxCalendarBuckets = 1 << 16

func newCalendar(quantum int64, wakeAt []int64) *calendar {
	n := 64
	for n < len(wakeAt) && n < maxCalendarBuckets {
		n *= 2
	}
	return &calendar{quantum: quantum, buckets: make([][]int32, n), mask: int64(n - 1), wakeAt: wakeAt}
}

// push records that node idx has an event at t.
func (c *calendar) push(t int64, idx int32) {
	j := max(t/c.quantum, c.cur)
	if j-c.cur >= int64(len(c.buckets)) {
		c.far.Push(wake{t: t, idx: idx})
		return
	}
	b := &c.buckets[j&c.mask]
	*b = append(*b, idx)
	c.n++
	c.hint = min(c.hint, j)
}

// live tells whether node idx, met in quantum j's bucket, has its event
// there.
func (c *calendar) live(idx int32, j int64) bool {
	w := c.wakeAt[idx]
	return w != node.Never && max(w/c.quantum, c.cur) == j
}

// first returns the first quantum holding a live event, or false when
// none does. The window moves up to floor, before which nothing will be
// pushed any more.
func (c *calendar) first(floor int64) (int64, bool) {
	for {
		if c.n == 0 {
			for c.far.Len() > 0 && c.far.Peek().t != c.wakeAt[c.far.Peek().idx] {
				c.far.Pop() // stale
			}
			if c.far.Len() == 0 {
				return 0, false
			}
			j := max(c.far.Peek().t/c.quantum, c.cur)
			if j > floor {
				return j, true
			}
			c.advance(j)
			continue
		}
		j := c.hint
		b := c.buckets[j&c.mask]
		kept := b[:0]
		for _, idx := range b {
			if c.live(idx, j) {
				kept = append(kept, idx)
			}
		}
		c.n -= len(b) - len(kept)
		clear(b[len(kept):])
		c.buckets[j&c.mask] = kept
		if len(kept) > 0 {
			return j, true
		}
		c.hint++
		if c.hint <= floor {
			c.advance(c.hint)
		}
	}
}

// popBefore calls fn for every live entry in the quanta before end (an
// event before the target end*quantum), removing them. Nothing is pushed
// before end-1 afterwards.
func (c *calendar) popBefore(end int64, fn func(idx int32)) {
	for {
		j, ok := c.first(end - 1)
		if !ok || j >= end {
			return
		}
		b := c.buckets[j&c.mask]
		c.buckets[j&c.mask] = b[:0]
		c.n -= len(b)
		for _, idx := range b {
			// A node can be in the bucket twice (pushed again at the same
			// time after a crash); the first pop consumes it.
			if c.live(idx, j) {
				fn(idx)
			}
		}
	}
}

// advance moves the window's start to j, past empty quanta, and takes in
// the far entries the window now covers.
func (c *calendar) advance(j int64) {
	c.cur = j
	c.hint = max(c.hint, j)
	end := c.cur + int64(len(c.buckets))
	for c.far.Len() > 0 && c.far.Peek().t/c.quantum < end {
		w := c.far.Pop()
		if w.t != c.wakeAt[w.idx] {
			continue
		}
		jw := max(w.t/c.quantum, c.cur)
		b := &c.buckets[jw&c.mask]
		*b = append(*b, w.idx)
		c.n++
		c.hint = min(c.hint, jw)
	}
}
