package report

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// The page is written by hand, not by html/template: parsing the template
// and working out its escaping contexts cost about 3 ms of every simulate
// run, a tenth of the whole process, to write a 10 KB file.
// report.html.tmpl stays the reference: TestHTMLMatchesTemplate renders it
// with html/template for every test suite and wants the same bytes, so a
// change to the page is made in both. Every value goes through esc, which
// escapes as html/template does in text, quoted attributes and RCDATA (the
// only contexts the page puts values in).

// htmlWriter collects the page.
type htmlWriter struct{ b bytes.Buffer }

// s writes literal markup.
func (w *htmlWriter) s(lit string) { w.b.WriteString(lit) }

// e writes a value, escaped.
func (w *htmlWriter) e(v string) { esc(&w.b, v) }

// n writes a number.
func (w *htmlWriter) n(v int64) { w.b.WriteString(strconv.FormatInt(v, 10)) }

// esc escapes s as html/template's HTML escaper does for a plain string:
// NUL, quotes, ampersand, plus and angle brackets; bytes that are not
// UTF-8 pass unchanged, as there.
func esc(b *bytes.Buffer, s string) {
	written := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		var repl string
		switch r {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		}
		if repl != "" {
			b.WriteString(s[written:i])
			b.WriteString(repl)
			written = i + w
		}
		i += w
	}
	b.WriteString(s[written:])
}

func writePage(p htmlPage) []byte {
	w := &htmlWriter{}
	w.b.Grow(16 << 10)
	w.s(pageHead)
	w.s("<title>")
	w.e(p.Title)
	w.s("</title>\n")
	w.s(pageStyle)
	w.s("<body>\n<main>\n<header class=\"verdict ")
	w.e(p.Verdict)
	w.s("\">\n<h1><span class=\"mark\">")
	if p.Verdict == "pass" {
		w.s("✔")
	} else {
		w.s("✖")
	}
	w.s("</span> xedgesim simulate: ")
	w.e(p.Verdict)
	w.s("</h1>\n<div>")
	w.e(p.Headline)
	w.s("</div>")
	if p.Runs > 1 {
		w.s("\n<div class=\"mute\">")
		w.n(int64(p.Counts.Pass))
		w.s(" of ")
		w.n(int64(p.Runs))
		w.s(" runs passed")
		if p.Counts.Fail != 0 {
			w.s(", ")
			w.n(int64(p.Counts.Fail))
			w.s(" failed")
		}
		if p.Counts.Error != 0 {
			w.s(", ")
			w.n(int64(p.Counts.Error))
			w.s(" errored")
		}
		w.s("</div>")
	}
	w.s("\n</header>")
	if p.Overview {
		w.s("\n<table id=\"overview\">\n<thead><tr><th>Scenario</th><th>File</th><th>Seeds</th><th class=\"num\">Passed</th><th class=\"num\">Failed</th><th class=\"num\">Errored</th><th>Verdict</th></tr></thead>\n<tbody>")
		for _, sc := range p.Scenarios {
			w.s("\n<tr><td>")
			w.e(sc.Name)
			w.s("</td><td class=\"file\">")
			w.e(sc.File)
			w.s("</td><td>")
			w.e(sc.Seeds)
			w.s("</td><td class=\"num\">")
			w.n(int64(sc.Counts.Pass))
			w.s("</td><td class=\"num\">")
			w.n(int64(sc.Counts.Fail))
			w.s("</td><td class=\"num\">")
			w.n(int64(sc.Counts.Error))
			w.s("</td><td>")
			w.badge(sc.Verdict)
			w.s("</td></tr>")
		}
		w.s("\n</tbody>\n</table>")
	}
	for _, sc := range p.Scenarios {
		w.scenario(sc)
	}
	w.listed("warnings", "⚠️ Warnings", p.Warnings)
	w.listed("notes", "ℹ️ Notes", p.Notes)
	w.s("\n<footer class=\"mute\"><p>Rendered by xedgesim simulate. Same scenario and seed, same report.</p></footer>\n</main>\n</body>\n</html>\n\n")
	return w.b.Bytes()
}

