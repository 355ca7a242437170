package netmodel

import (
	"math"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// A latency sum does not wrap: a million messages of the longest latency a
// scenario allows add up to 3.2e19 us, past the int64 limit.
func TestLatencySumDoesNotWrap(t *testing.T) {
	t.Parallel()
	const lat = scenario.MaxLatencyUS
	const n = 1_000_000
	// One route's histogram, one message at a time (Add), and a report's
	// fold of a million such messages in one Merge.
	var added Histogram
	for range n {
		added.Add(lat)
	}
	var one Histogram
	one.Add(lat)
	one.runN = n // the same million messages, counted at once
	one.Count = n
	var merged Histogram
	merged.Merge(&one)
	for name, h := range map[string]*Histogram{"Add": &added, "Merge": &merged} {
		if got := h.Mean(); got != lat {
			t.Errorf("%s: mean %g, want %d", name, got, int64(lat))
		}
	}
	if added.Sum != merged.Sum {
		t.Errorf("Add's sum %+v, Merge's %+v", added.Sum, merged.Sum)
	}

	// The timeline's bucket of the same messages.
	tl := newTimeline(10)
	for range n {
		tl.delivered(0, lat)
	}
	b := tl.buckets[0]
	if got := b.LatencySum.Float() / float64(b.Delivered); got != lat {
		t.Errorf("timeline: mean %g, want %d", got, int64(lat))
	}
}

// Sum128 agrees with exact arithmetic on both signs and at the limits, and
// a sum that fits in an int64 converts as float64(int64) does.
func TestSum128(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		add  []int64
		mul  [][2]int64
		want float64
	}{
		{name: "empty", want: 0},
		{name: "small", add: []int64{1, 2, 3}, want: 6},
		{name: "negative", add: []int64{-5, 2}, want: -3},
		{name: "fits exactly", add: []int64{math.MaxInt64 - 1, 1}, want: float64(int64(math.MaxInt64))},
		{name: "past int64", add: []int64{math.MaxInt64, math.MaxInt64, 2}, want: 0x1p64},
		{name: "below int64", add: []int64{math.MinInt64, math.MinInt64}, want: -0x1p64},
		{name: "back down", add: []int64{math.MaxInt64, math.MaxInt64, -math.MaxInt64, -math.MaxInt64, 7}, want: 7},
		{name: "product", mul: [][2]int64{{math.MaxInt64, 4}}, want: 4 * float64(int64(math.MaxInt64))},
		{name: "negative product", mul: [][2]int64{{-3, 5}, {math.MinInt64, 2}}, want: -15 - 0x1p64},
		{name: "products cancel", mul: [][2]int64{{math.MaxInt64, 3}, {-math.MaxInt64, 3}, {1, 0}}, want: 0},
	}
	for _, c := range cases {
		var s Sum128
		for _, v := range c.add {
			s.add(v)
		}
		for _, m := range c.mul {
			s.addMul(m[0], m[1])
		}
		if got := s.Float(); got != c.want {
			t.Errorf("%s: %+v = %g, want %g", c.name, s, got, c.want)
		}
	}
	// float64 of an int64 sum is what reports printed before: unchanged.
	var s Sum128
	s.add(123456789)
	s.add(-1)
	if got, want := s.Float(), float64(int64(123456788)); got != want {
		t.Errorf("%g, want %g", got, want)
	}
}
