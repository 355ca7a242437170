package node

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// UpstreamDifferences names the config keys that make a node behave
// otherwise than upstream's, in file order; AsUpstream drops them and keeps
// what only starts and reaches a node.
func TestUpstreamDifferences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		node string // one node, YAML
		// diff is what UpstreamDifferences returns; kept is AsUpstream's
		// config keys.
		diff, kept []string
	}{
		{"no config", `{id: s, type: sensor, port: 1}`, nil, nil},
		{"sensor keys; unread keys and the topic's name are no difference",
			`{id: s, type: sensor, port: 1, config: {sensor_type: vibration, sample_rate_hz: 10, noise_level: 0.1}}`,
			[]string{"sample_rate_hz"}, []string{}},
		{"in file order", `{id: s, type: sensor, port: 1, config: {stddev: 1, dst: gateway1, mean: 3}}`,
			[]string{"stddev", "dst", "mean"}, []string{}},
		{"gateway keys", `{id: g, type: gateway, port: 1, config: {forward_to_cloud: true, forward_to: cloud, processing_us: 5}}`,
			[]string{"forward_to", "processing_us"}, []string{}},
		{"a model other than the type's", `{id: s, type: sensor, port: 1, config: {model: sink}}`, []string{"model"}, []string{}},
		{"the type's own model", `{id: s, type: sensor, port: 1, config: {model: sensor}}`, nil, []string{}},
		{"process: INIT keys differ, launch keys do not",
			`{id: p, type: sensor, config: {command: [./n, "{port}"], rate: 3, env: {A: 1}, protocol: tcp, timeout_s: 2}}`,
			[]string{"rate"}, []string{"command", "env", "protocol", "timeout_s"}},
		{"model: process is a launch key", `{id: p, type: gateway, port: 1, config: {model: process, seed: 9}}`,
			[]string{"seed"}, []string{"model"}},
		{"docker nodes read no config", `{id: d, type: gateway, implementation: docker, docker: {image: i}, config: {forward_to: x}}`,
			nil, []string{"forward_to"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc, _, err := scenario.Parse([]byte("simulation: {duration_s: 1, seed: 1}\nnodes:\n  - "+tc.node+"\n"), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			n := sc.Nodes[0]
			if diff := cmp.Diff(tc.diff, UpstreamDifferences(n)); diff != "" {
				t.Errorf("UpstreamDifferences (-want +got):\n%s", diff)
			}
			up := AsUpstream(n)
			var kept []string
			if up.Config != nil {
				kept = []string{}
				for k := range up.Config {
					kept = append(kept, k)
				}
			}
			if diff := cmp.Diff(tc.kept, kept, cmpSorted); diff != "" {
				t.Errorf("AsUpstream kept (-want +got):\n%s", diff)
			}
			if UpstreamDifferences(up) != nil {
				t.Errorf("AsUpstream(n) still differs: %v", UpstreamDifferences(up))
			}
			if len(n.Config) > 0 && len(up.Config) == len(n.Config) && tc.diff != nil {
				t.Error("AsUpstream changed nothing")
			}
		})
	}
}

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })
