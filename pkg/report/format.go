package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Text shared by the renderers, so JUnit, Markdown and HTML name an
// assertion, a value and a set of seeds the same way.

// operatorSymbols maps upstream's operator words to the symbols the reports
// print; symbols written in the scenario pass through.
var operatorSymbols = map[string]string{
	"eq": "==", "gte": ">=", "lte": "<=", "gt": ">", "lt": "<", "ne": "!=", "neq": "!=",
}

func opSymbol(op string) string {
	if s, ok := operatorSymbols[strings.ToLower(strings.TrimSpace(op))]; ok {
		return s
	}
	return op
}

// formatNumber prints counts as integers and other values with enough
// digits to read, not the 17 that float64 can carry.
func formatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	case math.Abs(v) >= 1:
		return trimZeros(strconv.FormatFloat(v, 'f', 3, 64))
	default:
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
}

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// formatPair prints an actual value and its threshold. When rounding would
// make them look equal although they differ (0.98999996 against 0.99), both
// get every digit, so a failure never reads "0.99, want >= 0.99".
func formatPair(actual, want float64) (string, string) {
	a, w := formatNumber(actual), formatNumber(want)
	if a == w && actual != want {
		return strconv.FormatFloat(actual, 'g', -1, 64), strconv.FormatFloat(want, 'g', -1, 64)
	}
	return a, w
}

// scope prints a where clause in a stable order: "dst=gateway1, src=sensor*".
func scope(where map[string]string) string {
	if len(where) == 0 {
		return ""
	}
	keys := make([]string, 0, len(where))
	for k := range where {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + where[k]
	}
	return strings.Join(parts, ", ")
}

// check is the assertion as written: "latency_p95_ms <= 50 (src=sensor*)".
func (o Outcome) check() string {
	s := fmt.Sprintf("%s %s %s", o.Metric, opSymbol(o.Operator), formatNumber(o.Value))
	if sc := scope(o.Where); sc != "" {
		s += " (" + sc + ")"
	}
	return s
}

// name is how reports title an assertion: its description, else the check.
func (o Outcome) name() string {
	if d := strings.TrimSpace(o.Description); d != "" {
		return d
	}
	return o.check()
}

// status is pass, fail or error for one assertion of a run.
func (o Outcome) status(r Run) string {
	switch {
	case r.Verdict == Error:
		return Error
	case o.Error != "":
		return Error
	case o.Passed:
		return Pass
	default:
		return Fail
	}
}

// failureMessage names the metric, the actual value, the operator and the
// threshold: what a reviewer needs without opening the scenario.
func (o Outcome) failureMessage() string {
	a, w := formatPair(o.Actual, o.Value)
	s := fmt.Sprintf("%s = %s, want %s %s", o.Metric, a, opSymbol(o.Operator), w)
	if sc := scope(o.Where); sc != "" {
		s += " (" + sc + ")"
	}
	return s
}

// errorMessage says why an assertion has no value.
func (o Outcome) errorMessage(r Run) string {
	if r.Verdict == Error {
		return fmt.Sprintf("%s not measured: the run did not finish: %s", o.Metric, r.Error)
	}
	return fmt.Sprintf("%s could not be measured: %s", o.Metric, o.Error)
}

// location is "file:line" of an assertion, or what is known of it.
func location(file string, line int) string {
	switch {
	case file == "" && line == 0:
		return ""
	case line == 0:
		return file
	default:
		return fmt.Sprintf("%s:%d", file, line)
	}
}

