package netmodel

import "sort"

// Histogram counts integer latencies exactly, so percentiles are exact and
// memory grows with distinct values, not with messages.
type Histogram struct {
	Count    int64
	Sum      Sum128
	Min, Max int64
	counts   map[int64]int64
	// run counts the last value added until another comes: a link of
	// fixed latency adds one value over and over, and a map access per
	// message was a tenth of the kernel's time.
	run  int64
	runN int64
}

// Add records one latency in microseconds.
func (h *Histogram) Add(v int64) {
	if h.Count == 0 {
		h.Min, h.Max = v, v
	}
	h.Count++
	h.Sum.add(v)
	h.Min = min(h.Min, v)
	h.Max = max(h.Max, v)
	if h.runN > 0 && v == h.run {
		h.runN++
		return
	}
	h.flush()
	h.run, h.runN = v, 1
}

// flush moves the run into the map.
func (h *Histogram) flush() {
	if h.runN == 0 {
		return
	}
	if h.counts == nil {
		h.counts = map[int64]int64{}
	}
	h.counts[h.run] += h.runN
	h.runN = 0
}

// each calls fn for every value and its count, the run included, without
// changing h (copies of a Histogram share its map).
func (h *Histogram) each(fn func(v, c int64)) {
	for v, c := range h.counts {
		if h.runN > 0 && v == h.run {
			c += h.runN
		}
		fn(v, c)
	}
	if _, in := h.counts[h.run]; h.runN > 0 && !in {
		fn(h.run, h.runN)
	}
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	h.flush()
	o.each(func(v, c int64) {
		if h.counts == nil {
			h.counts = map[int64]int64{}
		}
		if h.Count == 0 {
			h.Min, h.Max = v, v
		}
		h.counts[v] += c
		h.Count += c
		h.Sum.addMul(v, c)
		h.Min = min(h.Min, v)
		h.Max = max(h.Max, v)
	})
}

// Mean returns the average, 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.Count == 0 {
		return 0
	}
	return h.Sum.Float() / float64(h.Count)
}

// Quantile returns the nearest-rank q-quantile (0 < q <= 1): the smallest
// value with at least ceil(q*n) values at or below it. 0 when empty.
func (h *Histogram) Quantile(q float64) int64 {
	if h.Count == 0 {
		return 0
	}
	rank := int64(q * float64(h.Count))
	if float64(rank) < q*float64(h.Count) {
		rank++
	}
	rank = max(rank, 1)
	type vc struct{ v, c int64 }
	vals := make([]vc, 0, len(h.counts)+1)
	h.each(func(v, c int64) { vals = append(vals, vc{v, c}) })
	sort.Slice(vals, func(i, j int) bool { return vals[i].v < vals[j].v })
	var seen int64
	for _, x := range vals {
		seen += x.c
		if seen >= rank {
			return x.v
		}
	}
	return h.Max
}
