package netmodel

import "sort"

// Histogram counts integer latencies exactly, so percentiles are exact and
// memory grows with distinct values, not with messages.
type Histogram struct {
	Count    int64
	Sum      int64
	Min, Max int64
	counts   map[int64]int64
}

// Add records one latency in microseconds.
func (h *Histogram) Add(v int64) {
	if h.counts == nil {
		h.counts = map[int64]int64{}
		h.Min, h.Max = v, v
	}
	h.Count++
	h.Sum += v
	h.Min = min(h.Min, v)
	h.Max = max(h.Max, v)
	h.counts[v]++
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for v, c := range o.counts {
		if h.counts == nil {
			h.counts = map[int64]int64{}
			h.Min, h.Max = v, v
		}
		h.counts[v] += c
		h.Count += c
		h.Sum += v * c
		h.Min = min(h.Min, v)
		h.Max = max(h.Max, v)
	}
}

// Mean returns the average, 0 when empty.
func (h *Histogram) Mean() float64 {
	if h.Count == 0 {
		return 0
	}
	return float64(h.Sum) / float64(h.Count)
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
	vals := make([]int64, 0, len(h.counts))
	for v := range h.counts {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
	var seen int64
	for _, v := range vals {
		seen += h.counts[v]
		if seen >= rank {
			return v
		}
	}
	return h.Max
}