// seedList compresses seeds into ranges: "1-3, 7, 9-10".
func seedList(seeds []int64) string {
	s := append([]int64(nil), seeds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	var parts []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] <= s[j]+1 {
			j++
		}
		switch {
		case s[i] == s[j]:
			parts = append(parts, strconv.FormatInt(s[i], 10))
		default:
			parts = append(parts, fmt.Sprintf("%d-%d", s[i], s[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// scenarioGroup is the runs of one scenario, in the suite's order.
type scenarioGroup struct {
	Name string
	File string
	Runs []int // indexes into Suite.Runs
}

// groups splits a suite by scenario, keeping the order of first appearance.
// Runs of the same scenario name from different files are different groups.
func groups(s Suite) []scenarioGroup {
	var gs []scenarioGroup
	index := map[[2]string]int{}
	for i, r := range s.Runs {
		k := [2]string{r.Scenario, r.ScenarioFile}
		g, ok := index[k]
		if !ok {
			g = len(gs)
			index[k] = g
			gs = append(gs, scenarioGroup{Name: r.Scenario, File: r.ScenarioFile})
		}
		gs[g].Runs = append(gs[g].Runs, i)
	}
	return gs
}

func (g scenarioGroup) seeds(s Suite) []int64 {
	seeds := make([]int64, len(g.Runs))
	for i, ri := range g.Runs {
		seeds[i] = s.Runs[ri].Seed
	}
	return seeds
}

// spreads returns the suite's spread rows of a scenario.
func (g scenarioGroup) spreads(s Suite) []Spread {
	var out []Spread
	for _, sp := range s.Spread {
		if sp.Scenario == g.Name && sp.File == g.File {
			out = append(out, sp)
		}
	}
	return out
}

// counts tallies runs by verdict.
type counts struct{ Pass, Fail, Error int }

func countRuns(s Suite, idx []int) counts {
	var c counts
	for _, i := range idx {
		switch s.Runs[i].Verdict {
		case Pass:
			c.Pass++
		case Fail:
			c.Fail++
		default:
			c.Error++
		}
	}
	return c
}

// verdict is the verdict of the runs counted: fail if any failed, else
// error if any errored, else pass.
func (c counts) verdict() string {
	switch {
	case c.Fail > 0:
		return Fail
	case c.Error > 0:
		return Error
	default:
		return Pass
	}
}

// suiteVerdict is the suite's verdict, derived from the runs when the
// caller left it empty.
func suiteVerdict(s Suite) string {
	if s.Verdict != "" {
		return s.Verdict
	}
	all := make([]int, len(s.Runs))
	for i := range all {
		all[i] = i
	}
	return countRuns(s, all).verdict()
}

// warning is one distinct warning text of a scenario, with the seeds that
// raised it: a sweep repeats the same warnings on every seed.
type warning struct {
	Scenario string
	Text     string
	Seeds    []int64
	Runs     int // how many runs of the scenario, to say "every seed"
}

func warnings(s Suite) []warning {
	return distinct(s, func(r Run) []string { return r.Warnings })
}

// notes are the runs' notes, as warnings are gathered: what a run did that
// no one need mend, such as pacing its clock to the wall clock.
func notes(s Suite) []warning {
	return distinct(s, func(r Run) []string { return r.Notes })
}

// distinct gathers the texts of(run) of each scenario once, with the
// seeds that gave each.
func distinct(s Suite, of func(Run) []string) []warning {
	var out []warning
	for _, g := range groups(s) {
		index := map[string]int{}
		for _, ri := range g.Runs {
			r := s.Runs[ri]
			for _, w := range of(r) {
				i, ok := index[w]
				if !ok {
					i = len(out)
					index[w] = i
					out = append(out, warning{Scenario: g.Name, Text: w, Runs: len(g.Runs)})
				}
				out[i].Seeds = append(out[i].Seeds, r.Seed)
			}
		}
	}
	return out
}

// where says which seeds raised a warning: "" for a single run.
func (w warning) where() string {
	switch {
	case w.Runs <= 1:
		return ""
	case len(w.Seeds) == w.Runs:
		return "every seed"
	case len(w.Seeds) == 1:
		return "seed " + seedList(w.Seeds)
	default:
		return "seeds " + seedList(w.Seeds)
	}
}

// linkLabel names a link "src → dst".
func linkLabel(l Link) string { return l.Src + " → " + l.Dst }

// topLinks returns at most n links: the ones that dropped most, then the
// busiest, in the run's order.
func topLinks(links []Link, n int) []Link {
	if len(links) <= n {
		return links
	}
	idx := make([]int, len(links))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		la, lb := links[idx[a]], links[idx[b]]
		if la.PacketsDropped != lb.PacketsDropped {
			return la.PacketsDropped > lb.PacketsDropped
		}
		return la.PacketsSent > lb.PacketsSent
	})
	idx = idx[:n]
	sort.Ints(idx)
	out := make([]Link, n)
	for i, j := range idx {
		out[i] = links[j]
	}
	return out
}

// downsample merges adjacent buckets so a chart has at most n points:
// averages weighted by delivered messages, maxima kept, counts summed.
func downsample(b []Bucket, n int) []Bucket {
	if len(b) <= n || n <= 0 {
		return b
	}
	per := (len(b) + n - 1) / n
	out := make([]Bucket, 0, n)
	for i := 0; i < len(b); i += per {
		end := min(i+per, len(b))
		m := Bucket{StartS: b[i].StartS}
		var sum, weight float64
		for _, x := range b[i:end] {
			m.Delivered += x.Delivered
			m.Dropped += x.Dropped
			m.LatencyMaxMS = math.Max(m.LatencyMaxMS, x.LatencyMaxMS)
			w := float64(x.Delivered)
			if w == 0 && x.LatencyAvgMS != 0 {
				w = 1
			}
			sum += x.LatencyAvgMS * w
			weight += w
		}
		if weight > 0 {
			m.LatencyAvgMS = sum / weight
		}
		out = append(out, m)
	}
	return out
}

// finite replaces NaN and infinities with 0, so a bad figure cannot break a
// chart's geometry.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
