package scenario

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAliasedEntries: a list entry written as *x is the anchor's nodes,
// positions included. A diagnostic about that entry among the others (a
// duplicate id, port, link or name) points at the use it is about, and
// names an earlier entry by the line of its own use; one about the
// anchor's values (a port out of range, an unknown node) stays at the
// value, where it is fixed for every use.
func TestAliasedEntries(t *testing.T) {
	t.Parallel()
	const sim = "simulation: {duration_s: 5, seed: 1}\n"
	for _, tc := range []struct {
		name, src string
		want      []string
	}{{
		name: "a node used again",
		src: sim + `nodes:
  - &n {id: a, type: sensor, port: 5001}
  - *n
`,
		want: []string{
			`fixture.yaml:4:5: warning: nodes[1]: port 5001 is also used by nodes[0] (line 3) (give every node its own port)`,
			`fixture.yaml:4:5: error: nodes[1]: duplicate node id "a" (first defined on line 3, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a node used again on one line",
		src:  sim + "nodes: [&n {id: a, type: sensor, port: 5001}, *n]\n",
		want: []string{
			`fixture.yaml:2:47: warning: nodes[1]: port 5001 is also used by nodes[0] (line 2) (give every node its own port)`,
			`fixture.yaml:2:47: error: nodes[1]: duplicate node id "a" (first defined on line 2, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a node used twice after its anchor elsewhere",
		src: sim + `x-node: &n {id: a, type: sensor, port: 5001}
nodes:
  - *n
  - *n
`,
		want: []string{
			`fixture.yaml:5:5: warning: nodes[1]: port 5001 is also used by nodes[0] (line 4) (give every node its own port)`,
			`fixture.yaml:5:5: error: nodes[1]: duplicate node id "a" (first defined on line 4, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a written-out node after an alias",
		src: sim + `x-node: &n {id: a, type: sensor, port: 5001}
nodes:
  - *n
  - {id: a, type: sensor, port: 5001}
`,
		want: []string{
			`fixture.yaml:5:33: warning: nodes[1]: port 5001 is also used by nodes[0] (line 4) (give every node its own port)`,
			`fixture.yaml:5:10: error: nodes[1]: duplicate node id "a" (first defined on line 4, nodes[0]) (give every node its own id)`,
		},
	}, {
		// The anchor's own mistakes are reported for each use, at the value.
		name: "a node whose port is out of range",
		src: sim + `nodes:
  - &n {id: a, type: sensor, port: 0}
  - *n
`,
		want: []string{
			`fixture.yaml:3:36: error: nodes[0].port must be between 1 and 65535, got 0 (write a TCP port between 1 and 65535)`,
			`fixture.yaml:3:36: error: nodes[1].port must be between 1 and 65535, got 0 (write a TCP port between 1 and 65535)`,
			`fixture.yaml:4:5: error: nodes[1]: duplicate node id "a" (first defined on line 3, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a node that is a device of a group",
		src: sim + `nodes:
  - {id: "s{i}", type: sensor, count: 3}
  - &n {id: s2, type: sensor, port: 5001}
  - {id: b, type: sensor, port: 5002}
  - *n
`,
		want: []string{
			`fixture.yaml:6:5: warning: nodes[3]: port 5001 is also used by nodes[1] (line 4) (give every node its own port)`,
			`fixture.yaml:4:13: error: nodes[1]: node id "s2" is also device 2 of the group "s{i}" (nodes[0]) (give every node its own id)`,
			`fixture.yaml:6:5: error: nodes[3]: node id "s2" is also device 2 of the group "s{i}" (nodes[0]) (give every node its own id)`,
			`fixture.yaml:6:5: error: nodes[3]: duplicate node id "s2" (first defined on line 4, nodes[1]) (give every node its own id)`,
		},
	}, {
		name: "a group used again",
		src: sim + `nodes:
  - &g {id: "s{i}", type: sensor, count: 3}
  - *g
`,
		want: []string{
			`fixture.yaml:4:5: error: nodes[1]: the group "s{i}" can name the same devices as the group "s{i}" (nodes[0]) (give each group its own prefix, e.g. "edge-a{i}" and "edge-b{i}")`,
			`fixture.yaml:4:5: error: nodes[1]: duplicate node id "s{i}" (first defined on line 3, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a link used again",
		src: sim + `nodes:
  - {id: a, type: sensor, port: 5001}
  - {id: b, type: sensor, port: 5002}
network:
  model: latency
  links:
    - &l {src: a, dst: b, latency_us: 1}
    - {src: b, dst: a, latency_us: 1}
    - *l
`,
		want: []string{
			`fixture.yaml:10:7: warning: network.links[2]: link a->b is also defined by network.links[0] (line 8); the last one wins, as in upstream (remove one of them)`,
		},
	}, {
		name: "a link written out after an alias",
		src: sim + `x-link: &l {src: a, dst: b, latency_us: 1}
nodes:
  - {id: a, type: sensor, port: 5001}
  - {id: b, type: sensor, port: 5002}
network:
  model: latency
  links:
    - *l
    - {src: a, dst: b, latency_us: 2}
`,
		want: []string{
			`fixture.yaml:10:13: warning: network.links[1]: link a->b is also defined by network.links[0] (line 9); the last one wins, as in upstream (remove one of them)`,
		},
	}, {
		name: "a link naming an unknown node",
		src: sim + `nodes:
  - {id: a, type: sensor, port: 5001}
network:
  model: latency
  links:
    - &l {src: a, dst: c, latency_us: 1}
    - *l
`,
		want: []string{
			`fixture.yaml:8:7: warning: network.links[1]: link a->c is also defined by network.links[0] (line 7); the last one wins, as in upstream (remove one of them)`,
			`fixture.yaml:7:24: error: network.links[0].dst names unknown node "c" (did you mean a? known nodes: a)`,
			`fixture.yaml:7:24: error: network.links[1].dst names unknown node "c" (did you mean a? known nodes: a)`,
		},
	}, {
		name: "an observer used again",
		src: sim + `nodes:
  - {id: a, type: sensor, port: 5001}
observe:
  - &o {name: agg, mqtt: {node: a, topic: "#"}}
  - *o
`,
		want: []string{
			`fixture.yaml:6:5: error: observe: duplicate observer name "agg" (give every observer its own name)`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, warnings, err := Parse([]byte(tc.src), file)
			got := diagStrings(warnings, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMergedEntries: a value an entry gets through a merge key (<<: *x)
// is the anchor's node, shared by every entry that merges it, so a
// duplicate of it points at the entry; a value written in the entry,
// including in a mapping merged inline, keeps its own position.
func TestMergedEntries(t *testing.T) {
	t.Parallel()
	const sim = "simulation: {duration_s: 5, seed: 1}\n"
	for _, tc := range []struct {
		name, src string
		want      []string
	}{{
		name: "an id from the merge",
		src: sim + `x-base: &base {id: a, type: sensor}
nodes:
  - {<<: *base, port: 5001}
  - {<<: *base, port: 5002}
`,
		want: []string{
			`fixture.yaml:5:5: error: nodes[1]: duplicate node id "a" (first defined on line 4, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "an id from the merge, in block style",
		src: sim + `x-base: &base {id: a, type: sensor}
nodes:
  - <<: *base
    port: 5001
  - <<: *base
    port: 5002
`,
		want: []string{
			`fixture.yaml:6:5: error: nodes[1]: duplicate node id "a" (first defined on line 4, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a port from the merge, the id written",
		src: sim + `x-base: &base {type: sensor, port: 5001}
nodes:
  - {<<: *base, id: a}
  - {<<: *base, id: a}
`,
		want: []string{
			`fixture.yaml:5:5: warning: nodes[1]: port 5001 is also used by nodes[0] (line 4) (give every node its own port)`,
			`fixture.yaml:5:21: error: nodes[1]: duplicate node id "a" (first defined on line 4, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "an id from a merge written inline",
		src: sim + `x-base: &base {type: sensor}
nodes:
  - {<<: [*base, {id: a}], port: 5001}
  - {<<: [*base, {id: a}], port: 5002}
`,
		want: []string{
			`fixture.yaml:5:23: error: nodes[1]: duplicate node id "a" (first defined on line 4, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "an id from a merge of a merge",
		src: sim + `x-base: &base {id: a, type: sensor}
x-node: &n {<<: *base}
nodes:
  - {<<: *n, port: 5001}
  - {<<: *n, port: 5002}
`,
		want: []string{
			`fixture.yaml:6:5: error: nodes[1]: duplicate node id "a" (first defined on line 5, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a device of a group from the merge",
		src: sim + `x-dev: &dev {id: s2, type: sensor}
nodes:
  - {id: "s{i}", type: sensor, count: 3}
  - {<<: *dev, port: 5001}
`,
		want: []string{
			`fixture.yaml:5:5: error: nodes[1]: node id "s2" is also device 2 of the group "s{i}" (nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a group from the merge",
		src: sim + `x-group: &g {id: "s{i}", type: sensor, count: 3}
nodes:
  - {<<: *g}
  - {<<: *g}
`,
		want: []string{
			`fixture.yaml:5:5: error: nodes[1]: the group "s{i}" can name the same devices as the group "s{i}" (nodes[0]) (give each group its own prefix, e.g. "edge-a{i}" and "edge-b{i}")`,
			`fixture.yaml:5:5: error: nodes[1]: duplicate node id "s{i}" (first defined on line 4, nodes[0]) (give every node its own id)`,
		},
	}, {
		name: "a link from the merge",
		src: sim + `x-link: &l {src: a, dst: b}
nodes:
  - {id: a, type: sensor, port: 5001}
  - {id: b, type: sensor, port: 5002}
network:
  model: latency
  links:
    - {<<: *l, latency_us: 1}
    - {<<: *l, latency_us: 2}
`,
		want: []string{
			`fixture.yaml:10:7: warning: network.links[1]: link a->b is also defined by network.links[0] (line 9); the last one wins, as in upstream (remove one of them)`,
		},
	}, {
		name: "an observer name from the merge",
		src: sim + `x-obs: &o {name: agg}
nodes:
  - {id: a, type: sensor, port: 5001}
observe:
  - {<<: *o, mqtt: {node: a, topic: "#"}}
  - {<<: *o, mqtt: {node: a, topic: "x"}}
`,
		want: []string{
			`fixture.yaml:7:5: error: observe: duplicate observer name "agg" (give every observer its own name)`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, warnings, err := Parse([]byte(tc.src), file)
			got := diagStrings(warnings, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// diagStrings formats a Parse's warnings, then its errors.
func diagStrings(warnings []Diagnostic, err error) []string {
	var got []string
	for _, w := range warnings {
		got = append(got, w.String())
	}
	var serr *Error
	if errors.As(err, &serr) {
		for _, e := range serr.Diagnostics {
			got = append(got, e.String())
		}
	}
	return got
}
