package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Geometry of the inline SVG charts of report.html. Everything is computed
// here as numbers and plain strings; the template only places them, so no
// scenario text can reach an SVG attribute other than as escaped text.

// niceStep is the tick step, 1, 2 or 5 times a power of ten, that splits
// [0, v] into about n intervals.
func niceStep(v float64, n int) float64 {
	v = finite(v)
	if v <= 0 || n <= 0 {
		return 1
	}
	raw := v / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / p; {
	case f <= 1:
		return p
	case f <= 2:
		return 2 * p
	case f <= 5:
		return 5 * p
	default:
		return 10 * p
	}
}

// niceCeil rounds v up to a round axis end.
func niceCeil(v float64) float64 {
	v = finite(v)
	if v <= 0 {
		return 1
	}
	step := niceStep(v, 5)
	return math.Ceil(v/step-1e-9) * step
}

// svgNum prints a coordinate with one decimal, enough on screen and stable
// in golden files.
func svgNum(v float64) string {
	return trimZeros(strconv.FormatFloat(finite(v), 'f', 1, 64))
}

type svgTick struct {
	Pos   string // x or y in the chart's coordinates
	Label string
}

// svgRect is a shaded window or a bar, with a tooltip.
type svgRect struct {
	X, Y, W, H string
	Title      string
}

// lineChart is the latency-over-virtual-time chart.
type lineChart struct {
	Width, Height          int
	Left, Top, Right, Base string // plot area edges
	XTicks, YTicks         []svgTick
	// Avg and Max are polylines, one per stretch of buckets with data: a
	// bucket in which nothing was delivered has no latency and is a gap.
	Avg, Max []string
	Faults   []svgRect
	// Points tells how many buckets are drawn, for the caption.
	Points int
}

// Fixed sizes: the SVG scales with its viewBox, so these are proportions.
const (
	chartWidth   = 760
	chartHeight  = 280
	chartLeft    = 60
	chartRight   = 16
	chartTop     = 14
	chartBottom  = 40
	htmlPoints   = 400
	htmlMaxLinks = 30
)

func newLineChart(r Run) *lineChart {
	if len(r.Timeline) == 0 {
		return nil
	}
	b := downsample(r.Timeline, htmlPoints)
	// A bucket's value is drawn at its middle; its width is the step
	// between buckets, or what is left of the run for the last.
	width := 0.0
	if len(r.Timeline) > 1 {
		width = finite(r.Timeline[1].StartS - r.Timeline[0].StartS)
	}
	t0 := finite(r.Timeline[0].StartS)
	t1 := max(finite(r.VirtualTimeS), finite(r.Timeline[len(r.Timeline)-1].StartS)+width)
	for _, f := range r.Faults {
		t1 = max(t1, finite(f.EndS))
	}
	if t1 <= t0 {
		t1 = t0 + 1
	}
	top := 0.0
	for _, x := range b {
		top = max(top, finite(x.LatencyMaxMS), finite(x.LatencyAvgMS))
	}
	yStep := niceStep(top, 5)
	yTop := niceCeil(top)
	if top <= 0 {
		yStep, yTop = 0.2, 1
	}

	c := &lineChart{Width: chartWidth, Height: chartHeight, Points: len(b)}
	left, right := float64(chartLeft), float64(chartWidth-chartRight)
	ytop, base := float64(chartTop), float64(chartHeight-chartBottom)
	c.Left, c.Right, c.Top, c.Base = svgNum(left), svgNum(right), svgNum(ytop), svgNum(base)
	x := func(t float64) float64 { return left + (finite(t)-t0)/(t1-t0)*(right-left) }
	y := func(v float64) float64 { return base - finite(v)/yTop*(base-ytop) }

	for v := 0.0; v <= yTop*(1+1e-9); v += yStep {
		c.YTicks = append(c.YTicks, svgTick{Pos: svgNum(y(v)), Label: formatNumber(roundTo(v, yStep))})
	}
	xStep := niceStep(t1-t0, 8)
	for t := math.Ceil(t0/xStep) * xStep; t <= t1*(1+1e-9); t += xStep {
		c.XTicks = append(c.XTicks, svgTick{Pos: svgNum(x(t)), Label: formatNumber(roundTo(t, xStep))})
	}

	// Merged buckets are wider: place each at the middle of what it covers.
	per := (len(r.Timeline) + len(b) - 1) / len(b)
	var avg, mx []string
	var avgX, mxX []float64
	flush := func() {
		c.Avg = append(c.Avg, segment(avg, avgX))
		c.Max = append(c.Max, segment(mx, mxX))
		avg, mx, avgX, mxX = nil, nil, nil, nil
	}
	for i, bk := range b {
		if bk.Delivered == 0 {
			if len(avg) > 0 {
				flush()
			}
			continue
		}
		mid := bk.StartS + width*float64(per)/2
		if i == len(b)-1 {
			covered := len(r.Timeline) - i*per
			mid = bk.StartS + width*float64(covered)/2
		}
		px := x(mid)
		avg, avgX = append(avg, svgNum(y(bk.LatencyAvgMS))), append(avgX, px)
		mx, mxX = append(mx, svgNum(y(bk.LatencyMaxMS))), append(mxX, px)
	}
	if len(avg) > 0 {
		flush()
	}

	for _, f := range r.Faults {
		a, e := x(max(f.AtS, t0)), x(min(max(f.EndS, f.AtS), t1))
		if e-a < 2 { // a crash without downtime still shows
			e = a + 2
		}
		c.Faults = append(c.Faults, svgRect{
			X: svgNum(a), Y: c.Top, W: svgNum(e - a), H: svgNum(base - ytop),
			Title: fmt.Sprintf("%s %s, %s–%s s", f.Kind, f.Target, formatNumber(f.AtS), formatNumber(f.EndS)),
		})
	}
	return c
}

