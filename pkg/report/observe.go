package report

import (
	"bytes"
	"fmt"
	"strings"
)

// observerRow is one observer of a run, formatted for the Markdown and
// HTML reports.
type observerRow struct {
	Name, Source, Messages, Rate, GapMax, Correlated, E2EGap, E2EP50, E2EP95, E2EMax string
}

func observerRows(r Run) []observerRow {
	var rows []observerRow
	for _, o := range r.Observers {
		row := observerRow{Name: o.Name, Source: o.Source, Messages: fmt.Sprint(o.Messages),
			Rate: formatNumber(round3(o.RatePerS)), GapMax: formatNumber(round3(o.GapMaxS)) + " s",
			Correlated: "—", E2EGap: "—", E2EP50: "—", E2EP95: "—", E2EMax: "—"}
		switch {
		case o.Failed == 1:
			row.Messages += " (1 poll failed)"
		case o.Failed > 1:
			row.Messages += fmt.Sprintf(" (%d polls failed)", o.Failed)
		}
		if o.E2EGapMaxS != nil {
			row.E2EGap = formatNumber(round3(*o.E2EGapMaxS)) + " s"
		}
		if o.Correlated > 0 {
			row.Correlated = fmt.Sprint(o.Correlated)
		}
		if o.E2E != nil {
			row.E2EP50, row.E2EP95, row.E2EMax = formatNumber(o.E2E.P50)+" ms", formatNumber(o.E2E.P95)+" ms", formatNumber(o.E2E.Max)+" ms"
		}
		rows = append(rows, row)
	}
	return rows
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// observersMarkdown is the table of what the run's observers saw.
func observersMarkdown(w *bytes.Buffer, r Run, h string) {
	rows := observerRows(r)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "%s Observed outputs (wall-clock)\n\n| Observer | Source | Messages | Rate (/s) | Longest gap | Readings followed | Longest without a new reading | e2e p50 | e2e p95 | e2e max |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n", h)
	for _, o := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(o.Name), mdCode(o.Source), o.Messages,
			o.Rate, o.GapMax, o.Correlated, o.E2EGap, o.E2EP50, o.E2EP95, o.E2EMax)
	}
	w.WriteString("\n")
}

// resourceRow is one container's resources, formatted.
type resourceRow struct {
	Node, MemoryPeak, CPUAvg, CPUPeak, OOMKills, Restarts string
	// Image is the platform and compressed size of the image that ran.
	Image string
}

func resourceRows(r Run) []resourceRow {
	var rows []resourceRow
	for _, n := range r.Nodes {
		x := n.Resources
		if x == nil {
			continue
		}
		mem := formatNumber(x.MemoryPeakMB) + " MiB"
		if x.MemoryLimitMB > 0 {
			mem += " of " + formatNumber(round3(x.MemoryLimitMB))
		}
		rows = append(rows, resourceRow{Node: n.ID, MemoryPeak: mem, CPUAvg: formatNumber(x.CPUAvgPct) + " %",
			CPUPeak: formatNumber(x.CPUPeakPct) + " %", OOMKills: fmt.Sprint(x.OOMKills), Restarts: fmt.Sprint(x.Restarts),
			Image: imageCell(n.Platform, x.ImageSizeMB)})
	}
	return rows
}

// resourcesMarkdown is the table of what the run's containers used.
func resourcesMarkdown(w *bytes.Buffer, r Run, h string) {
	rows := resourceRows(r)
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "%s Container resources (wall-clock)\n\n| Node | Memory peak | CPU avg | CPU peak | OOM kills | Restarts | Image |\n|---|---:|---:|---:|---:|---:|---:|\n", h)
	for _, x := range rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(x.Node), x.MemoryPeak, x.CPUAvg, x.CPUPeak, x.OOMKills, x.Restarts, mdEscape(x.Image))
	}
	w.WriteString("\n")
}

// imageCell says which platform's image ran and its compressed size.
func imageCell(platform string, sizeMB float64) string {
	var parts []string
	if platform != "" {
		parts = append(parts, platform)
	}
	if sizeMB > 0 {
		parts = append(parts, formatNumber(sizeMB)+" MiB")
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}
