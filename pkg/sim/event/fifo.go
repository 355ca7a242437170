package event

// queueKey orders a queued event: earlier time first, then earlier
// insertion. The event itself waits in slot of the queue's slab, so the
// heap moves 24 bytes instead of an Event.
type queueKey struct {
	t    int64
	seq  uint64
	slot int32
}

func (a queueKey) Before(b queueKey) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.seq < b.seq
}

// Queue orders events by (TimeUS, insertion order). Unlike HeapQ its order
// never depends on how the heap happens to be laid out, so it is the
// kernel's own queue (in-flight messages, where upstream's would raise on a
// tie).
type Queue struct {
	h    MinHeap[queueKey]
	seq  uint64
	slab []Event
	free []int32
}

// Len returns the number of queued events.
func (q *Queue) Len() int { return q.h.Len() }

// Peek returns the earliest event; it panics on an empty queue. The
// pointer is valid until the next Push.
func (q *Queue) Peek() *Event { return &q.slab[q.h.Peek().slot] }

// Push adds e after every queued event with the same time.
func (q *Queue) Push(e Event) {
	q.seq++
	var s int32
	if n := len(q.free); n > 0 {
		s = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[s] = e
	} else {
		s = int32(len(q.slab)) // #nosec G115 -- a queue far below 2^31 events
		q.slab = append(q.slab, e)
	}
	q.h.Push(queueKey{t: e.TimeUS, seq: q.seq, slot: s})
}

// Pop removes and returns the earliest event.
func (q *Queue) Pop() Event {
	k := q.h.Pop()
	e := q.slab[k.slot]
	q.slab[k.slot] = Event{} // drop references for the collector
	q.free = append(q.free, k.slot)
	return e
}
