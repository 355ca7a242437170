package scenario

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const twoNodes = minimal + "  - {id: gateway1, type: gateway, port: 5002}\n"

func TestAssertionsAndFaultsLoad(t *testing.T) {
	t.Parallel()
	s, warnings := parse(t, twoNodes+`validation:
  assertions:
    - metric: delivery_ratio
      operator: ">="
      value: 0.99
      description: readings reach the gateway
      where: {src: "a*", dst: gateway1}
    - {metric: avg_e2e_latency_ms, max: 100}
    - {metric: total_packets_sent, min: 5}
    - {metric: messages_processed, operator: gt, value: 0, where: {node: gateway1}}
faults:
  - {at_s: 0.25, kind: link_down, link: {src: a, dst: gateway1}, duration_s: 0.5}
  - {at_s: 0.5, kind: link_degrade, link: {src: "*", dst: gateway1}, latency_us: 50000, loss_rate: 0.2}
  - {at_s: 0.1, kind: partition, groups: [[a], [gateway1]], duration_s: 0.1}
  - {at_s: 0.4, kind: node_crash, node: gateway1, restart_after_s: 0.2}
`)
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	var got []string
	for _, a := range s.Assertions {
		got = append(got, a.Metric+" "+a.Operator+" "+strconv.FormatFloat(a.Value, 'g', -1, 64)+" "+a.Where.Src+"|"+a.Where.Dst+"|"+a.Where.Node)
	}
	want := []string{
		"packet_delivery_rate gte 0.99 a*|gateway1|",
		"latency_avg_ms lte 100 ||",
		"packets_sent gte 5 ||",
		"messages_processed gt 0 ||gateway1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("assertions (-want +got):\n%s", diff)
	}
	if s.Assertions[0].Pos.Line != 11 || s.Assertions[0].Description != "readings reach the gateway" {
		t.Errorf("first assertion at line %d, description %q", s.Assertions[0].Pos.Line, s.Assertions[0].Description)
	}
	f := s.Faults
	if len(f) != 4 || f[0].AtUS != 250000 || f[0].DurationUS != 500000 || f[0].Link != (Scope{Src: "a", Dst: "gateway1"}) ||
		*f[1].LatencyUS != 50000 || *f[1].LossRate != 0.2 || f[1].DurationUS != 0 ||
		cmp.Diff([][]string{{"a"}, {"gateway1"}}, f[2].Groups) != "" ||
		f[3].Node != "gateway1" || *f[3].RestartAfterUS != 200000 || f[3].Pos.Line != 23 {
		t.Errorf("faults = %+v", f)
	}
}

func TestGateErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  string
		want []string
		msg  string // a substring of the first error
	}{{
		name: "unknown metric lists the known ones",
		src:  twoNodes + "validation:\n  assertions:\n    - {metric: ml_accuracy, operator: gte, value: 0.85}\n",
		want: []string{"11:^ml_accuracy validation.assertions[0].metric"},
		msg:  "unknown metric \"ml_accuracy\" (known metrics: cpu_avg_pct, cpu_peak_pct,",
	}, {
		name: "misspelt metric gets a suggestion",
		src:  twoNodes + "validation:\n  assertions:\n    - {metric: packet_delivery_rat, operator: gte, value: 1}\n",
		want: []string{"11:^packet_delivery_rat validation.assertions[0].metric"},
		msg:  "did you mean packet_delivery_rate?",
	}, {
		name: "wrong operator",
		src:  twoNodes + "validation:\n  assertions:\n    - {metric: packets_sent, operator: atleast, value: 1}\n",
		want: []string{"11:^atleast validation.assertions[0].operator"},
		msg:  "unknown operator \"atleast\"",
	}, {
		name: "string where a number belongs",
		src:  twoNodes + "validation:\n  assertions:\n    - {metric: packets_sent, operator: gte, value: lots}\n",
		want: []string{"11:^lots validation.assertions[0].value"},
	}, {
		name: "value without operator",
		src:  twoNodes + "validation:\n  assertions:\n    - {metric: packets_sent, value: 3}\n",
		want: []string{"11:^{metric validation.assertions[0].operator"},
	}, {
		name: "value and min together",
		src:  twoNodes + "validation:\n  assertions:\n    - {metric: packets_sent, min: 1, max: 3}\n",
		want: []string{"11:^{metric validation.assertions[0]"},
	}, {
		name: "node scope on a network metric",
		src:  twoNodes + "validation:\n  assertions:\n    - {metric: latency_p95_ms, operator: lt, value: 5, where: {node: a}}\n",
		want: []string{"11:^{node validation.assertions[0].where.node"},
	}, {
		name: "unknown node in scope",
		src:  twoNodes + "validation:\n  assertions:\n    - {metric: packets_sent, operator: gte, value: 1, where: {src: sensor9}}\n",
		want: []string{"11:^sensor9 validation.assertions[0].where.src"},
	}, {
		name: "assertions not a list",
		src:  twoNodes + "validation:\n  assertions: {metric: packets_sent}\n",
		want: []string{"10:^{metric validation.assertions"},
	}, {
		name: "fault mistakes",
		src: twoNodes + `faults:
  - {at_s: -1, kind: link_down, link: {src: a, dst: gateway1}}
  - {at_s: 1, kind: meteor}
  - {at_s: 1, kind: node_crash, node: gatewy1}
  - {at_s: 1, kind: partition, groups: [[a]]}
  - {at_s: 1, kind: link_degrade, link: {src: a, dst: gateway1}}
  - {at_s: 1, kind: link_down, node: a, link: {dst: "["}}
`,
		want: []string{
			"10:^-1 faults[0].at_s",
			"11:^meteor faults[1].kind",
			"12:^gatewy1 faults[2].node",
			"13:^[[a]] faults[3].groups",
			"14:^{at_s faults[4]",
			"15:^node: faults[5].node",
			"15:^\"[\" faults[5].link.dst",
		},
		msg: "faults[0].at_s must be non-negative, got -1",
	}, {
		name: "node_pause takes a node, and no restart",
		src:  twoNodes + "faults:\n  - {at_s: 1, kind: node_pause, node: a, restart_after_s: 1}\n  - {at_s: 1, kind: node_pause}\n",
		want: []string{"10:^restart_after_s faults[0].restart_after_s", "11:^{at_s faults[1].node"},
		msg:  "faults[0]: restart_after_s does not apply to node_pause",
	}, {
		// at_s plus duration_s once wrapped to a window ending before it
		// began: a fault that never happened, and no error.
		name: "a fault time that does not fit",
		src:  twoNodes + "faults:\n  - {at_s: 0.5, kind: link_down, link: {src: a, dst: gateway1}, duration_s: 9.2233e12}\n  - {at_s: 1e300, kind: node_crash, node: a}\n",
		want: []string{"10:^9.2233e12 faults[0].duration_s", "11:^1e300 faults[1].at_s"},
		msg:  "faults[0].duration_s must be at most 4000000000000 s, got 9.2233e12",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diags := errorsOf(t, tc.src)
			if diff := cmp.Diff(expand(t, tc.src, tc.want), where(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall: %v", diff, diags)
			}
			if tc.msg != "" && !strings.Contains(diags[0].String(), tc.msg) {
				t.Errorf("first error %q does not contain %q", diags[0].String(), tc.msg)
			}
		})
	}
}

func TestFaultAfterTheEndIsAWarning(t *testing.T) {
	t.Parallel()
	_, warnings := parse(t, twoNodes+"faults:\n  - {at_s: 5, kind: node_crash, node: a}\n")
	if len(warnings) != 1 || !strings.Contains(warnings[0].Message, "never happens") || warnings[0].Pos.Line != 10 {
		t.Errorf("warnings = %v", warnings)
	}
}

// TestFaultAfterTheEndPointsAtIt: the warning about a fault that starts
// when the run has ended names and points at that fault's entry, also when
// a fault before it is refused (it named and pointed at the refused one).
func TestFaultAfterTheEndPointsAtIt(t *testing.T) {
	t.Parallel()
	const head = `simulation: {duration_s: 5, seed: 1}
nodes:
  - {id: gw, type: gateway, port: 5002}
faults:
`
	for _, tc := range []struct {
		name, faults string
		want         []string
	}{{
		name:   "after a refused fault",
		faults: "  - {at_s: 1, kind: bogus}\n  - {at_s: 10, kind: node_crash, node: gw}\n",
		want:   []string{`fixture.yaml:6:5: warning: faults[1] starts at 10 s, at or after the run ends (5 s); it never happens (make at_s smaller than simulation.duration_s)`},
	}, {
		name:   "an anchor's entry used again",
		faults: "  - &x {at_s: 10, kind: link_down, link: {src: gw}}\n  - *x\n",
		want: []string{
			`fixture.yaml:5:5: warning: faults[0] starts at 10 s, at or after the run ends (5 s); it never happens (make at_s smaller than simulation.duration_s)`,
			`fixture.yaml:6:5: warning: faults[1] starts at 10 s, at or after the run ends (5 s); it never happens (make at_s smaller than simulation.duration_s)`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, warnings, _ := Parse([]byte(head+tc.faults), file)
			var got []string
			for _, w := range warnings {
				got = append(got, w.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}
