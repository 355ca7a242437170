package report

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// observeSuite is a gate on an app's outputs: two observers, one of which
// follows readings to the output, and an assertion on each that failed.
func observeSuite() Suite {
	r := run("gateway_gate", "scenarios/gateway_gate.yaml", 1, 10)
	r.Verdict = Fail
	gap := 21.5
	r.Observers = []sim.ObserverResult{
		{Name: "aggregates", Source: "mqtt mqtt-broker gateway/+/aggregate", Messages: 27, WindowS: 30.01, RatePerS: 0.8997,
			GapMaxS: 6.002, Correlated: 16, E2EGapMaxS: &gap, E2E: &sim.E2ELatencyMS{Avg: 512.3, P50: 498.75, P95: 990.1, Max: 1003.2}},
		{Name: "stats", Source: "http gateway1:8080/aggregates every 1s", Messages: 29, WindowS: 30.01, RatePerS: 0.9663, GapMaxS: 1.5, Failed: 1},
	}
	r.Nodes = append(r.Nodes, Node{ID: "gateway1", Model: "docker", Image: "xedgesim.local/gateway:test", ImageDigest: "sha256:0123", Platform: "linux/arm64", PlatformDigest: "sha256:4567",
		Resources: &node.Resources{MemoryPeakMB: 12.4, MemoryLimitMB: 64, CPUAvgPct: 1.25, CPUPeakPct: 9.5, Restarts: 0, ImageSizeMB: 4.21, Samples: 120}})
	r.Assertions = []Outcome{
		outcome("observed_messages", "gte", 10, 27, 62),
		outcome("e2e_gap_max_s", "lte", 10, 21.5, 65),
		outcome("observed_field_max", "gte", 30, 16, 67),
	}
	r.Assertions[0].Where = map[string]string{"observe": "aggregates"}
	r.Assertions[1].Where = map[string]string{"observe": "aggregates"}
	r.Assertions[1].Description = "new readings reach the gateway's output again after the broker restart"
	r.Assertions[2].Where = map[string]string{"observe": "stats", "field": "count"}
	r.Assertions[1].Passed, r.Assertions[2].Passed = false, false
	for i := range r.Assertions {
		r.Assertions[i].File = r.ScenarioFile
	}
	return Suite{Verdict: Fail, Runs: []Run{r}}
}

// A crashed container's fault row ends when the container came back, not
// at the end of the run: in any paced run, also one paced for link faults
// on real packets alone (not statistical).
func TestCrashRowEndsAtRecovery(t *testing.T) {
	t.Parallel()
	sc := &scenario.Scenario{Faults: []scenario.Fault{{Kind: scenario.FaultNodeCrash, AtUS: 8_000_000, Node: "mqtt-broker"}}}
	res := &sim.Result{VirtualTimeUS: 30_000_000, Paced: true, Nodes: []sim.NodeResult{
		{ID: "mqtt-broker", RecoveryS: []float64{2.5}, Resources: &node.Resources{}},
	}}
	r := NewRun("s.yaml", sc, res, nil, Pass)
	if len(r.Faults) != 1 || r.Faults[0].EndS != 10.5 {
		t.Errorf("faults %+v, want one ending at 10.5 s", r.Faults)
	}
	res.Nodes[0].RecoveryS = nil
	if r := NewRun("s.yaml", sc, res, nil, Pass); r.Faults[0].EndS != 30 {
		t.Errorf("a container that never came back: faults %+v, want the row to end with the run", r.Faults)
	}
}

// A run's notes reach summary.json as notes, with their place in the
// scenario; a run without any has no notes key (the golden files).
func TestSummaryNotes(t *testing.T) {
	t.Parallel()
	sc := &scenario.Scenario{}
	res := &sim.Result{VirtualTimeUS: 1_000_000, Paced: true, Notes: []scenario.Diagnostic{{
		Pos: scenario.Pos{File: "s.yaml", Line: 9, Col: 5}, Severity: scenario.SeverityWarning,
		Message: "virtual time was paced to the wall clock: link faults (the first: link_down at 2.5s) act on the containers' real packets at their time"}}}
	r := NewRun("s.yaml", sc, res, nil, Pass)
	want := []string{"s.yaml:9:5: note: virtual time was paced to the wall clock: link faults (the first: link_down at 2.5s) act on the containers' real packets at their time"}
	if diff := cmp.Diff(want, r.Notes); diff != "" {
		t.Errorf("summary notes (-want +got):\n%s", diff)
	}
	md, err := Markdown(Suite{Verdict: Pass, Runs: []Run{r}})
	if err != nil {
		t.Fatal(err)
	}
	if line := "### ℹ️ Notes\n\n- **" + r.Scenario + "**: s.yaml:9:5: note: virtual time was paced"; !strings.Contains(string(md), line) {
		t.Errorf("summary.md has no note %q:\n%s", line, md)
	}
	page, err := HTML(Suite{Verdict: Pass, Runs: []Run{r}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `<section id="notes">`) || !strings.Contains(string(page), "s.yaml:9:5: note: virtual time was paced") {
		t.Errorf("report.html has no notes section:\n%s", page)
	}
}
