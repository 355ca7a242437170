package node

import "math"

// SumMode selects how the gateway sums readings. CPython changed sum() of
// floats in 3.12 from a plain left fold to Neumaier's compensated sum; the
// last digit of the aggregate mean depends on which one ran.
type SumMode int

const (
	// SumPlain is CPython 3.11 and earlier, which produced upstream's
	// published m0 hash.
	SumPlain SumMode = iota
	// SumNeumaier is CPython 3.12 and later.
	SumNeumaier
	// SumArrival folds readings in arrival order as they come (Neumaier's
	// sum) and keeps none: for scenarios with device groups, which
	// upstream cannot run, so there is no upstream digit to reproduce, and
	// a million devices reporting for an hour would otherwise keep 2.9 GB
	// of readings.
	SumArrival
)

// aggregator keeps the gateway's readings grouped by sample id in
// first-seen order, which is the order upstream iterates its dict of lists
// in, so the floating-point sum comes out identical. Summing everything at
// every aggregation would cost O(n²) over a long run; instead the sum state
// after each group is cached and only groups changed since the last
// aggregation are folded again.
type aggregator struct {
	mode     SumMode
	groups   []group
	index    map[int64]int
	dirty    int // first group changed since the last sum
	count    int64
	min, max float64
	arrived  sumState // SumArrival's running sum
}

type group struct {
	vals  []float64
	after sumState // sum state after this group, valid below dirty
}

type sumState struct{ f, c float64 }

func newAggregator(mode SumMode) aggregator {
	return aggregator{mode: mode, index: map[int64]int{}, min: math.Inf(1), max: math.Inf(-1)}
}

func (a *aggregator) add(key int64, v float64) {
	if a.mode == SumArrival {
		a.arrived = a.step(a.arrived, v)
		a.count++
		a.min, a.max = min(a.min, v), max(a.max, v)
		return
	}
	i, ok := a.index[key]
	if !ok {
		i = len(a.groups)
		a.index[key] = i
		a.groups = append(a.groups, group{})
	}
	a.groups[i].vals = append(a.groups[i].vals, v)
	a.dirty = min(a.dirty, i)
	a.count++
	// min() and max() keep the first of equal values; only NaN could tell.
	if v < a.min {
		a.min = v
	}
	if v > a.max {
		a.max = v
	}
}

// sum returns sum(all readings) as CPython computes it.
func (a *aggregator) sum() float64 {
	if a.mode == SumArrival {
		return a.arrived.f + a.arrived.c
	}
	var s sumState
	if a.dirty > 0 {
		s = a.groups[a.dirty-1].after
	}
	for i := a.dirty; i < len(a.groups); i++ {
		for _, x := range a.groups[i].vals {
			s = a.step(s, x)
		}
		a.groups[i].after = s
	}
	a.dirty = len(a.groups)
	if a.mode == SumNeumaier && s.c != 0 && !math.IsInf(s.c, 0) && !math.IsNaN(s.c) {
		return s.f + s.c
	}
	return s.f
}

func (a *aggregator) step(s sumState, x float64) sumState {
	t := s.f + x
	if a.mode != SumPlain {
		if math.Abs(s.f) >= math.Abs(x) {
			s.c += (s.f - t) + x
		} else {
			s.c += (x - t) + s.f
		}
	}
	s.f = t
	return s
}
