package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/xedgesim/simulate/pkg/gate"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
)

// NewRun builds the report of one finished run.
func NewRun(file string, sc *scenario.Scenario, res *sim.Result, outcomes []gate.Outcome, verdict string) Run {
	r := Run{Summary: NewSummary(file, sc.Network.Model, res, verdict), Assertions: []Outcome{}, Faults: []Fault{}, Timeline: []Bucket{}}
	for _, o := range outcomes {
		a := o.Assertion
		out := Outcome{Metric: a.Metric, Operator: a.Operator, Value: a.Value, Description: a.Description,
			Where: whereMap(a.Where, a.Field), Actual: o.Actual, Passed: o.Passed, File: file, Line: a.Pos.Line, Col: a.Pos.Col}
		if o.Err != nil {
			out.Error = o.Err.Error()
		}
		r.Assertions = append(r.Assertions, out)
	}
	end := float64(res.VirtualTimeUS) / 1e6
	recovered := crashEnds(sc, res)
	for i, f := range sc.Faults {
		rf := Fault{Kind: f.Kind, AtS: float64(f.AtUS) / 1e6, EndS: end, Target: faultTarget(f), Line: f.Pos.Line}
		switch {
		case recovered[i] > 0:
			rf.EndS = math.Min(recovered[i], end)
		case f.Kind == scenario.FaultNodeCrash && f.RestartAfterUS != nil:
			rf.EndS = math.Min(float64(f.AtUS+*f.RestartAfterUS)/1e6, end)
		case f.Kind != scenario.FaultNodeCrash && f.DurationUS > 0:
			rf.EndS = math.Min(float64(f.AtUS+f.DurationUS)/1e6, end)
		}
		if i < len(res.FaultDrops) {
			rf.Dropped = res.FaultDrops[i]
		}
		r.Faults = append(r.Faults, rf)
	}
	for i, b := range res.Timeline {
		rb := Bucket{StartS: float64(int64(i)*res.BucketUS) / 1e6, Delivered: b.Delivered, Dropped: b.Dropped,
			LatencyMaxMS: float64(b.LatencyMax) / 1000}
		if b.Delivered > 0 {
			rb.LatencyAvgMS = b.LatencySum.Float() / float64(b.Delivered) / 1000
		}
		if rb.StartS >= end && end > 0 {
			break
		}
		r.Timeline = append(r.Timeline, rb)
	}
	return r
}

// crashEnds is, by fault index, when a crashed container came back: the
// crash's time plus the recovery its node measured (the k-th recovery for
// its k-th crash). A paced run's virtual time follows the wall clock, so
// the sum places the end on the run's timeline.
func crashEnds(sc *scenario.Scenario, res *sim.Result) map[int]float64 {
	out := map[int]float64{}
	seen := map[string]int{}
	for i, f := range sc.Faults {
		if f.Kind != scenario.FaultNodeCrash || !res.Paced {
			continue
		}
		k := seen[f.Node]
		seen[f.Node]++
		for _, n := range res.Nodes {
			if n.ID == f.Node && k < len(n.RecoveryS) && n.Resources != nil {
				out[i] = float64(f.AtUS)/1e6 + n.RecoveryS[k]
			}
		}
	}
	return out
}

func whereMap(w scenario.Scope, field string) map[string]string {
	if w.IsZero() && field == "" {
		return nil
	}
	m := map[string]string{}
	for k, v := range map[string]string{"src": w.Src, "dst": w.Dst, "node": w.Node, "observe": w.Observe, "field": field} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func faultTarget(f scenario.Fault) string {
	switch f.Kind {
	case scenario.FaultNodeCrash, scenario.FaultNodePause:
		return f.Node
	case scenario.FaultPartition:
		var gs []string
		for _, g := range f.Groups {
			gs = append(gs, "["+strings.Join(g, " ")+"]")
		}
		return strings.Join(gs, " | ")
	}
	src, dst := f.Link.Src, f.Link.Dst
	if src == "" {
		src = "*"
	}
	if dst == "" {
		dst = "*"
	}
	return src + "->" + dst
}

// NewSuite gathers runs: the verdict is fail if any run failed, error if
// any could not run, and the spread of every asserted metric over the seeds
// of each scenario.
func NewSuite(runs []Run) Suite {
	s := Suite{Verdict: Pass, Runs: runs}
	for _, r := range runs {
		switch {
		case r.Verdict == Error:
			s.Verdict = Error
		case r.Verdict == Fail && s.Verdict != Error:
			s.Verdict = Fail
		}
	}
	type key struct{ scenario, file, metric, op, where string }
	values := map[key][]float64{}
	wheres := map[key]map[string]string{}
	var order []key
	for _, r := range runs {
		inRun := map[key]bool{}
		for _, o := range r.Assertions {
			k := key{r.Scenario, r.ScenarioFile, o.Metric, o.Operator, fmt.Sprint(o.Where)}
			if o.Error != "" || inRun[k] {
				// Two thresholds on one metric (gte 1, gte 5) measure one
				// value: one per seed.
				continue
			}
			inRun[k] = true
			if _, seen := values[k]; !seen {
				order = append(order, k)
				wheres[k] = o.Where
			}
			values[k] = append(values[k], o.Actual)
		}
	}
	for _, k := range order {
		vs := values[k]
		if len(vs) < 2 {
			continue
		}
		sp := Spread{Scenario: k.scenario, File: k.file, Metric: k.metric, Where: wheres[k], Seeds: len(vs), Min: vs[0], Max: vs[0]}
		var sum float64
		for _, v := range vs {
			sum += v
			sp.Min = math.Min(sp.Min, v)
			sp.Max = math.Max(sp.Max, v)
		}
		sp.Mean = sum / float64(len(vs))
		var ss float64
		for _, v := range vs {
			ss += (v - sp.Mean) * (v - sp.Mean)
		}
		sp.StdDev = math.Sqrt(ss / float64(len(vs)))
		s.Spread = append(s.Spread, sp)
	}
	sort.SliceStable(s.Spread, func(i, j int) bool {
		a, b := s.Spread[i], s.Spread[j]
		return a.Scenario < b.Scenario || a.Scenario == b.Scenario && a.File < b.File
	})
	return s
}
