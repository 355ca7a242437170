package event

// HeapQ is a min-heap of events ordered by TimeUS only, with the exact
// push/pop algorithm of CPython's heapq. Events with equal times come out in
// the order heapq's sift operations leave them, which is what upstream's
// node models do; reproducing it keeps CSV rows in upstream's order.
//
// The heap moves 16-byte keys (time, slot); the events stay in their slots
// of a slab. An Event is ~150 bytes, and a gateway's queue sifts every
// message it processes.
type HeapQ struct {
	h    []heapKey
	slab []Event
	free []int32
	// held is the slot PopRef handed out plus one (0: none); it is
	// freed at the next change.
	held int32
}

type heapKey struct {
	t    int64
	slot int32
}

// Len returns the number of queued events.
func (q *HeapQ) Len() int { return len(q.h) }

// Peek returns the earliest event without removing it; the pointer is
// valid until the next Push. It panics on an empty queue, like indexing
// heap[0].
func (q *HeapQ) Peek() *Event { return &q.slab[q.h[0].slot] }

// Push adds e (heapq.heappush).
func (q *HeapQ) Push(e Event) { q.PushAt(&e, e.TimeUS) }

// PushAt adds a copy of e at time t (heapq.heappush) and returns the copy,
// valid until the next change, for the caller to finish: a gateway turns
// a message into its processing event without copying it twice.
func (q *HeapQ) PushAt(e *Event, t int64) *Event {
	q.release()
	var s int32
	if n := len(q.free); n > 0 {
		s = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[s] = *e
	} else {
		s = int32(len(q.slab)) // #nosec G115 -- a queue far below 2^31 events
		q.slab = append(q.slab, *e)
	}
	q.slab[s].TimeUS = t
	q.h = append(q.h, heapKey{t: t, slot: s})
	q.siftDown(0, len(q.h)-1)
	return &q.slab[s]
}

// Pop removes and returns the earliest event (heapq.heappop).
func (q *HeapQ) Pop() Event {
	p := q.PopRef()
	e := *p
	q.release()
	return e
}

// PopRef removes the earliest event (heapq.heappop) and returns it in
// place: the pointer is valid until the next change of the queue.
func (q *HeapQ) PopRef() *Event {
	q.release()
	n := len(q.h) - 1
	last := q.h[n]
	q.h = q.h[:n]
	top := last
	if n > 0 {
		top = q.h[0]
		q.h[0] = last
		q.siftUp(0)
	}
	q.held = top.slot + 1
	return &q.slab[top.slot]
}

// release frees the slot PopRef handed out.
func (q *HeapQ) release() {
	if q.held == 0 {
		return
	}
	s := q.held - 1
	q.held = 0
	q.slab[s] = Event{} // drop references for the collector
	q.free = append(q.free, s)
}

// siftDown is heapq._siftdown: move the item at pos up towards start while
// it is smaller than its parent.
func (q *HeapQ) siftDown(start, pos int) {
	h := q.h
	item := h[pos]
	for pos > start {
		parent := (pos - 1) >> 1
		if item.t < h[parent].t {
			h[pos] = h[parent]
			pos = parent
			continue
		}
		break
	}
	h[pos] = item
}

// siftUp is heapq._siftup: bubble the smaller child up until a leaf is
// reached, then sift the item into place. It takes the right child unless
// the left is strictly smaller, as heapq does.
func (q *HeapQ) siftUp(pos int) {
	h := q.h
	end := len(h)
	start := pos
	item := h[pos]
	child := 2*pos + 1
	for child < end {
		right := child + 1
		if right < end && !(h[child].t < h[right].t) {
			child = right
		}
		h[pos] = h[child]
		pos = child
		child = 2*pos + 1
	}
	h[pos] = item
	q.siftDown(start, pos)
}