// segment is a polyline's points; a lone point becomes a short dash, which
// a polyline of one point would not draw.
func segment(ys []string, xs []float64) string {
	if len(xs) == 1 {
		return svgNum(xs[0]-2) + "," + ys[0] + " " + svgNum(xs[0]+2) + "," + ys[0]
	}
	pts := make([]string, len(xs))
	for i := range xs {
		pts[i] = svgNum(xs[i]) + "," + ys[i]
	}
	return strings.Join(pts, " ")
}

// roundTo removes the float noise that repeated addition of a step leaves.
func roundTo(v, step float64) float64 {
	digits := max(0, -int(math.Floor(math.Log10(step)))+1)
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// barChart is the delivered/dropped-per-link chart: one horizontal bar per
// link, green for delivered, red for dropped after it.
type barChart struct {
	Width, Height int
	LabelX        string // right edge of the link names
	Left, Right   string
	Ticks         []svgTick
	Bars          []linkBar
	Shown, Total  int
}

type linkBar struct {
	Y, TextY    string
	Label       string // possibly shortened; Full has the whole name
	Full        string
	Delivered   svgRect
	Dropped     svgRect
	Value, ValX string
}

const (
	barRow    = 24
	barLabels = 200
)

func newBarChart(r Run) *barChart {
	if len(r.Network.Links) == 0 {
		return nil
	}
	links := topLinks(r.Network.Links, htmlMaxLinks)
	top := int64(0)
	for _, l := range links {
		top = max(top, l.PacketsDelivered+l.PacketsDropped)
	}
	xTop := niceCeil(float64(top))
	step := niceStep(float64(top), 5)
	if top == 0 {
		step = 0.2
	}
	height := chartTop + len(links)*barRow + chartBottom - 10
	c := &barChart{Width: chartWidth, Height: height, Shown: len(links), Total: len(r.Network.Links)}
	left, right := float64(barLabels+8), float64(chartWidth-90)
	c.LabelX, c.Left, c.Right = svgNum(barLabels), svgNum(left), svgNum(right)
	x := func(v float64) float64 { return left + v/xTop*(right-left) }
	for v := 0.0; v <= xTop*(1+1e-9); v += step {
		c.Ticks = append(c.Ticks, svgTick{Pos: svgNum(x(v)), Label: formatNumber(roundTo(v, step))})
	}
	for i, l := range links {
		y0 := float64(chartTop + i*barRow)
		d, dr := float64(l.PacketsDelivered), float64(l.PacketsDropped)
		full := linkLabel(l)
		label := full
		if rs := []rune(label); len(rs) > 30 {
			label = string(rs[:29]) + "…"
		}
		c.Bars = append(c.Bars, linkBar{
			Y: svgNum(y0), TextY: svgNum(y0 + barRow/2 + 4), Label: label, Full: full,
			Delivered: svgRect{X: svgNum(left), Y: svgNum(y0 + 3), W: svgNum(x(d) - left), H: svgNum(barRow - 6),
				Title: fmt.Sprintf("%s: %d delivered", full, l.PacketsDelivered)},
			Dropped: svgRect{X: svgNum(x(d)), Y: svgNum(y0 + 3), W: svgNum(x(d+dr) - x(d)), H: svgNum(barRow - 6),
				Title: fmt.Sprintf("%s: %d dropped", full, l.PacketsDropped)},
			Value: fmt.Sprintf("%d / %d", l.PacketsDelivered, l.PacketsDropped),
			ValX:  svgNum(x(d+dr) + 6),
		})
	}
	return c
}

// Axis returns the y of the bar chart's axis line.
func (c *barChart) Axis() string { return svgNum(float64(chartTop + len(c.Bars)*barRow)) }

// TickY is where the bar chart's tick labels sit.
func (c *barChart) TickY() string { return svgNum(float64(chartTop+len(c.Bars)*barRow) + 16) }
