package event

// MinHeap is a binary min-heap of values that order themselves. The kernel
// uses it for orders that must be total (time, then a tie-break), where
// CPython's heapq layout does not matter.
type MinHeap[T interface{ Before(T) bool }] struct {
	h []T
}

// Len returns the number of items.
func (q *MinHeap[T]) Len() int { return len(q.h) }

// Peek returns the least item; it panics on an empty heap.
func (q *MinHeap[T]) Peek() *T { return &q.h[0] }

// Push adds v.
func (q *MinHeap[T]) Push(v T) {
	q.h = append(q.h, v)
	h := q.h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].Before(h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// Pop removes and returns the least item.
func (q *MinHeap[T]) Pop() T {
	h := q.h
	n := len(h) - 1
	top := h[0]
	h[0] = h[n]
	var zero T
	h[n] = zero // drop references for the collector
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].Before(h[l]) {
			m = r
		}
		if !h[m].Before(h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	q.h = h
	return top
}
