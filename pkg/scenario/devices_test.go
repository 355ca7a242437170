package scenario

import (
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const fleetSrc = `simulation: {duration_s: 10, seed: 1}
nodes:
  - {id: "sensor{i}", count: 1000000, type: sensor, config: {dst: gateway1, sample_rate_hz: 0.1}}
  - {id: "edge-{i}-b", count: 3, type: sensor}
  - {id: gateway1, type: gateway, port: 5005}
network:
  model: latency
  links:
    - {src: sensor999999, dst: gateway1, latency_us: 5000}
validation:
  assertions:
    - {metric: packet_delivery_rate, operator: gte, value: 0.9, where: {src: "sensor1?"}}
    - {metric: healthy, operator: eq, value: 1, where: {node: "edge-*-b"}}
faults:
  - {at_s: 1, kind: node_crash, node: edge-2-b}
`

func TestDeviceGroups(t *testing.T) {
	t.Parallel()
	s, warns := parse(t, fleetSrc)
	if len(warns) > 0 {
		t.Errorf("warnings: %v", warns)
	}
	if got, want := s.NodeCount(), 1_000_004; got != want {
		t.Errorf("NodeCount() = %d, want %d", got, want)
	}
	if got := len(s.Nodes); got != 3 {
		t.Errorf("len(Nodes) = %d, want 3: a group is one entry", got)
	}
	g, e := s.Nodes[0], s.Nodes[1]
	got := []string{g.InstanceID(1), g.InstanceID(1_000_000), e.InstanceID(2), s.Nodes[2].InstanceID(1)}
	want := []string{"sensor1", "sensor1000000", "edge-2-b", "gateway1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("InstanceID (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		id   string
		want int
	}{
		{"sensor1", 1}, {"sensor1000000", 1_000_000}, {"sensor1000001", 0}, {"sensor0", 0},
		{"sensor01", 0}, {"sensor", 0}, {"sensorx", 0}, {"gateway1", 0}, {"sensor+1", 0},
	} {
		if i, _ := g.Member(tc.id); i != tc.want {
			t.Errorf("Member(%q) = %d, want %d", tc.id, i, tc.want)
		}
	}
	if !s.HasNode("edge-3-b") || s.HasNode("edge-4-b") || !s.HasNode("gateway1") || s.HasNode("sensor{i}") {
		t.Errorf("HasNode disagrees with the groups")
	}
}

func TestDeviceGroupErrors(t *testing.T) {
	t.Parallel()
	head := "simulation: {duration_s: 10, seed: 1}\nnodes:\n"
	cases := []struct {
		name, nodes string
		want        []string // "line:^text key" as expand reads it
		msg         string
	}{
		{"count zero", `  - {id: "s{i}", count: 0, type: sensor}`, []string{"3:^0 nodes[0].count"}, "between 1 and 10000000"},
		{"count too large", `  - {id: "s{i}", count: 10000001, type: sensor}`, []string{"3:^10000001 nodes[0].count"}, "between 1 and 10000000"},
		{"count not a number", `  - {id: "s{i}", count: many, type: sensor}`, []string{"3:^many nodes[0].count"}, "count"},
		{"no placeholder", `  - {id: sensor, count: 5, type: sensor}`, []string{"3:^sensor nodes[0].id"}, "{i} exactly once"},
		{"two placeholders", `  - {id: "s{i}{i}", count: 5, type: sensor}`, []string{"3:^\"s{i}{i}\" nodes[0].id"}, "{i} exactly once"},
		{"port", `  - {id: "s{i}", count: 5, type: sensor, port: 5001}`, []string{"3:^port nodes[0].port"}, "has no port"},
		{"docker", `  - {id: "s{i}", count: 5, type: sensor, implementation: docker}`, []string{"3:^docker nodes[0].implementation"}, "not docker"},
		{"single node inside a group", "  - {id: \"s{i}\", count: 5, type: sensor}\n  - {id: s3, type: sensor, port: 5001}",
			[]string{"4:^s3 nodes[1].id"}, "device 3 of the group"},
		{"overlapping groups", "  - {id: \"s{i}\", count: 5, type: sensor}\n  - {id: \"s1{i}\", count: 5, type: sensor}",
			[]string{"4:^\"s1{i}\" nodes[1].id"}, "can name the same devices"},
		{"an assertion on one device", "  - {id: \"s{i}\", count: 5, type: sensor}\nvalidation: {assertions: [{metric: packets_sent, operator: gte, value: 1, where: {src: s2}}]}",
			[]string{"4:^s2 validation.assertions[0].where.src"}, "one device of the group"},
		{"link beyond the count", "  - {id: \"s{i}\", count: 5, type: sensor}\n  - {id: g, type: gateway, port: 5001}\nnetwork: {model: latency, links: [{src: s6, dst: g, latency_us: 1}]}",
			[]string{"5:^s6 network.links[0].src"}, "unknown node \"s6\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := head + tc.nodes + "\n"
			diags := errorsOf(t, src)
			if diff := cmp.Diff(expand(t, src, tc.want), where(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\n%v", diff, diags)
			}
			if len(diags) > 0 && !strings.Contains(diags[0].Message, tc.msg) {
				t.Errorf("message %q does not say %q", diags[0].Message, tc.msg)
			}
		})
	}
}

// Disjoint templates load; the check is on templates, not devices.
func TestDeviceGroupsDisjoint(t *testing.T) {
	t.Parallel()
	parse(t, `simulation: {duration_s: 10, seed: 1}
nodes:
  - {id: "s{i}", count: 5, type: sensor}
  - {id: "s_{i}", count: 5, type: sensor}
  - {id: "s{i}x", count: 5, type: sensor}
  - {id: s0, type: sensor, port: 5001}
`)
}

// Millions of devices cost one entry: loading allocates the same whatever
// the count (timings are the bench's; this pins the compactness).
func TestDeviceGroupLoadIsCompact(t *testing.T) {
	alloc := func(count string) uint64 {
		src := strings.Replace(fleetSrc, "1000000", count, 1)
		src = strings.Replace(src, "sensor999999", "sensor9", 1)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 5 {
			parse(t, src)
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / 5
	}
	small, large := alloc("10"), alloc("1900000")
	if large > small+small/2 {
		t.Errorf("loading 1,900,000 devices allocates %d bytes, 10 devices %d: the group is expanded while loading", large, small)
	}
}