// listed writes the section id with its title and items, if any.
func (w *htmlWriter) listed(id, title string, items []htmlWarning) {
	if len(items) == 0 {
		return
	}
	w.s("\n<section id=\"" + id + "\">\n<h2>" + title + "</h2>\n<ul class=\"warnings\">")
	for _, x := range items {
		w.s("\n<li><b>")
		w.e(x.Scenario)
		w.s("</b>")
		if x.Where != "" {
			w.s(" <span class=\"mute\">(")
			w.e(x.Where)
			w.s(")</span>")
		}
		w.s(": ")
		w.e(x.Text)
		w.s("</li>")
	}
	w.s("\n</ul>\n</section>")
}

// badge writes <span class="badge V">V</span>.
func (w *htmlWriter) badge(v string) {
	w.s("<span class=\"badge ")
	w.e(v)
	w.s("\">")
	w.e(v)
	w.s("</span>")
}

func (w *htmlWriter) scenario(sc htmlScenario) {
	w.s("\n<section class=\"scenario\">\n<h2>")
	w.badge(sc.Verdict)
	w.s(" ")
	w.e(sc.Name)
	w.s(" <span class=\"mute\">")
	if sc.Sweep {
		w.s("seeds")
	} else {
		w.s("seed")
	}
	w.s(" ")
	w.e(sc.Seeds)
	w.s("</span></h2>\n<div class=\"file\">")
	w.e(sc.File)
	w.s("</div>")
	if sc.Sweep {
		w.s("\n<h3>Seeds: ")
		w.n(int64(sc.Counts.Pass))
		w.s(" of ")
		w.n(int64(len(sc.Runs)))
		w.s(" passed</h3>\n<table class=\"seeds\">\n<thead><tr><th class=\"num\">Seed</th><th>Verdict</th>")
		for _, c := range sc.Columns {
			w.s("<th class=\"num\" title=\"")
			w.e(c.Check)
			w.s(" at ")
			w.e(c.Location)
			w.s("\">")
			w.e(c.Name)
			w.s("</th>")
		}
		w.s("</tr></thead>\n<tbody>")
		for _, r := range sc.Rows {
			w.s("\n<tr><td class=\"num\"><a href=\"")
			w.e(r.Anchor)
			w.s("\">")
			w.n(r.Seed)
			w.s("</a></td><td>")
			w.badge(r.Verdict)
			w.s("</td>")
			for _, c := range r.Cells {
				w.s("<td class=\"num ")
				w.e(c.Status)
				w.s("\">")
				w.e(c.Text)
				w.s("</td>")
			}
			w.s("</tr>")
		}
		w.s("\n</tbody>\n</table>")
		if len(sc.Columns) > 0 {
			w.s("\n<p class=\"mute\">Expected: ")
			for i, c := range sc.Columns {
				if i > 0 {
					w.s(" · ")
				}
				w.s("<code>")
				w.e(c.Check)
				w.s("</code> (")
				w.e(c.Location)
				w.s(")")
			}
			w.s("</p>")
		}
		if len(sc.Spread) > 0 {
			w.s("\n<h3>Spread over seeds</h3>\n<table class=\"spread\">\n<thead><tr><th>Metric</th><th>Scope</th><th class=\"num\">Seeds</th><th class=\"num\">Min</th><th class=\"num\">Mean</th><th class=\"num\">Max</th><th class=\"num\">Std dev</th></tr></thead>\n<tbody>")
			for _, x := range sc.Spread {
				w.s("\n<tr><td><code>")
				w.e(x.Metric)
				w.s("</code></td><td>")
				w.e(x.Scope)
				w.s("</td><td class=\"num\">")
				w.n(int64(x.Seeds))
				w.s("</td><td class=\"num\">")
				w.e(x.Min)
				w.s("</td><td class=\"num\">")
				w.e(x.Mean)
				w.s("</td><td class=\"num\">")
				w.e(x.Max)
				w.s("</td><td class=\"num\">")
				w.e(x.StdDev)
				w.s("</td></tr>")
			}
			w.s("\n</tbody>\n</table>")
		}
	}
	for _, r := range sc.Runs {
		if sc.Sweep {
			w.s("\n<details class=\"run\" id=\"")
			w.e(r.ID)
			w.s("\"")
			if r.Open {
				w.s(" open")
			}
			w.s(">\n<summary>")
			w.badge(r.Verdict)
			w.s(" seed ")
			w.n(r.Seed)
			w.s("</summary>")
		} else {
			w.s("\n<section class=\"run\" id=\"")
			w.e(r.ID)
			w.s("\">")
		}
		w.run(r)
		if sc.Sweep {
			w.s("\n</details>")
		} else {
			w.s("\n</section>")
		}
	}
	w.s("\n</section>")
}

