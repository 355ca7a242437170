package report

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// StepSummaryLimit is the largest step summary GitHub Actions accepts for
// one step: 1 MiB. Markdown stays within it unless told otherwise.
const StepSummaryLimit = 1 << 20

// minByteLimit leaves room for the verdict line and the truncation note.
const minByteLimit = 1024

// MarkdownOption configures Markdown.
type MarkdownOption func(*markdownOptions) error

type markdownOptions struct {
	limit  int
	charts int
}

// defaultChartRuns: GitHub draws every Mermaid block in its own frame, and a
// summary with hundreds of them is too slow to read.
const defaultChartRuns = 10

// WithByteLimit caps summary.md at n bytes (default StepSummaryLimit). Use a
// smaller n when the step summary holds other text too.
func WithByteLimit(n int) MarkdownOption {
	return func(o *markdownOptions) error {
		if n < minByteLimit {
			return fmt.Errorf("byte limit %d is below the minimum of %d", n, minByteLimit)
		}
		o.limit = n
		return nil
	}
}

// WithChartRuns draws charts for at most n runs (default 10), failed and
// errored runs first; 0 draws none. report.html has every run's charts.
func WithChartRuns(n int) MarkdownOption {
	return func(o *markdownOptions) error {
		if n < 0 {
			return fmt.Errorf("chart runs %d is negative", n)
		}
		o.charts = n
		return nil
	}
}

// Markdown renders summary.md for $GITHUB_STEP_SUMMARY: a verdict line, a
// table of assertions with actual values per run (for a seed sweep a table
// of seeds and the spread of every asserted metric), Mermaid charts of
// latency over virtual time and of delivered vs dropped messages per link,
// the faults and the warnings.
//
// The result never exceeds the byte limit. When the full report would, it
// degrades in steps: charts go first (failed runs keep theirs longest), then
// tables are cut to their first rows (failures first), then whole scenarios,
// each time with a note pointing at report.html.
func Markdown(s Suite, opts ...MarkdownOption) ([]byte, error) {
	o := markdownOptions{limit: StepSummaryLimit, charts: defaultChartRuns}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("rendering markdown: %w", err)
		}
	}
	m := newMarkdown(s)
	full := budget{charts: min(o.charts, len(s.Runs)), rows: m.maxRows(), scenarios: len(m.groups)}
	if out := m.render(full); len(out) <= o.limit {
		return out, nil
	}
	b := full
	fits := func() bool { return len(m.render(b)) <= o.limit }
	// Each step keeps as much as fits: binary search on one knob while the
	// ones before it are already at their floor.
	b.charts = largest(0, full.charts, func(n int) bool { b.charts = n; return fits() })
	if b.charts == 0 && !fits() {
		b.rows = largest(minRows, max(full.rows, minRows), func(n int) bool { b.rows = n; return fits() })
		if b.rows == minRows && !fits() {
			b.scenarios = largest(1, full.scenarios, func(n int) bool { b.scenarios = n; return fits() })
		}
	}
	out := m.render(b)
	if len(out) > o.limit {
		out = cut(out, o.limit)
	}
	return out, nil
}

