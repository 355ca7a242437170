package report

import (
	"fmt"
	"strings"
)

// HTML renders report.html: one self-contained page (inline CSS and SVG, no
// script, nothing loaded from elsewhere; a Content-Security-Policy forbids
// it) with the verdict, every run's assertions with actual values, a chart
// of latency over virtual time with fault windows shaded, a chart of
// delivered and dropped messages per link, the faults, the warnings, and for
// seed sweeps a table of seeds and the spread of each asserted metric.
//
// Charts have stable hooks for tests and styling: run N (from 1) is
// section id "run-N", its charts are svg ids "chart-latency-N" and
// "chart-links-N" with classes "chart chart-latency" and "chart chart-links".
func HTML(s Suite) ([]byte, error) {
	return writePage(newPage(s)), nil
}

type htmlPage struct {
	Title     string
	Verdict   string
	Headline  string
	Counts    counts
	Runs      int
	Overview  bool
	Scenarios []htmlScenario
	Warnings  []htmlWarning
	Notes     []htmlWarning
}

type htmlScenario struct {
	Name, File, Seeds string
	Verdict           string
	Counts            counts
	Sweep             bool
	Columns           []htmlColumn
	Rows              []htmlSeedRow
	Spread            []htmlSpread
	Runs              []htmlRun
}

type htmlColumn struct{ Name, Check, Location string }

type htmlSeedRow struct {
	Seed    int64
	Anchor  string
	Verdict string
	Cells   []htmlCell
}

type htmlCell struct{ Status, Text string }

type htmlSpread struct {
	Metric, Scope          string
	Seeds                  int
	Min, Mean, Max, StdDev string
}

type htmlRun struct {
	N        int
	ID       string
	Scenario string
	File     string
	Seed     int64
	Verdict  string
	Error    string
	Open     bool
	Facts    []htmlFact
	Checks   []htmlAssertion
	Observed []observerRow
	Used     []resourceRow
	Latency  *lineChart
	Links    *barChart
	Faults   []htmlFault
	// RealFaults: a fault acted on real traffic, and the faults table has
	// a column for it.
	RealFaults bool
	Warnings   []string
}

type htmlFact struct{ Name, Value string }

type htmlAssertion struct {
	Status, Name, Check, Actual, Expected, Location, Message string
}

type htmlFault struct {
	At, Until, Real, Kind, Target, Location string
	Dropped                                 int64
}

type htmlWarning struct{ Scenario, Where, Text string }

func newPage(s Suite) htmlPage {
	p := htmlPage{Verdict: suiteVerdict(s), Runs: len(s.Runs)}
	all := make([]int, len(s.Runs))
	for i := range all {
		all[i] = i
	}
	p.Counts = countRuns(s, all)
	gs := groups(s)
	p.Overview = len(gs) > 1
	var names []string
	for _, g := range gs {
		seeds := g.seeds(s)
		word := "seed"
		if len(seeds) > 1 {
			word = "seeds"
		}
		names = append(names, fmt.Sprintf("%s (%s %s)", g.Name, word, seedList(seeds)))
		p.Scenarios = append(p.Scenarios, newScenario(s, g))
	}
	if len(names) > 10 {
		names = append(names[:10], fmt.Sprintf("and %d more scenarios", len(names)-10))
	}
	p.Headline = strings.Join(names, ", ")
	p.Title = "xedgesim: " + p.Verdict
	if len(gs) == 1 {
		p.Title += " · " + gs[0].Name
	}
	for _, w := range warnings(s) {
		p.Warnings = append(p.Warnings, htmlWarning{Scenario: w.Scenario, Where: w.where(), Text: w.Text})
	}
	for _, n := range notes(s) {
		p.Notes = append(p.Notes, htmlWarning{Scenario: n.Scenario, Where: n.where(), Text: n.Text})
	}
	return p
}