// row writes one table row of cells, given as pairs: the cell's opening
// tag, then its value.
func (w *htmlWriter) row(cells ...string) {
	w.s("\n<tr>")
	for ; len(cells) >= 2; cells = cells[2:] {
		w.s(cells[0])
		w.e(cells[1])
		w.s("</td>")
	}
	w.s("</tr>")
}

func (w *htmlWriter) run(r htmlRun) {
	if len(r.Facts) > 0 {
		w.s("\n<div class=\"facts\">")
		for _, f := range r.Facts {
			w.s("<span>")
			w.e(f.Name)
			w.s(" <b>")
			w.e(f.Value)
			w.s("</b></span>")
		}
		w.s("</div>")
	}
	if r.Error != "" {
		w.s("\n<div class=\"errorbox\"><b>The run did not finish:</b> ")
		w.e(r.Error)
		w.s("</div>")
	}
	if len(r.Checks) > 0 {
		w.s("\n<table class=\"assertions\">\n<thead><tr><th>Result</th><th>Assertion</th><th>Check</th><th class=\"num\">Actual</th><th>Expected</th><th>Line</th></tr></thead>\n<tbody>")
		for _, c := range r.Checks {
			w.s("\n<tr><td>")
			w.badge(c.Status)
			w.s("</td><td>")
			w.e(c.Name)
			if c.Message != "" {
				w.s("<div class=\"msg\">")
				w.e(c.Message)
				w.s("</div>")
			}
			w.s("</td><td><code>")
			w.e(c.Check)
			w.s("</code></td><td class=\"num ")
			w.e(c.Status)
			w.s("\">")
			w.e(c.Actual)
			w.s("</td><td>")
			w.e(c.Expected)
			w.s("</td><td class=\"file\">")
			w.e(c.Location)
			w.s("</td></tr>")
		}
		w.s("\n</tbody>\n</table>")
	} else if r.Error == "" {
		w.s("\n<p class=\"mute\">No assertions: the gate checks that the scenario runs without error.</p>")
	}
	const td, num = "<td>", "<td class=\"num\">"
	if len(r.Observed) > 0 {
		w.s("\n<h4>Observed outputs (wall-clock)</h4>\n<table class=\"observers\">\n<thead><tr><th>Observer</th><th>Source</th><th class=\"num\">Messages</th><th class=\"num\">Rate (/s)</th><th class=\"num\">Longest gap</th><th class=\"num\">Readings followed</th><th class=\"num\">Longest without a new reading</th><th class=\"num\">e2e p50</th><th class=\"num\">e2e p95</th><th class=\"num\">e2e max</th></tr></thead>\n<tbody>")
		for _, o := range r.Observed {
			w.s("\n<tr><td>")
			w.e(o.Name)
			w.s("</td><td><code>")
			w.e(o.Source)
			w.s("</code></td>")
			for _, v := range []string{o.Messages, o.Rate, o.GapMax, o.Correlated, o.E2EGap, o.E2EP50, o.E2EP95, o.E2EMax} {
				w.s(num)
				w.e(v)
				w.s("</td>")
			}
			w.s("</tr>")
		}
		w.s("\n</tbody>\n</table>")
	}
	if len(r.Used) > 0 {
		w.s("\n<h4>Container resources (wall-clock)</h4>\n<table class=\"resources\">\n<thead><tr><th>Node</th><th class=\"num\">Memory peak</th><th class=\"num\">CPU avg</th><th class=\"num\">CPU peak</th><th class=\"num\">OOM kills</th><th class=\"num\">Restarts</th><th class=\"num\">Image</th></tr></thead>\n<tbody>")
		for _, u := range r.Used {
			w.row(td, u.Node, num, u.MemoryPeak, num, u.CPUAvg, num, u.CPUPeak, num, u.OOMKills, num, u.Restarts, num, u.Image)
		}
		w.s("\n</tbody>\n</table>")
	}
	if c := r.Latency; c != nil {
		w.latency(r.N, c)
	}
	if c := r.Links; c != nil {
		w.links(r.N, c)
	}
	if len(r.Faults) > 0 {
		w.s("\n<h3>Faults</h3>\n<table class=\"faults\">\n<thead><tr><th class=\"num\">At (s)</th><th class=\"num\">Until (s)</th>")
		if r.RealFaults {
			w.s("<th class=\"num\">On real traffic (s)</th>")
		}
		w.s("<th>Fault</th><th>Target</th><th class=\"num\">Dropped</th><th>Line</th></tr></thead>\n<tbody>")
		for _, f := range r.Faults {
			w.s("\n<tr><td class=\"num\">")
			w.e(f.At)
			w.s("</td><td class=\"num\">")
			w.e(f.Until)
			w.s("</td>")
			if r.RealFaults {
				w.s("<td class=\"num\">")
				w.e(f.Real)
				w.s("</td>")
			}
			w.s("<td><code>")
			w.e(f.Kind)
			w.s("</code></td><td>")
			w.e(f.Target)
			w.s("</td><td class=\"num\">")
			w.n(f.Dropped)
			w.s("</td><td class=\"file\">")
			w.e(f.Location)
			w.s("</td></tr>")
		}
		w.s("\n</tbody>\n</table>")
	}
}

