package event

// HeapQ is a min-heap of events ordered by TimeUS only, with the exact
// push/pop algorithm of CPython's heapq. Events with equal times come out in
// the order heapq's sift operations leave them, which is what upstream's
// node models do; reproducing it keeps CSV rows in upstream's order.
type HeapQ struct {
	h []Event
}

// Len returns the number of queued events.
func (q *HeapQ) Len() int { return len(q.h) }

// Peek returns the earliest event without removing it. It panics on an empty
// queue, like indexing heap[0].
func (q *HeapQ) Peek() *Event { return &q.h[0] }

// Push adds e (heapq.heappush).
func (q *HeapQ) Push(e Event) {
	q.h = append(q.h, e)
	q.siftDown(0, len(q.h)-1)
}

// Pop removes and returns the earliest event (heapq.heappop).
func (q *HeapQ) Pop() Event {
	n := len(q.h) - 1
	last := q.h[n]
	q.h[n] = Event{} // drop references for the collector
	q.h = q.h[:n]
	if n == 0 {
		return last
	}
	ret := q.h[0]
	q.h[0] = last
	q.siftUp(0)
	return ret
}

// siftDown is heapq._siftdown: move the item at pos up towards start while
// it is smaller than its parent.
func (q *HeapQ) siftDown(start, pos int) {
	h := q.h
	item := h[pos]
	for pos > start {
		parent := (pos - 1) >> 1
		if item.TimeUS < h[parent].TimeUS {
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
		if right < end && !(h[child].TimeUS < h[right].TimeUS) {
			child = right
		}
		h[pos] = h[child]
		pos = child
		child = 2*pos + 1
	}
	h[pos] = item
	q.siftDown(start, pos)
}
