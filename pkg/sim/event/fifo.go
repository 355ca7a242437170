package event

// Timed is an event with a sequence number that makes its order total:
// earlier time first, then earlier insertion.
type Timed struct {
	Event
	seq uint64
}

// Queue is a min-heap ordered by (TimeUS, insertion order). Unlike HeapQ its
// order never depends on how the heap happens to be laid out, so it is the
// kernel's own queue (in-flight messages, where upstream's would raise on a
// tie).
type Queue struct {
	h   []Timed
	seq uint64
}

// Len returns the number of queued events.
func (q *Queue) Len() int { return len(q.h) }

// Peek returns the earliest event; it panics on an empty queue.
func (q *Queue) Peek() *Event { return &q.h[0].Event }

func (q *Queue) less(i, j int) bool {
	a, b := &q.h[i], &q.h[j]
	if a.TimeUS != b.TimeUS {
		return a.TimeUS < b.TimeUS
	}
	return a.seq < b.seq
}

// Push adds e after every queued event with the same time.
func (q *Queue) Push(e Event) {
	q.seq++
	q.h = append(q.h, Timed{Event: e, seq: q.seq})
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

// Pop removes and returns the earliest event.
func (q *Queue) Pop() Event {
	n := len(q.h) - 1
	top := q.h[0].Event
	q.h[0] = q.h[n]
	q.h[n] = Timed{}
	q.h = q.h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}
