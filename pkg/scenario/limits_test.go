package scenario

import (
	"strings"
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
		want: []string{"fixture.yaml:4:3: error: the scenario has 5 nodes; the limit is 3 (split the fleet into several scenarios, or raise the limit with --max-nodes 5)"},
	}, {
		name: "entries over the limit, one a group",
		src: `simulation: {duration_s: 1, seed: 1}
base: &n {id: a, type: sensor, port: 5001}
nodes:
  - *n
  - *n
  - *n
  - {id: "d{i}", count: 2, type: sensor}
`,
		want: []string{"fixture.yaml:4:3: error: the scenario has at least 4 nodes; the limit is 3 (split the fleet into several scenarios, or raise the limit with --max-nodes 4)"},
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

// TestLatencyLimit: a latency or jitter past 366 days is refused at the
// key. Near the int64 limit a link's latency wrapped each arrival into
// the past, and a 5 s run delivered them at once (average latency -808).
func TestLatencyLimit(t *testing.T) {
	t.Parallel()
	src := `simulation: {duration_s: 5, seed: 1}
nodes:
  - {id: a, type: sensor, port: 5001}
  - {id: gateway1, type: gateway, port: 5002}
network:
  model: latency
  default_latency_us: 31622400000001
  links:
    - {src: a, dst: gateway1, latency_us: 9223372036854775000, jitter_us: 40000000000000}
    - {src: gateway1, dst: a, latency_us: 31622400000000}
faults:
  - {at_s: 1, kind: link_degrade, link: {src: a}, latency_us: 9223372036854775807}
`
	want := []string{
		"7:^31622400000001 network.default_latency_us",
		"9:^9223372036854775000 network.links[0].latency_us",
		"9:^40000000000000 network.links[0].jitter_us",
		"12:^9223372036854775807 faults[0].latency_us",
	}
	diags := errorsOf(t, src)
	if diff := cmp.Diff(expand(t, src, want), where(diags)); diff != "" {
		t.Errorf("errors (-want +got):\n%s\nall: %v", diff, diags)
	}
	if got, msg := diags[0].String(), "network.default_latency_us must be at most 31622400000000 (366 days), got 31622400000001"; !strings.Contains(got, msg) {
		t.Errorf("first error %q does not say %q", got, msg)
	}
}
