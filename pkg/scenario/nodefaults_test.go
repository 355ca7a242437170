package scenario

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOverlappingNodeFaults: node faults whose windows overlap on one node
// are refused at the later fault's at_s, naming the earlier one; windows
// that touch, or on different nodes, load.
func TestOverlappingNodeFaults(t *testing.T) {
	t.Parallel()
	const head = `simulation: {duration_s: 100, seed: 1}
nodes:
  - {id: a, type: sensor, port: 5001, config: {dst: gw}}
  - {id: gw, type: gateway, port: 5002}
faults:
`
	for _, tc := range []struct {
		name, faults string
		// head replaces the one above when it is set.
		head string
		want []string
	}{{
		name: "a crash inside another",
		faults: `  - {at_s: 10, kind: node_crash, node: gw, restart_after_s: 20}
  - {at_s: 20, kind: node_crash, node: gw, restart_after_s: 5}
`,
		want: []string{`fixture.yaml:7:12: error: faults[1]: node_crash of node "gw" at 20 s overlaps faults[0] (line 6), which has it down from 10 s to 30 s; a node is down from one fault at a time (start it at 30 s or later, or make the two one fault)`},
	}, {
		name: "a crash after one without restart, listed first",
		faults: `  - {at_s: 50, kind: node_crash, node: gw, restart_after_s: 1}
  - {at_s: 10, kind: node_crash, node: gw}
`,
		want: []string{`fixture.yaml:6:12: error: faults[0]: node_crash of node "gw" at 50 s overlaps faults[1] (line 7), which has it down from 10 s until the end; a node is down from one fault at a time (give faults[1] a restart_after_s, or remove this one)`},
	}, {
		name: "a pause during a crash",
		faults: `  - {at_s: 10, kind: node_crash, node: gw, restart_after_s: 20}
  - {at_s: 15, kind: node_pause, node: gw, duration_s: 1}
`,
		want: []string{`fixture.yaml:7:12: error: faults[1]: node_pause of node "gw" at 15 s overlaps faults[0] (line 6), which has it down from 10 s to 30 s; a node is down from one fault at a time (start it at 30 s or later, or make the two one fault)`},
	}, {
		name: "two at the same time, one of no length",
		faults: `  - {at_s: 10, kind: node_crash, node: gw, restart_after_s: 0}
  - {at_s: 10, kind: node_crash, node: gw, restart_after_s: 3}
`,
		want: []string{`fixture.yaml:7:12: error: faults[1]: node_crash of node "gw" at 10 s overlaps faults[0] (line 6), which has it down from 10 s to 10 s; a node is down from one fault at a time (start it at 10 s or later, or make the two one fault)`},
	}, {
		name: "three: each compared with the one that ends last",
		faults: `  - {at_s: 10, kind: node_crash, node: gw, restart_after_s: 50}
  - {at_s: 20, kind: node_crash, node: a, restart_after_s: 5}
  - {at_s: 30, kind: node_pause, node: gw, duration_s: 1}
  - {at_s: 40, kind: node_crash, node: gw, restart_after_s: 1}
`,
		want: []string{
			`fixture.yaml:8:12: error: faults[2]: node_pause of node "gw" at 30 s overlaps faults[0] (line 6), which has it down from 10 s to 60 s; a node is down from one fault at a time (start it at 60 s or later, or make the two one fault)`,
			`fixture.yaml:9:12: error: faults[3]: node_crash of node "gw" at 40 s overlaps faults[0] (line 6), which has it down from 10 s to 60 s; a node is down from one fault at a time (start it at 60 s or later, or make the two one fault)`,
		},
	}, {
		name: "one of no length where another ends, then one at the same time",
		faults: `  - {at_s: 5, kind: node_crash, node: gw, restart_after_s: 5}
  - {at_s: 10, kind: node_crash, node: gw, restart_after_s: 0}
  - {at_s: 10, kind: node_crash, node: gw, restart_after_s: 2}
`,
		want: []string{`fixture.yaml:8:12: error: faults[2]: node_crash of node "gw" at 10 s overlaps faults[1] (line 7), which has it down from 10 s to 10 s; a node is down from one fault at a time (start it at 10 s or later, or make the two one fault)`},
	}, {
		// One anchor's uses share its nodes and their positions; the
		// error points at the use (*x) it is about.
		name: "an anchor's entry used again",
		faults: `  - &x {at_s: 10, kind: node_crash, node: gw, restart_after_s: 20}
  - *x
`,
		want: []string{`fixture.yaml:7:5: error: faults[1]: node_crash of node "gw" at 10 s overlaps faults[0] (line 6), which has it down from 10 s to 30 s; a node is down from one fault at a time (start it at 30 s or later, or make the two one fault)`},
	}, {
		name: "an earlier fault that is an alias",
		// The anchor is in a node's free-form config, before the list.
		head: strings.Replace(head, "port: 5002}", "port: 5002, config: {f: &y {at_s: 10, kind: node_crash, node: gw, restart_after_s: 20}}}", 1),
		faults: `  - *y
  - {at_s: 15, kind: node_pause, node: gw, duration_s: 1}
`,
		want: []string{`fixture.yaml:7:12: error: faults[1]: node_pause of node "gw" at 15 s overlaps faults[0] (line 6), which has it down from 10 s to 30 s; a node is down from one fault at a time (start it at 30 s or later, or make the two one fault)`},
	}, {
		// A merged at_s is shared by every entry that merges it; one
		// merged inline is written in the entry.
		name: "an at_s from a merge",
		head: strings.Replace(head, "faults:", "x-f: &f {at_s: 10, kind: node_crash, node: gw}\nfaults:", 1),
		faults: `  - {<<: *f, restart_after_s: 20}
  - {<<: [{at_s: 15}, *f], restart_after_s: 20}
  - {<<: *f, restart_after_s: 20}
`,
		want: []string{
			`fixture.yaml:8:18: error: faults[1]: node_crash of node "gw" at 15 s overlaps faults[0] (line 7), which has it down from 10 s to 30 s; a node is down from one fault at a time (start it at 30 s or later, or make the two one fault)`,
			`fixture.yaml:9:5: error: faults[2]: node_crash of node "gw" at 10 s overlaps faults[0] (line 7), which has it down from 10 s to 30 s; a node is down from one fault at a time (start it at 30 s or later, or make the two one fault)`,
		},
	}, {
		name: "windows that touch",
		faults: `  - {at_s: 10, kind: node_crash, node: gw, restart_after_s: 10}
  - {at_s: 20, kind: node_pause, node: gw, duration_s: 5}
  - {at_s: 25, kind: node_crash, node: gw}
`,
	}, {
		name: "different nodes",
		faults: `  - {at_s: 10, kind: node_crash, node: gw}
  - {at_s: 10, kind: node_crash, node: a}
`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := head + tc.faults
			if tc.head != "" {
				src = tc.head + tc.faults
			}
			if tc.want == nil {
				if _, _, err := Parse([]byte(src), file); err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var got []string
			for _, d := range errorsOf(t, src) {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
