package main

import (
	"fmt"
	"math"
	"os"
	"strings"
)

// Plot geometry, in SVG user units.
const (
	svgW, svgH   = 640, 400
	padL, padR   = 70, 20
	padT, padB   = 40, 50
	plotW, plotH = svgW - padL - padR, svgH - padT - padB
)

// writeGrowthSVG draws wall time against events: one point per fleet size
// (median, with a bar from min to max) and the fitted line. Hand-written
// SVG, so the plot needs nothing but a browser.
func writeGrowthSVG(path string, pts []fleetPoint, a, b, r2 float64) error {
	maxX, maxY := 0.0, 0.0
	for _, p := range pts {
		maxX, maxY = math.Max(maxX, p.events.Median), math.Max(maxY, p.wall.Max)
	}
	maxX, maxY = niceCeil(maxX), niceCeil(math.Max(maxY, a+b*maxX))
	px := func(x float64) float64 { return padL + x/maxX*plotW }
	py := func(y float64) float64 { return padT + plotH - y/maxY*plotH }

	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	fmt.Fprintf(&sb, `<rect width="%d" height="%d" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(&sb, `<text x="%d" y="22" font-size="14">xedgesim simulate: wall time against events (1 Hz sensors, 1 virtual hour)</text>`+"\n", padL)
	for i := 0; i <= 5; i++ {
		x, y := maxX*float64(i)/5, maxY*float64(i)/5
		fmt.Fprintf(&sb, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", px(x), padT, px(x), padT+plotH)
		fmt.Fprintf(&sb, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", padL, py(y), padL+plotW, py(y))
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(x), padT+plotH+16, fmtCount(x))
		fmt.Fprintf(&sb, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%g s</text>`+"\n", padL-6, py(y), round2(y))
	}
	fmt.Fprintf(&sb, `<text x="%d" y="%d" text-anchor="middle">events</text>`+"\n", padL+plotW/2, svgH-10)
	// The fit line starts where it crosses zero when its intercept is
	// negative, so it never leaves the plot.
	x0 := 0.0
	if a < 0 && b > 0 {
		x0 = -a / b
	}
	fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#c33" stroke-dasharray="6 4"/>`+"\n", px(x0), py(a+b*x0), px(maxX), py(a+b*maxX))
	for _, p := range pts {
		x := px(p.events.Median)
		fmt.Fprintf(&sb, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#36c"/>`+"\n", x, py(p.wall.Min), x, py(p.wall.Max))
		fmt.Fprintf(&sb, `<circle cx="%.1f" cy="%.1f" r="4" fill="#36c"><title>%d sensors: %.0f events, %.2f s</title></circle>`+"\n", x, py(p.wall.Median), p.sensors, p.events.Median, p.wall.Median)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="10">%d</text>`+"\n", x+6, py(p.wall.Median)-6, p.sensors)
	}
	fmt.Fprintf(&sb, `<text x="%d" y="%d" fill="#c33">fit: %.2f s + %.1f ns/event, R² = %.4f</text>`+"\n", padL+10, padT+16, a, b*1e9, r2)
	sb.WriteString("</svg>\n")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten, so axis ticks at
// fifths are round numbers.
func niceCeil(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if x <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func fmtCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%gM", round2(x/1e6))
	case x >= 1e3:
		return fmt.Sprintf("%gk", round2(x/1e3))
	default:
		return fmt.Sprintf("%g", x)
	}
}
