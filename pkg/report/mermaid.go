package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Mermaid xychart-beta charts for summary.md. GitHub renders them in the
// step summary; xychart has no legend, so the colours are pinned and named
// in the title.

// The palette the HTML report uses too, so both read the same.
const (
	colorAvg       = "#2563eb" // blue: average latency
	colorMax       = "#f97316" // orange: maximum latency
	colorDelivered = "#16a34a" // green
	colorDropped   = "#dc2626" // red
	colorFault     = "#fbbf24" // amber: fault windows
	faultOpacity   = 0.35
)

// mermaidLatency draws latency over virtual time as bars, the maximum
// behind the average: xychart's lines cannot break, and a slice in which
// nothing was delivered has no latency, so it shows as a gap (no bar), not
// as 0 ms.
func mermaidLatency(w *bytes.Buffer, r Run) {
	b := downsample(r.Timeline, mdChartPoints)
	top := 0.0
	for _, x := range b {
		top = max(top, finite(x.LatencyMaxMS), finite(x.LatencyAvgMS))
	}
	first, last := finite(b[0].StartS), finite(b[len(b)-1].StartS)
	if last <= first {
		last = first + 1
	}
	fmt.Fprintf(w, "```mermaid\n%%%%{init: {\"themeVariables\": {\"xyChart\": {\"plotColorPalette\": \"%s, %s\"}}}}%%%%\nxychart-beta\n", colorMax, colorAvg)
	fmt.Fprintf(w, "  title \"%s seed %d: latency (ms), avg blue, max orange; gaps: nothing delivered\"\n", mermaidText(r.Scenario), r.Seed)
	fmt.Fprintf(w, "  x-axis \"virtual time (s)\" %s --> %s\n", mermaidNumber(first), mermaidNumber(last))
	fmt.Fprintf(w, "  y-axis \"latency (ms)\" 0 --> %s\n", mermaidNumber(niceCeil(top)))
	bars := func(get func(Bucket) float64) {
		w.WriteString("  bar [")
		for i, x := range b {
			if i > 0 {
				w.WriteString(", ")
			}
			v := 0.0
			if x.Delivered > 0 {
				v = get(x)
			}
			w.WriteString(mermaidNumber(v))
		}
		w.WriteString("]\n")
	}
	bars(func(x Bucket) float64 { return x.LatencyMaxMS })
	bars(func(x Bucket) float64 { return x.LatencyAvgMS })
	w.WriteString("```\n\n")
}

// mermaidLinks draws, per link, a red bar of everything sent and a green bar
// of what was delivered over it: xychart overlays bars of one category, so
// the red left showing is what was dropped.
func mermaidLinks(w *bytes.Buffer, r Run) {
	links := topLinks(r.Network.Links, mdChartLinks)
	top := int64(0)
	for _, l := range links {
		top = max(top, l.PacketsDelivered+l.PacketsDropped)
	}
	fmt.Fprintf(w, "```mermaid\n%%%%{init: {\"themeVariables\": {\"xyChart\": {\"plotColorPalette\": \"%s, %s\"}}}}%%%%\nxychart-beta horizontal\n", colorDropped, colorDelivered)
	fmt.Fprintf(w, "  title \"%s seed %d: messages per link, delivered green, dropped red\"\n", mermaidText(r.Scenario), r.Seed)
	w.WriteString("  x-axis [")
	for i, l := range links {
		if i > 0 {
			w.WriteString(", ")
		}
		fmt.Fprintf(w, "\"%s\"", mermaidText(linkLabel(l)))
	}
	w.WriteString("]\n")
	fmt.Fprintf(w, "  y-axis \"messages\" 0 --> %s\n", mermaidNumber(niceCeil(float64(top))))
	bar := func(get func(Link) int64) {
		w.WriteString("  bar [")
		for i, l := range links {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString(strconv.FormatInt(get(l), 10))
		}
		w.WriteString("]\n")
	}
	bar(func(l Link) int64 { return l.PacketsDelivered + l.PacketsDropped })
	bar(func(l Link) int64 { return l.PacketsDelivered })
	w.WriteString("```\n\n")
	if n := len(r.Network.Links) - len(links); n > 0 {
		fmt.Fprintf(w, "_%d of %d links shown: those that dropped most, then the busiest._\n\n", len(links), len(r.Network.Links))
	}
}

// mermaidNumber prints a plain decimal: xychart's parser takes no exponent.
func mermaidNumber(v float64) string {
	return trimZeros(strconv.FormatFloat(finite(v), 'f', 3, 64))
}

// mermaidText keeps a label inside its quotes and out of Mermaid's markup:
// scenario and node names are PR content.
func mermaidText(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 48 {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			strings.ContainsRune(" _-.:/*→,()", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}
