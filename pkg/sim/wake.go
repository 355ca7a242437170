package sim

// wakeHeap orders nodes by the time of their next internal event, then by
// node index. Entries go stale when a node's next time changes; the kernel
// checks them against its record when popping.
type wakeHeap []wake

type wake struct {
	t   int64
	idx int32
}

func (h wakeHeap) less(i, j int) bool {
	if h[i].t != h[j].t {
		return h[i].t < h[j].t
	}
	return h[i].idx < h[j].idx
}

func (h *wakeHeap) push(w wake) {
	*h = append(*h, w)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *wakeHeap) pop() wake {
	s := *h
	n := len(s) - 1
	top := s[0]
	s[0] = s[n]
	s = s[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
