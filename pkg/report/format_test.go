package report

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFormatNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{42, "42"},
		{-3, "-3"},
		{1e12, "1000000000000"},
		{0.95, "0.95"},
		{0.987654321, "0.987654"},
		{12.34567, "12.346"},
		{1.5, "1.5"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "+Inf"},
	}
	for _, tc := range tests {
		if got := formatNumber(tc.in); got != tc.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFormatPair: a failure never reads as if actual and threshold were
// equal.
func TestFormatPair(t *testing.T) {
	t.Parallel()
	tests := []struct {
		actual, want float64
		a, w         string
	}{
		{0.95, 0.99, "0.95", "0.99"},
		{0.98999996, 0.99, "0.98999996", "0.99"},
		{50.0004, 50, "50.0004", "50"},
		{50, 50, "50", "50"},
	}
	for _, tc := range tests {
		a, w := formatPair(tc.actual, tc.want)
		if a != tc.a || w != tc.w {
			t.Errorf("formatPair(%v, %v) = %q, %q, want %q, %q", tc.actual, tc.want, a, w, tc.a, tc.w)
		}
	}
}

func TestSeedList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   []int64
		want string
	}{
		{[]int64{42}, "42"},
		{[]int64{1, 2, 3}, "1-3"},
		{[]int64{9, 1, 2, 5, 3, 10}, "1-3, 5, 9-10"},
		{[]int64{1, 1, 2}, "1-2"},
		{nil, ""},
	}
	for _, tc := range tests {
		if got := seedList(tc.in); got != tc.want {
			t.Errorf("seedList(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOutcomeText(t *testing.T) {
	t.Parallel()
	o := Outcome{Metric: "packet_delivery_rate", Operator: "gte", Value: 0.99, Actual: 0.95,
		Where: map[string]string{"src": "sensor*", "dst": "gateway1"}}
	if got, want := o.check(), "packet_delivery_rate >= 0.99 (dst=gateway1, src=sensor*)"; got != want {
		t.Errorf("check() = %q, want %q", got, want)
	}
	if got, want := o.name(), o.check(); got != want {
		t.Errorf("name() without description = %q, want %q", got, want)
	}
	if got, want := o.failureMessage(), "packet_delivery_rate = 0.95, want >= 0.99 (dst=gateway1, src=sensor*)"; got != want {
		t.Errorf("failureMessage() = %q, want %q", got, want)
	}
	for op, want := range map[string]string{"eq": "==", "lte": "<=", "gt": ">", "lt": "<", ">=": ">=", "GTE": ">="} {
		if got := opSymbol(op); got != want {
			t.Errorf("opSymbol(%q) = %q, want %q", op, got, want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]float64{0: 1, -5: 1, 0.3: 0.3, 7: 8, 41.26: 50, 399: 400, 1234: 1500, math.NaN(): 1} {
		if got := niceCeil(in); math.Abs(got-want) > 1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestDownsample(t *testing.T) {
	t.Parallel()
	in := []Bucket{
		{StartS: 0, Delivered: 1, Dropped: 1, LatencyAvgMS: 10, LatencyMaxMS: 10},
		{StartS: 1, Delivered: 3, LatencyAvgMS: 20, LatencyMaxMS: 30},
		{StartS: 2, Delivered: 2, LatencyAvgMS: 5, LatencyMaxMS: 6},
	}
	want := []Bucket{
		{StartS: 0, Delivered: 4, Dropped: 1, LatencyAvgMS: 17.5, LatencyMaxMS: 30},
		{StartS: 2, Delivered: 2, LatencyAvgMS: 5, LatencyMaxMS: 6},
	}
	if diff := cmp.Diff(want, downsample(in, 2)); diff != "" {
		t.Errorf("downsample() mismatch (-want +got):\n%s", diff)
	}
	if got := downsample(in, 10); len(got) != 3 {
		t.Errorf("downsample() of a short timeline changed it: %v", got)
	}
}

func TestMermaidText(t *testing.T) {
	t.Parallel()
	got := mermaidText(`a"b<script>]` + "\n" + strings.Repeat("x", 100))
	if strings.ContainsAny(got, "\"<>[]\n") {
		t.Errorf("mermaidText() = %q keeps markup", got)
	}
	if n := len([]rune(got)); n > 49 {
		t.Errorf("mermaidText() is %d runes, want at most 49", n)
	}
	if got := mermaidText("sensor1 → gateway1"); got != "sensor1 → gateway1" {
		t.Errorf("mermaidText() changed a plain label to %q", got)
	}
}
