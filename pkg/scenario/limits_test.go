package scenario

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNodeLimit: a nodes list longer than the limit is refused before its
// entries are decoded, with the one message (aliases once made a 16 MiB
// file decode 2.6 million nodes and a duplicate-id error each); groups are
// counted after they are expanded.
func TestNodeLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		want      []string
	}{{
		name: "entries over the limit",
		src: `simulation: {duration_s: 1, seed: 1}
base: &n {id: a, type: sensor, port: 5001}
nodes:
  - *n
  - *n
  - *n
  - *n
  - *n
`,
		want: []string{"fixture.yaml:4:3: error: the scenario has at least 5 nodes; the limit is 3 (split the fleet into several scenarios, or raise the limit with --max-nodes 5)"},
	}, {
		name: "a group over the limit",
		src: `simulation: {duration_s: 1, seed: 1}
nodes:
  - {id: "s{i}", count: 10, type: sensor, config: {dst: gw}}
  - {id: gw, type: gateway, port: 5002}
`,
		want: []string{"fixture.yaml:3:3: error: the scenario has 11 nodes; the limit is 3 (split the fleet into several scenarios, or raise the limit with --max-nodes 11)"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, d := range errorsOf(t, tc.src, WithMaxNodes(3)) {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