// rect writes an SVG rect's position and size attributes.
func (w *htmlWriter) rect(r svgRect) {
	w.s(" x=\"")
	w.e(r.X)
	w.s("\" y=\"")
	w.e(r.Y)
	w.s("\" width=\"")
	w.e(r.W)
	w.s("\" height=\"")
	w.e(r.H)
	w.s("\"")
}

// chart opens run n's chart of a kind: its figure, heading and svg
// (id chart-KIND-N, classes chart chart-KIND).
func (w *htmlWriter) chart(title, kind string, n, width, height int, label string) {
	w.s("\n<figure>\n<h3>")
	w.s(title)
	w.s("</h3>\n<svg id=\"chart-")
	w.s(kind)
	w.s("-")
	w.n(int64(n))
	w.s("\" class=\"chart chart-")
	w.s(kind)
	w.s("\" viewBox=\"0 0 ")
	w.n(int64(width))
	w.s(" ")
	w.n(int64(height))
	w.s("\" role=\"img\" aria-label=\"")
	w.s(label)
	w.s("\" xmlns=\"http://www.w3.org/2000/svg\">")
}

func (w *htmlWriter) latency(n int, c *lineChart) {
	w.chart("Latency over virtual time", "latency", n, c.Width, c.Height, "Latency over virtual time")
	for _, t := range c.YTicks {
		w.s("\n<line class=\"grid\" x1=\"")
		w.e(c.Left)
		w.s("\" x2=\"")
		w.e(c.Right)
		w.s("\" y1=\"")
		w.e(t.Pos)
		w.s("\" y2=\"")
		w.e(t.Pos)
		w.s("\"/><text x=\"")
		w.e(c.Left)
		w.s("\" dx=\"-6\" y=\"")
		w.e(t.Pos)
		w.s("\" dy=\"4\" text-anchor=\"end\">")
		w.e(t.Label)
		w.s("</text>")
	}
	for _, f := range c.Faults {
		w.s("\n<rect class=\"fault\"")
		w.rect(f)
		w.s(" fill=\"#fbbf24\" fill-opacity=\"0.35\"><title>")
		w.e(f.Title)
		w.s("</title></rect>")
	}
	w.s("\n<line class=\"axis\" x1=\"")
	w.e(c.Left)
	w.s("\" x2=\"")
	w.e(c.Right)
	w.s("\" y1=\"")
	w.e(c.Base)
	w.s("\" y2=\"")
	w.e(c.Base)
	w.s("\"/>\n<line class=\"axis\" x1=\"")
	w.e(c.Left)
	w.s("\" x2=\"")
	w.e(c.Left)
	w.s("\" y1=\"")
	w.e(c.Top)
	w.s("\" y2=\"")
	w.e(c.Base)
	w.s("\"/>")
	for _, t := range c.XTicks {
		w.s("\n<text x=\"")
		w.e(t.Pos)
		w.s("\" y=\"")
		w.e(c.Base)
		w.s("\" dy=\"16\" text-anchor=\"middle\">")
		w.e(t.Label)
		w.s("</text>")
	}
	w.s("\n<text x=\"")
	w.e(c.Right)
	w.s("\" y=\"")
	w.n(int64(c.Height))
	w.s("\" dy=\"-4\" text-anchor=\"end\">virtual time (s)</text>\n<text transform=\"rotate(-90)\" x=\"-")
	w.e(c.Top)
	w.s("\" y=\"14\" text-anchor=\"end\">latency (ms)</text>")
	for _, p := range c.Max {
		w.s("\n<polyline class=\"line-max\" fill=\"none\" stroke=\"#f97316\" stroke-width=\"2\" stroke-linejoin=\"round\" points=\"")
		w.e(p)
		w.s("\"/>")
	}
	for _, p := range c.Avg {
		w.s("\n<polyline class=\"line-avg\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"2.5\" stroke-linejoin=\"round\" points=\"")
		w.e(p)
		w.s("\"/>")
	}
	w.s("\n</svg>\n<figcaption class=\"legend\"><span><i class=\"key\" style=\"background:#2563eb\"></i>average</span><span><i class=\"key\" style=\"background:#f97316\"></i>maximum</span>")
	if len(c.Faults) > 0 {
		w.s("<span><i class=\"key\" style=\"background:#fbbf24;opacity:.5\"></i>fault window</span>")
	}
	w.s("</figcaption>\n</figure>")
}

