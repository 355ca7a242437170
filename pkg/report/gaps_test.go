package report

import (
	"bytes"
	"strings"
	"testing"
)

// A slice of virtual time in which nothing was delivered has no latency:
// the HTML chart breaks its lines there and the Markdown chart leaves the
// slice empty, rather than drawing 0 ms.
func TestLatencyChartGaps(t *testing.T) {
	t.Parallel()
	r := Run{Summary: Summary{Scenario: "gaps", Seed: 1, VirtualTimeS: 6}}
	for i, d := range []int64{3, 2, 0, 0, 4, 0} {
		b := Bucket{StartS: float64(i), Delivered: d}
		if d > 0 {
			b.LatencyAvgMS, b.LatencyMaxMS = 10+float64(i), 20+float64(i)
		}
		r.Timeline = append(r.Timeline, b)
	}
	c := newLineChart(r)
	if len(c.Avg) != 2 || len(c.Max) != 2 {
		t.Fatalf("avg %q, max %q; want two stretches each, split at the gap", c.Avg, c.Max)
	}
	if n := strings.Count(c.Avg[0], " ") + 1; n != 2 {
		t.Errorf("first stretch %q: %d points, want 2", c.Avg[0], n)
	}
	// The lone bucket after the gap is a short dash at its own height.
	if pts := strings.Fields(c.Max[1]); len(pts) != 2 || strings.Split(pts[0], ",")[1] != strings.Split(pts[1], ",")[1] {
		t.Errorf("second stretch %q, want a level dash", c.Max[1])
	}
	var md bytes.Buffer
	mermaidLatency(&md, r)
	for _, want := range []string{"bar [20, 21, 0, 0, 24, 0]", "bar [10, 11, 0, 0, 14, 0]"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("mermaid chart lacks %q:\n%s", want, md.String())
		}
	}
}