// largest returns the largest n in [lo, hi] for which ok(n) holds, assuming
// ok is monotone; lo when none does. It leaves ok's side effects at the
// returned n.
func largest(lo, hi int, ok func(int) bool) int {
	best := lo
	for lo <= hi {
		mid := lo + (hi-lo)/2
		if ok(mid) {
			best, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	ok(best)
	return best
}

const cutNote = "\n\n_Summary cut here to stay within the step summary limit: the full results are in report.html and summary.json._\n"

// cut is the last resort: keep whole lines up to the limit, then a note.
func cut(b []byte, limit int) []byte {
	keep := limit - len(cutNote)
	if keep < 0 {
		keep = 0
	}
	if i := bytes.LastIndexByte(b[:keep], '\n'); i >= 0 {
		keep = i
	}
	return append(append([]byte(nil), b[:keep]...), cutNote...)
}

// budget is how much of the report to render.
type budget struct {
	charts    int // runs that get charts and a faults table, by priority
	rows      int // rows per table
	scenarios int // scenario sections
}

// minRows keeps tables useful when the budget is tight.
const minRows = 5

// Charts are sized for a glance, not for analysis: report.html has more.
const (
	mdChartPoints = 60
	mdChartLinks  = 12
)

type markdown struct {
	s      Suite
	groups []scenarioGroup
	// chartRank is each run's place in the queue for charts: failed and
	// errored runs first, then the rest, in suite order.
	chartRank []int
	// groupOrder is the scenarios in the order they keep their sections:
	// scenarios with failures first.
	groupOrder []int
}

func newMarkdown(s Suite) *markdown {
	m := &markdown{s: s, groups: groups(s)}
	order := make([]int, len(s.Runs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return s.Runs[order[a]].Verdict != Pass && s.Runs[order[b]].Verdict == Pass
	})
	m.chartRank = make([]int, len(s.Runs))
	for rank, i := range order {
		m.chartRank[i] = rank
	}
	m.groupOrder = make([]int, len(m.groups))
	for i := range m.groupOrder {
		m.groupOrder[i] = i
	}
	sort.SliceStable(m.groupOrder, func(a, b int) bool {
		ca := countRuns(s, m.groups[m.groupOrder[a]].Runs)
		cb := countRuns(s, m.groups[m.groupOrder[b]].Runs)
		return ca.Fail+ca.Error > 0 && cb.Fail+cb.Error == 0
	})
	return m
}

// maxRows is the longest table the full report has.
func (m *markdown) maxRows() int {
	n := len(m.groups)
	for _, g := range m.groups {
		n = max(n, len(g.Runs), len(g.spreads(m.s)))
		for _, i := range g.Runs {
			r := m.s.Runs[i]
			n = max(n, len(r.Assertions), len(r.Faults), min(len(r.Network.Links), mdChartLinks))
		}
	}
	return max(n, len(warnings(m.s)))
}

func (m *markdown) render(b budget) []byte {
	var w bytes.Buffer
	m.headline(&w)
	if len(m.groups) > 1 {
		m.overview(&w, b)
	}
	shown := make([]bool, len(m.groups))
	for _, gi := range m.groupOrder[:min(b.scenarios, len(m.groupOrder))] {
		shown[gi] = true
	}
	hidden := 0
	for gi, g := range m.groups {
		if !shown[gi] {
			hidden++
			continue
		}
		if len(g.Runs) == 1 {
			m.single(&w, b, m.s.Runs[g.Runs[0]], g.Runs[0])
		} else {
			m.sweep(&w, b, g)
		}
	}
	if hidden > 0 {
		fmt.Fprintf(&w, "_%d more scenarios left out to stay within the step summary limit; see the table above and report.html._\n\n", hidden)
	}
	m.warnings(&w, b)
	if dropped := len(m.s.Runs) - min(b.charts, len(m.s.Runs)); dropped > 0 {
		fmt.Fprintf(&w, "_Charts of %d runs left out (failed runs get theirs first); report.html has every chart._\n", dropped)
	}
	return w.Bytes()
}

func verdictMark(v string) string {
	switch v {
	case Pass:
		return "✅"
	case Fail:
		return "❌"
	default:
		return "⚠️"
	}
}

// headline is the verdict line: what ran, with which seeds, and how it went.
func (m *markdown) headline(w *bytes.Buffer) {
	v := suiteVerdict(m.s)
	mark := "✅"
	if v != Pass {
		mark = "❌"
	}
	fmt.Fprintf(w, "## %s xedgesim simulate: %s\n\n", mark, v)
	var parts []string
	for _, g := range m.groups {
		seeds := g.seeds(m.s)
		word := "seed"
		if len(seeds) > 1 {
			word = "seeds"
		}
		parts = append(parts, fmt.Sprintf("**%s** (%s %s)", mdEscape(g.Name), word, seedList(seeds)))
	}
	if len(parts) > 10 {
		parts = append(parts[:10], fmt.Sprintf("and %d more scenarios", len(parts)-10))
	}
	fmt.Fprintf(w, "%s %s", mark, strings.Join(parts, ", "))
	all := make([]int, len(m.s.Runs))
	for i := range all {
		all[i] = i
	}
	c := countRuns(m.s, all)
	switch {
	case len(m.s.Runs) == 0:
		w.WriteString("no runs")
	case len(m.s.Runs) == 1:
		r := m.s.Runs[0]
		if n := len(r.Assertions); n > 0 && r.Verdict != Error {
			passed := 0
			for _, o := range r.Assertions {
				if o.status(r) == Pass {
					passed++
				}
			}
			fmt.Fprintf(w, ": %d of %d assertions passed", passed, n)
		}
	default:
		fmt.Fprintf(w, ": %d of %d runs passed", c.Pass, len(m.s.Runs))
		if c.Fail > 0 {
			fmt.Fprintf(w, ", %d failed", c.Fail)
		}
		if c.Error > 0 {
			fmt.Fprintf(w, ", %d errored", c.Error)
		}
	}
	w.WriteString("\n\n")
	m.problems(w)
}

// maxWarnings bounds the warnings list: past a few, more of them is noise
// in a pull request, and report.html has them all.
const maxWarnings = 20

// maxProblems bounds the list under the verdict line; the sections below
// have the rest.
const maxProblems = 10

// problems lists what failed under the verdict line, so a reviewer reads
// the reason without scrolling: each failed assertion with its actual value
// and line, each assertion that could not be measured, each run error.
func (m *markdown) problems(w *bytes.Buffer) {
	var lines []string
	for _, r := range m.s.Runs {
		if r.Verdict == Error {
			lines = append(lines, fmt.Sprintf("- ⚠️ **%s** seed %d did not finish: %s", mdEscape(r.Scenario), r.Seed, mdEscape(r.Error)))
			continue
		}
		for _, o := range r.Assertions {
			var msg string
			switch o.status(r) {
			case Fail:
				msg = fmt.Sprintf("- ❌ **%s** seed %d: %s", mdEscape(r.Scenario), r.Seed, mdEscape(o.failureMessage()))
			case Error:
				msg = fmt.Sprintf("- ⚠️ **%s** seed %d: %s", mdEscape(r.Scenario), r.Seed, mdEscape(o.errorMessage(r)))
			default:
				continue
			}
			if d := strings.TrimSpace(o.Description); d != "" {
				msg += " — " + mdEscape(d)
			}
			if loc := location(o.File, o.Line); loc != "" {
				msg += " (" + mdCode(loc) + ")"
			}
			lines = append(lines, msg)
		}
	}
	if len(lines) == 0 {
		return
	}
	n := min(len(lines), maxProblems)
	for _, l := range lines[:n] {
		w.WriteString(l + "\n")
	}
	if len(lines) > n {
		fmt.Fprintf(w, "- and %d more below\n", len(lines)-n)
	}
	w.WriteString("\n")
}

// overview is one row per scenario, so the verdict of every scenario is
// visible even when their sections are cut.
func (m *markdown) overview(w *bytes.Buffer, b budget) {
	w.WriteString("| | Scenario | File | Seeds | Passed | Failed | Errored |\n|---|---|---|---|---:|---:|---:|\n")
	rows := 0
	for _, gi := range m.groupOrder {
		if rows == b.rows {
			break
		}
		rows++
		g := m.groups[gi]
		c := countRuns(m.s, g.Runs)
		v := c.verdict()
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %d | %d |\n",
			verdictMark(v), mdEscape(g.Name), mdCode(g.File), seedList(g.seeds(m.s)), c.Pass, c.Fail, c.Error)
	}
	moreRows(w, len(m.groups)-rows, "scenarios")
	w.WriteString("\n")
}

func moreRows(w *bytes.Buffer, n int, what string) {
	if n > 0 {
		fmt.Fprintf(w, "\n_%d more %s not shown: see report.html and summary.json._\n", n, what)
	}
}

// single is the section of a scenario that ran with one seed.
func (m *markdown) single(w *bytes.Buffer, b budget, r Run, ri int) {
	fmt.Fprintf(w, "### %s %s (seed %d)\n\n", verdictMark(r.Verdict), mdEscape(r.Scenario), r.Seed)
	m.facts(w, r)
	if r.Verdict == Error {
		fmt.Fprintf(w, "> **Error:** %s\n\n", mdEscape(r.Error))
	}
	if len(r.Assertions) > 0 {
		w.WriteString("| | Assertion | Metric | Actual | Expected | Line |\n|---|---|---|---:|---|---|\n")
		shown := pick(len(r.Assertions), b.rows, func(i int) bool { return r.Assertions[i].status(r) != Pass })
		for _, i := range shown {
			o := r.Assertions[i]
			st := o.status(r)
			// Every case sets actual; want keeps the plain number unless
			// both were measured and are formatted as a pair.
			var actual string
			want := formatNumber(o.Value)
			switch {
			case r.Verdict == Error:
				actual = "not measured"
			case st == Error:
				actual = "not measured: " + mdEscape(o.Error)
			default:
				actual, want = formatPair(o.Actual, o.Value)
			}
			metric := mdCode(o.Metric)
			if sc := scope(o.Where); sc != "" {
				metric += " (" + mdEscape(sc) + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s %s | %s |\n", verdictMark(st), mdEscape(o.name()), metric,
				actual, mdEscape(opSymbol(o.Operator)), want, mdCode(location(o.File, o.Line)))
		}
		moreRows(w, len(r.Assertions)-len(shown), "assertions")
		w.WriteString("\n")
	} else if r.Verdict != Error {
		w.WriteString("No assertions: the gate checks that the scenario runs without error.\n\n")
	}
	observersMarkdown(w, r, "####")
	resourcesMarkdown(w, r, "####")
	if m.chartRank[ri] < b.charts {
		m.details(w, b, r, "####")
	}
}

// facts is one line of context under a run's heading.
func (m *markdown) facts(w *bytes.Buffer, r Run) {
	fmt.Fprintf(w, "%s", mdCode(r.ScenarioFile))
	if r.Verdict != Error {
		n := r.Network
		fmt.Fprintf(w, " · %s s virtual time · %d sent, %d delivered, %d dropped", formatNumber(r.VirtualTimeS),
			n.PacketsSent, n.PacketsDelivered, n.PacketsDropped)
	}
	w.WriteString("\n\n")
}

// sweep is the section of a scenario that ran with several seeds: one row
// per seed, one column per assertion, then the spread over seeds.
func (m *markdown) sweep(w *bytes.Buffer, b budget, g scenarioGroup) {
	c := countRuns(m.s, g.Runs)
	v := c.verdict()
	fmt.Fprintf(w, "### %s %s (seeds %s): %d of %d passed\n\n", verdictMark(v), mdEscape(g.Name),
		seedList(g.seeds(m.s)), c.Pass, len(g.Runs))
	fmt.Fprintf(w, "%s\n\n", mdCode(g.File))
	cols := assertionColumns(m.s, g)
	w.WriteString("| Seed | Verdict |")
	for _, col := range cols {
		fmt.Fprintf(w, " %s |", mdEscape(col.name()))
	}
	w.WriteString("\n|---:|---|")
	for range cols {
		w.WriteString("---:|")
	}
	w.WriteString("\n")
	shown := pick(len(g.Runs), b.rows, func(i int) bool { return m.s.Runs[g.Runs[i]].Verdict != Pass })
	var errs []Run
	for _, i := range shown {
		r := m.s.Runs[g.Runs[i]]
		fmt.Fprintf(w, "| %d | %s %s |", r.Seed, verdictMark(r.Verdict), r.Verdict)
		for _, col := range cols {
			o, ok := findAssertion(r, col)
			switch {
			case r.Verdict == Error || !ok:
				w.WriteString(" — |")
			case o.Error != "":
				w.WriteString(" ⚠️ not measured |")
			default:
				a, _ := formatPair(o.Actual, o.Value)
				fmt.Fprintf(w, " %s %s |", verdictMark(o.status(r)), a)
			}
		}
		w.WriteString("\n")
		if r.Verdict == Error {
			errs = append(errs, r)
		}
	}
	moreRows(w, len(g.Runs)-len(shown), "seeds")
	w.WriteString("\n")
	if len(cols) > 0 {
		w.WriteString("Expected: ")
		for i, col := range cols {
			if i > 0 {
				w.WriteString(" · ")
			}
			fmt.Fprintf(w, "%s (%s)", mdEscape(col.check()), mdCode(location(col.File, col.Line)))
		}
		w.WriteString("\n\n")
	}
	for _, r := range errs {
		fmt.Fprintf(w, "> **Seed %d error:** %s\n\n", r.Seed, mdEscape(r.Error))
	}
	if sp := g.spreads(m.s); len(sp) > 0 {
		fmt.Fprintf(w, "#### Spread over seeds\n\n| Metric | Scope | Seeds | Min | Mean | Max | Std dev |\n|---|---|---:|---:|---:|---:|---:|\n")
		n := min(len(sp), b.rows)
		for _, x := range sp[:n] {
			fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s |\n", mdCode(x.Metric), mdEscape(scope(x.Where)), x.Seeds,
				formatNumber(x.Min), formatNumber(x.Mean), formatNumber(x.Max), formatNumber(x.StdDev))
		}
		moreRows(w, len(sp)-n, "metrics")
		w.WriteString("\n")
	}
	for _, ri := range g.Runs {
		if m.chartRank[ri] < b.charts {
			r := m.s.Runs[ri]
			fmt.Fprintf(w, "#### %s Seed %d\n\n", verdictMark(r.Verdict), r.Seed)
			m.details(w, b, r, "#####")
		}
	}
}

