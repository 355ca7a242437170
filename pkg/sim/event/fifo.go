package event

// timed is an event with a sequence number that makes its order total:
// earlier time first, then earlier insertion.
type timed struct {
	Event
	seq uint64
}

func (a timed) Before(b timed) bool {
	if a.TimeUS != b.TimeUS {
		return a.TimeUS < b.TimeUS
	}
	return a.seq < b.seq
}

// Queue orders events by (TimeUS, insertion order). Unlike HeapQ its order
// never depends on how the heap happens to be laid out, so it is the
// kernel's own queue (in-flight messages, where upstream's would raise on a
// tie).
type Queue struct {
	h   MinHeap[timed]
	seq uint64
}

// Len returns the number of queued events.
func (q *Queue) Len() int { return q.h.Len() }

// Peek returns the earliest event; it panics on an empty queue.
func (q *Queue) Peek() *Event { return &q.h.Peek().Event }

// Push adds e after every queued event with the same time.
func (q *Queue) Push(e Event) {
	q.seq++
	q.h.Push(timed{Event: e, seq: q.seq})
}

// Pop removes and returns the earliest event.
func (q *Queue) Pop() Event { return q.h.Pop().Event }