func (w *htmlWriter) links(n int, c *barChart) {
	w.chart("Delivered and dropped per link", "links", n, c.Width, c.Height, "Delivered and dropped messages per link")
	axis, tickY := c.Axis(), c.TickY()
	for _, t := range c.Ticks {
		w.s("\n<line class=\"grid\" x1=\"")
		w.e(t.Pos)
		w.s("\" x2=\"")
		w.e(t.Pos)
		w.s("\" y1=\"14\" y2=\"")
		w.e(axis)
		w.s("\"/><text x=\"")
		w.e(t.Pos)
		w.s("\" y=\"")
		w.e(tickY)
		w.s("\" text-anchor=\"middle\">")
		w.e(t.Label)
		w.s("</text>")
	}
	for _, b := range c.Bars {
		w.s("\n<g class=\"link\"><title>")
		w.e(b.Full)
		w.s("</title>\n<text x=\"")
		w.e(c.LabelX)
		w.s("\" y=\"")
		w.e(b.TextY)
		w.s("\" text-anchor=\"end\">")
		w.e(b.Label)
		w.s("</text>\n<rect class=\"delivered\"")
		w.rect(b.Delivered)
		w.s(" fill=\"#16a34a\"><title>")
		w.e(b.Delivered.Title)
		w.s("</title></rect>\n<rect class=\"dropped\"")
		w.rect(b.Dropped)
		w.s(" fill=\"#dc2626\"><title>")
		w.e(b.Dropped.Title)
		w.s("</title></rect>\n<text x=\"")
		w.e(b.ValX)
		w.s("\" y=\"")
		w.e(b.TextY)
		w.s("\">")
		w.e(b.Value)
		w.s("</text>\n</g>")
	}
	w.s("\n<line class=\"axis\" x1=\"")
	w.e(c.Left)
	w.s("\" x2=\"")
	w.e(c.Left)
	w.s("\" y1=\"14\" y2=\"")
	w.e(axis)
	w.s("\"/>\n</svg>\n<figcaption class=\"legend\"><span><i class=\"key\" style=\"background:#16a34a\"></i>delivered</span><span><i class=\"key\" style=\"background:#dc2626\"></i>dropped</span>")
	if c.Shown < c.Total {
		w.s("<span>")
		w.n(int64(c.Shown))
		w.s(" of ")
		w.n(int64(c.Total))
		w.s(" links: those that dropped most, then the busiest</span>")
	}
	w.s("</figcaption>\n</figure>")
}