func newScenario(s Suite, g scenarioGroup) htmlScenario {
	c := countRuns(s, g.Runs)
	sc := htmlScenario{Name: g.Name, File: g.File, Seeds: seedList(g.seeds(s)), Counts: c, Sweep: len(g.Runs) > 1}
	switch {
	case c.Fail > 0:
		sc.Verdict = Fail
	case c.Error > 0:
		sc.Verdict = Error
	default:
		sc.Verdict = Pass
	}
	for _, ri := range g.Runs {
		sc.Runs = append(sc.Runs, newRun(s.Runs[ri], ri+1, !sc.Sweep))
	}
	if !sc.Sweep {
		return sc
	}
	cols := assertionColumns(s, g)
	for _, col := range cols {
		sc.Columns = append(sc.Columns, htmlColumn{Name: col.name(), Check: col.check(), Location: location(col.File, col.Line)})
	}
	for _, ri := range g.Runs {
		r := s.Runs[ri]
		row := htmlSeedRow{Seed: r.Seed, Anchor: fmt.Sprintf("#run-%d", ri+1), Verdict: r.Verdict}
		for _, col := range cols {
			o, ok := findAssertion(r, col)
			switch {
			case r.Verdict == Error || !ok:
				row.Cells = append(row.Cells, htmlCell{Status: Error, Text: "—"})
			case o.Error != "":
				row.Cells = append(row.Cells, htmlCell{Status: Error, Text: "not measured"})
			default:
				a, _ := formatPair(o.Actual, o.Value)
				row.Cells = append(row.Cells, htmlCell{Status: o.status(r), Text: a})
			}
		}
		sc.Rows = append(sc.Rows, row)
	}
	for _, x := range g.spreads(s) {
		sc.Spread = append(sc.Spread, htmlSpread{Metric: x.Metric, Scope: scope(x.Where), Seeds: x.Seeds,
			Min: formatNumber(x.Min), Mean: formatNumber(x.Mean), Max: formatNumber(x.Max), StdDev: formatNumber(x.StdDev)})
	}
	return sc
}

// newRun lays out run n (from 1). A lone run is always open; in a sweep,
// the runs that did not pass are.
func newRun(r Run, n int, alone bool) htmlRun {
	h := htmlRun{
		N: n, ID: fmt.Sprintf("run-%d", n), Scenario: r.Scenario, File: r.ScenarioFile, Seed: r.Seed,
		Verdict: r.Verdict, Error: r.Error, Open: alone || r.Verdict != Pass, Warnings: r.Warnings,
	}
	if r.Verdict != Error {
		nw := r.Network
		h.Facts = []htmlFact{
			{"virtual time", formatNumber(r.VirtualTimeS) + " s"},
			{"sent", fmt.Sprint(nw.PacketsSent)},
			{"delivered", fmt.Sprint(nw.PacketsDelivered)},
			{"dropped", fmt.Sprint(nw.PacketsDropped)},
			{"latency avg", formatNumber(nw.Latency.Avg/1000) + " ms"},
			{"latency max", formatNumber(float64(nw.Latency.MaxUS())/1000) + " ms"},
			{"events", fmt.Sprint(r.Events)},
		}
	}
	for _, o := range r.Assertions {
		a := htmlAssertion{Status: o.status(r), Name: o.name(), Check: o.check(), Location: location(o.File, o.Line)}
		switch a.Status {
		case Error:
			a.Actual, a.Expected = "—", opSymbol(o.Operator)+" "+formatNumber(o.Value)
			a.Message = o.errorMessage(r)
			if r.Verdict == Error {
				a.Message = "not measured: the run did not finish"
			}
		default:
			act, want := formatPair(o.Actual, o.Value)
			a.Actual, a.Expected = act, opSymbol(o.Operator)+" "+want
			if a.Status == Fail {
				a.Message = o.failureMessage()
			}
		}
		h.Checks = append(h.Checks, a)
	}
	h.Observed, h.Used = observerRows(r), resourceRows(r)
	if r.Verdict != Error {
		h.Latency = newLineChart(r)
		h.Links = newBarChart(r)
	}
	for _, f := range r.Faults {
		h.Faults = append(h.Faults, htmlFault{At: formatNumber(f.AtS), Until: formatNumber(f.EndS), Real: realText(f), Kind: f.Kind,
			Target: f.Target, Dropped: f.Dropped, Location: location(r.ScenarioFile, f.Line)})
	}
	h.RealFaults = realFaults(r)
	return h
}