// assertionColumns is the union of a scenario's assertions over its runs,
// in order of first appearance (an errored run may have none).
func assertionColumns(s Suite, g scenarioGroup) []Outcome {
	var cols []Outcome
	seen := map[string]bool{}
	for _, ri := range g.Runs {
		for _, o := range s.Runs[ri].Assertions {
			k := assertionKey(o)
			if !seen[k] {
				seen[k] = true
				cols = append(cols, o)
			}
		}
	}
	return cols
}

func assertionKey(o Outcome) string {
	return fmt.Sprintf("%s\x00%s\x00%v\x00%s\x00%d:%d", o.Metric, o.Operator, o.Value, scope(o.Where), o.Line, o.Col)
}

func findAssertion(r Run, col Outcome) (Outcome, bool) {
	k := assertionKey(col)
	for _, o := range r.Assertions {
		if assertionKey(o) == k {
			return o, true
		}
	}
	return Outcome{}, false
}

// pick returns up to n indexes of [0, total): those for which first holds
// come before the rest, and the result is in index order.
func pick(total, n int, first func(int) bool) []int {
	if total <= n {
		out := make([]int, total)
		for i := range out {
			out[i] = i
		}
		return out
	}
	var out []int
	for i := 0; i < total && len(out) < n; i++ {
		if first(i) {
			out = append(out, i)
		}
	}
	for i := 0; i < total && len(out) < n; i++ {
		if !first(i) {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}

// details is a run's charts and faults.
func (m *markdown) details(w *bytes.Buffer, b budget, r Run, h string) {
	if len(r.Timeline) > 0 {
		fmt.Fprintf(w, "%s Latency over virtual time\n\n", h)
		mermaidLatency(w, r)
	}
	if len(r.Network.Links) > 0 {
		fmt.Fprintf(w, "%s Delivered and dropped per link\n\n", h)
		mermaidLinks(w, r)
	}
	if len(r.Faults) > 0 {
		real := realFaults(r)
		if real {
			fmt.Fprintf(w, "%s Faults\n\n| At (s) | Until (s) | On real traffic (s) | Fault | Target | Dropped | Line |\n|---:|---:|---:|---|---|---:|---|\n", h)
		} else {
			fmt.Fprintf(w, "%s Faults\n\n| At (s) | Until (s) | Fault | Target | Dropped | Line |\n|---:|---:|---|---|---:|---|\n", h)
		}
		n := min(len(r.Faults), b.rows)
		for _, f := range r.Faults[:n] {
			fmt.Fprintf(w, "| %s | %s | ", formatNumber(f.AtS), formatNumber(f.EndS))
			if real {
				fmt.Fprintf(w, "%s | ", realText(f))
			}
			fmt.Fprintf(w, "%s | %s | %d | %s |\n", mdCode(f.Kind), mdEscape(f.Target), f.Dropped, mdCode(location(r.ScenarioFile, f.Line)))
		}
		moreRows(w, len(r.Faults)-n, "faults")
		w.WriteString("\n")
	}
	groupsMarkdown(w, r, h)
}

func (m *markdown) warnings(w *bytes.Buffer, b budget) {
	m.listed(w, b, "### ⚠️ Warnings", "warnings", warnings(m.s))
	m.listed(w, b, "### ℹ️ Notes", "notes", notes(m.s))
}

// listed writes ws under title, at most as many as the budget allows.
func (m *markdown) listed(w *bytes.Buffer, b budget, title, what string, ws []warning) {
	if len(ws) == 0 {
		return
	}
	w.WriteString(title + "\n\n")
	n := min(len(ws), b.rows, maxWarnings)
	for _, x := range ws[:n] {
		fmt.Fprintf(w, "- **%s**", mdEscape(x.Scenario))
		if where := x.where(); where != "" {
			fmt.Fprintf(w, " (%s)", where)
		}
		fmt.Fprintf(w, ": %s\n", mdEscape(x.Text))
	}
	moreRows(w, len(ws)-n, what)
	w.WriteString("\n")
}

// mdEscape makes text from a scenario or an error inert in Markdown: no
// HTML, no links or emphasis, no table cell break, on one line.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\r', '\n', '\t':
			b.WriteByte(' ')
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '!', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode is s in a code span, or escaped text when a code span cannot hold
// it safely.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	// Entities are not decoded in a code span, so text with markup is
	// escaped instead.
	if strings.ContainsAny(s, "`|\r\n<>&") {
		return mdEscape(s)
	}
	return "`" + s + "`"
}