// pageHead and pageStyle are the page's fixed markup before and after its
// title.
const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="xedgesim simulate">
`

const pageStyle = `<style>
:root { --pass: #16a34a; --fail: #dc2626; --error: #b45309; --ink: #1f2937; --mute: #6b7280; --line: #e5e7eb; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1040px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-top: 12px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.verdict { padding: 14px 18px; border-radius: 8px; border-left: 6px solid; margin-bottom: 16px; }
.verdict.pass { background: #f0fdf4; border-color: var(--pass); }
.verdict.fail { background: #fef2f2; border-color: var(--fail); }
.verdict.error { background: #fffbeb; border-color: var(--error); }
.verdict.pass .mark { color: var(--pass); } .verdict.fail .mark { color: var(--fail); } .verdict.error .mark { color: var(--error); }
.mute, .file { color: var(--mute); }
.file { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
table { border-collapse: collapse; margin: 6px 0 12px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f9fafb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td > code { white-space: nowrap; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.pass { background: var(--pass); }
.badge.fail { background: var(--fail); }
.badge.error { background: var(--error); }
td.pass { color: var(--pass); } td.fail { color: var(--fail); font-weight: 600; } td.error { color: var(--error); }
.msg { color: var(--fail); font-size: 12px; }
.errorbox { background: #fffbeb; border: 1px solid #fcd34d; padding: 8px 12px; border-radius: 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.facts { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 4px 0 10px; color: var(--mute); }
.facts b { color: var(--ink); font-weight: 600; }
details.run { border: 1px solid var(--line); border-radius: 8px; padding: 6px 14px; margin: 10px 0; }
details.run > summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
figure { margin: 8px 0 16px; }
figcaption { font-size: 12px; color: var(--mute); }
svg.chart { width: 100%; height: auto; display: block; font: 11px system-ui, "DejaVu Sans", sans-serif; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .axis { stroke: #9ca3af; stroke-width: 1; }
svg.chart text { fill: #4b5563; }
.legend { display: flex; gap: 16px; font-size: 12px; color: var(--mute); }
.key { display: inline-block; width: 12px; height: 12px; border-radius: 2px; vertical-align: -2px; margin-right: 4px; }
ul.warnings li { margin: 3px 0; }
</style>
</head>
`
