package container

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

func TestPlanNetwork(t *testing.T) {
	t.Parallel()
	lat := int64(200000)
	loss := 0.5
	pos := scenario.Pos{File: "s.yaml", Line: 7, Col: 7}
	sc := &scenario.Scenario{
		Network: scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 1000, Links: []scenario.Link{
			{Src: "a", Dst: "b", LatencyUS: 50000, JitterUS: 20000, BandwidthBPS: 64000, LossRate: 0.1, Bidirectional: true, Pos: pos},
			{Src: "a", Dst: "builtin", LatencyUS: 9},
		}},
		Faults: []scenario.Fault{
			{Kind: scenario.FaultLinkDown, AtUS: 1e6, DurationUS: 5e6, Link: scenario.Scope{Src: "a", Dst: "*"}},
			{Kind: scenario.FaultLinkDegrade, AtUS: 2e6, DurationUS: 1e6, Link: scenario.Scope{Dst: "c"}, LatencyUS: &lat, LossRate: &loss},
			{Kind: scenario.FaultPartition, AtUS: 3e6, Groups: [][]string{{"a", "b"}, {"c"}}},
			{Kind: scenario.FaultNodeCrash, AtUS: 1, Node: "a"},
		},
	}
	got := planNetwork(sc, []string{"a", "b", "c"}, nil, 9).nodes
	ab := shape.Params{LatencyUS: 50000, JitterUS: 20000, BandwidthBPS: 64000, LossRate: 0.1}
	def := shape.Params{LatencyUS: 1000}
	down := shape.Window{Kind: "link_down", Fault: 1, FromUS: 1e6, UntilUS: 6e6, Down: true}
	degrade := shape.Window{Kind: "link_degrade", Fault: 2, FromUS: 2e6, UntilUS: 3e6, LatencyUS: &lat, LossRate: &loss}
	part := shape.Window{Kind: "partition", Fault: 3, FromUS: 3e6, Down: true}
	want := map[string]shape.Config{
		// Each node shapes what it receives: a's config holds the links
		// b -> a and c -> a.
		"a": {Node: "a", Queue: 7, Seed: 9, Peers: []shape.Peer{
			{Node: "b", Link: ab},
			{Node: "c", Link: def, Windows: []shape.Window{part}},
		}},
		"b": {Node: "b", Queue: 7, Seed: 9, Peers: []shape.Peer{
			{Node: "a", Link: ab, Windows: []shape.Window{down}},
			{Node: "c", Link: def, Windows: []shape.Window{part}},
		}},
		"c": {Node: "c", Queue: 7, Seed: 9, Peers: []shape.Peer{
			{Node: "a", Link: def, Windows: []shape.Window{down, degrade, part}},
			{Node: "b", Link: def, Windows: []shape.Window{degrade, part}},
		}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("planNetwork() mismatch (-want +got):\n%s", d)
	}

	// The direct model shapes only what it has: jitter, bandwidth, faults.
	sc.Network.Model = scenario.ModelDirect
	sc.Faults = nil
	got = planNetwork(sc, []string{"a", "b", "c"}, nil, 9).nodes
	want = map[string]shape.Config{
		"a": {Node: "a", Queue: 7, Seed: 9, Peers: []shape.Peer{{Node: "b", Link: shape.Params{JitterUS: 20000, BandwidthBPS: 64000}}}},
		"b": {Node: "b", Queue: 7, Seed: 9, Peers: []shape.Peer{{Node: "a", Link: shape.Params{JitterUS: 20000, BandwidthBPS: 64000}}}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("planNetwork(direct) mismatch (-want +got):\n%s", d)
	}

	// b on a network of its own cannot be shaped: the run must say so.
	p := planNetwork(sc, []string{"a", "c"}, []string{"b"}, 9)
	if d := cmp.Diff(map[string]scenario.Pos{"b": pos}, p.off); d != "" {
		t.Errorf("planNetwork(own network) off mismatch (-want +got):\n%s", d)
	}
	if len(p.nodes) != 0 {
		t.Errorf("planNetwork(own network) shapes %v; want nothing", p.nodes)
	}
}

// TestPlanInProcess: links between built-in nodes and docker nodes shape
// the built-in node's packets by the ports the plan gives it, where the
// docker node receives them and, the other way, as it sends them; links
// between built-in nodes are no real traffic.
func TestPlanInProcess(t *testing.T) {
	t.Parallel()
	lpos := scenario.Pos{File: "s.yaml", Line: 4, Col: 7}
	fpos := scenario.Pos{File: "s.yaml", Line: 9, Col: 5}
	sc := &scenario.Scenario{
		Nodes: []scenario.Node{
			{ID: "broker", Implementation: scenario.ImplDocker},
			{ID: "s1"}, {ID: "g1", Implementation: scenario.ImplPythonModel}, {ID: "quiet"},
		},
		Network: scenario.Network{Model: scenario.ModelLatency, Links: []scenario.Link{
			{Src: "s1", Dst: "broker", LatencyUS: 50000, Pos: lpos},
			{Src: "s1", Dst: "g1", LatencyUS: 7},
		}},
		Faults: []scenario.Fault{{Kind: scenario.FaultLinkDown, AtUS: 1e6, DurationUS: 2e6, Link: scenario.Scope{Src: "broker", Dst: "g*"}, Pos: fpos}},
	}
	p := planNetwork(sc, []string{"broker"}, nil, 9)
	s1 := &shape.Ports{From: 20000, To: 20063}
	g1 := &shape.Ports{From: 20064, To: 20127}
	want := map[string]shape.Config{"broker": {Node: "broker", Queue: 7, Seed: 9, Peers: []shape.Peer{
		{Node: "s1", Ports: s1, Link: shape.Params{LatencyUS: 50000}},
		{Node: "g1", Ports: g1, Out: true, Windows: []shape.Window{{Kind: "link_down", Fault: 1, FromUS: 1e6, UntilUS: 3e6, Down: true}}},
	}}}
	if d := cmp.Diff(want, p.nodes); d != "" {
		t.Errorf("planNetwork() mismatch (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string]scenario.Pos{"s1": lpos, "g1": fpos}, p.inproc); d != "" {
		t.Errorf("participants mismatch (-want +got):\n%s", d)
	}
	if who, pos := p.firstParticipant(); who != "s1" || pos != lpos {
		t.Errorf("firstParticipant() = %s %v; want s1 at the link", who, pos)
	}
	if k := want["broker"].Peers[1].Key(); k != ">g1" {
		t.Errorf("Key() of an Out peer = %q", k)
	}
}

// TestCheckHost: a host that does not own the run's network's gateway (a
// remote engine, Docker Desktop) fails a run whose shaped links name a
// built-in node, at that link, and lets any other run go on.
func TestCheckHost(t *testing.T) {
	t.Parallel()
	pos := scenario.Pos{File: "s.yaml", Line: 4, Col: 7}
	sc := &scenario.Scenario{
		Nodes:   []scenario.Node{{ID: "broker", Implementation: scenario.ImplDocker}, {ID: "s1"}},
		Network: scenario.Network{Model: scenario.ModelLatency, Links: []scenario.Link{{Src: "s1", Dst: "broker", LatencyUS: 50000, Pos: pos}}},
	}
	shaped := planNetwork(sc, []string{"broker"}, nil, 1)
	sc.Network.Links = nil
	plain := planNetwork(sc, []string{"broker"}, nil, 1)
	gw := net.IPv4(172, 18, 0, 1)
	yes := func(net.IP) bool { return true }
	no := func(net.IP) bool { return false }

	if host, err := shaped.checkHost("broker", "xedgesim-r", gw, nil, yes); err != nil || !host.Equal(gw) {
		t.Errorf("local gateway: %v, %v; want it", host, err)
	}
	host, err := shaped.checkHost("broker", "xedgesim-r", gw, nil, no)
	if host != nil || !errors.Is(err, ErrShaping) || !strings.HasPrefix(err.Error(), "s.yaml:4:7: ") ||
		!strings.Contains(err.Error(), `built-in node "s1"`) || !strings.Contains(err.Error(), "172.18.0.1 is no address of this host") {
		t.Errorf("remote gateway: %v, %v; want an error at the link naming s1 and the address", host, err)
	}
	if _, err := shaped.checkHost("broker", "xedgesim-r", nil, errors.New("boom"), yes); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("uninspectable network: %v", err)
	}
	if host, err := plain.checkHost("broker", "xedgesim-r", gw, nil, no); host != nil || err != nil {
		t.Errorf("remote gateway, nothing shaped: %v, %v; want neither", host, err)
	}
}

// TestPlanManyParticipants: 500 built-in nodes under a default latency
// share the port space: fewer ports each, none twice, all below the
// ephemeral range.
func TestPlanManyParticipants(t *testing.T) {
	t.Parallel()
	sc := &scenario.Scenario{Network: scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 1000}}
	sc.Nodes = append(sc.Nodes, scenario.Node{ID: "app", Implementation: scenario.ImplDocker})
	for i := range 500 {
		sc.Nodes = append(sc.Nodes, scenario.Node{ID: fmt.Sprintf("s%d", i)})
	}
	p := planNetwork(sc, []string{"app"}, nil, 1)
	if len(p.ports) != 500 {
		t.Fatalf("%d participants; want 500", len(p.ports))
	}
	used := map[uint16]string{}
	for id, pr := range p.ports {
		if pr.To-pr.From+1 != 25 || pr.From < portBase || pr.To > portTop {
			t.Errorf("%s: ports %d-%d; want 25 between %d and %d", id, pr.From, pr.To, portBase, portTop)
		}
		for port := pr.From; port <= pr.To; port++ {
			if other, dup := used[port]; dup {
				t.Fatalf("port %d of %s and %s", port, id, other)
			}
			used[port] = id
		}
	}
	if _, err := p.checkHost("app", "n", net.IPv4(10, 0, 0, 1), nil, func(net.IP) bool { return true }); err != nil {
		t.Errorf("checkHost() = %v", err)
	}
}
