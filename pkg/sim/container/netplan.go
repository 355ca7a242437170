package container

import (
	"fmt"
	"path"
	"slices"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// netPlan is what the scenario's network asks of the real traffic of the
// docker nodes on the run's network: per node whose helper shapes, the
// links from its peers (and to in-process peers) and their fault windows,
// and for messages the scenario line of each.
type netPlan struct {
	nodes map[string]shape.Config
	// why is the scenario position that makes a node shaped, for the
	// message when it cannot be.
	why map[string]scenario.Pos
	// off are the docker nodes on a network of their own (docker.network)
	// that a shaped link reaches: their traffic cannot be shaped, and the
	// run says so rather than run them on a perfect network.
	off map[string]scenario.Pos
	// ports are the ports of the in-process participants (built-in nodes
	// in the xedgesim process) that a shaped link joins to a docker node:
	// they reach containers from the host's address on the run's network,
	// from these ports, so that the helpers tell them apart. inproc is the
	// scenario position that makes each one shaped.
	ports  map[string]shape.Ports
	inproc map[string]scenario.Pos
	// brokers are the embedded brokers, which containers reach at the
	// host's address on the run's network, and their port there.
	brokers    []string
	brokerPort map[string]uint16
}

// In-process participants get source ports below the host's ephemeral
// range (32768 and up on Linux), from portBase: portSpan each, or fewer
// (at least minSpan) when many share the space.
const (
	portBase = 20000
	portTop  = 32767
	portSpan = 64
	minSpan  = 4
)

// planNetwork maps sc's links and link faults onto the ordered pairs of
// nodes in shaped (docker nodes on the run's network, in file order) and
// the built-in nodes of sc, which run in the xedgesim process:
// a link src -> dst shapes src's packets to dst (and dst's to src when
// bidirectional); under the latency model, pairs without a link get
// default_latency_us and default_loss_rate; link_down and partition
// windows drop, link_degrade windows replace latency and loss. Links
// between two built-in nodes are not real traffic.
func planNetwork(sc *scenario.Scenario, shaped, own []string, seed int64) netPlan {
	p := netPlan{nodes: map[string]shape.Config{}, why: map[string]scenario.Pos{}, off: map[string]scenario.Pos{},
		ports: map[string]shape.Ports{}, inproc: map[string]scenario.Pos{}}
	p.brokerPort = map[string]uint16{}
	var builtin []string
	for _, n := range sc.Nodes {
		if !n.IsGroup() && (n.Implementation == "" || n.Implementation == scenario.ImplPythonModel) {
			builtin = append(builtin, n.ID)
			if node.IsBrokerType(n.Type) {
				port := uint16(node.BrokerPortOnRunNetwork)
				if n.HasPort && n.Port > 0 && n.Port < 65536 {
					port = uint16(n.Port) // #nosec G115 -- checked above
				}
				p.brokers = append(p.brokers, n.ID)
				p.brokerPort[n.ID] = port
			}
		}
	}
	for _, l := range sc.Network.Links {
		zero := l.JitterUS == 0 && l.BandwidthBPS == 0 && (sc.Network.Model != scenario.ModelLatency || l.LatencyUS == 0 && l.LossRate == 0)
		docker := func(id string) bool { return slices.Contains(shaped, id) || slices.Contains(own, id) }
		if zero || !docker(l.Src) || !docker(l.Dst) {
			continue
		}
		for _, id := range []string{l.Src, l.Dst} {
			if _, seen := p.off[id]; !seen && slices.Contains(own, id) {
				p.off[id] = l.Pos
			}
		}
	}
	type pair struct{ src, dst string }
	links := map[pair]shape.Params{}
	pos := map[pair]scenario.Pos{}
	on := func(id string) bool { return slices.Contains(shaped, id) || slices.Contains(builtin, id) }
	for _, l := range sc.Network.Links {
		ps := []pair{{l.Src, l.Dst}}
		if l.Bidirectional && l.Src != l.Dst {
			ps = append(ps, pair{l.Dst, l.Src})
		}
		for _, pr := range ps {
			if !on(pr.src) || !on(pr.dst) || pr.src == pr.dst {
				continue
			}
			if _, dup := links[pr]; dup {
				continue // the first link of a pair is the one the simulator routes on
			}
			par := shape.Params{JitterUS: l.JitterUS, BandwidthBPS: l.BandwidthBPS}
			if sc.Network.Model == scenario.ModelLatency {
				par.LatencyUS, par.LossRate = l.LatencyUS, l.LossRate
			}
			links[pr], pos[pr] = par, l.Pos
		}
	}
	// peer is what the link src -> dst does, and whether it does anything.
	peer := func(src, dst string) (shape.Peer, bool) {
		pr := pair{src, dst}
		par, ok := links[pr]
		if !ok && sc.Network.Model == scenario.ModelLatency {
			par = shape.Params{LatencyUS: sc.Network.DefaultLatencyUS, LossRate: sc.Network.DefaultLossRate}
			pos[pr] = sc.Network.Pos
		}
		pe := shape.Peer{Node: src, Link: par}
		for fi, f := range sc.Faults {
			w := shape.Window{Kind: f.Kind, Fault: fi + 1, FromUS: f.AtUS}
			if f.DurationUS > 0 {
				w.UntilUS = f.AtUS + f.DurationUS
			}
			switch f.Kind {
			case scenario.FaultLinkDown:
				w.Down = true
			case scenario.FaultLinkDegrade:
				w.LatencyUS, w.LossRate = f.LatencyUS, f.LossRate
			case scenario.FaultPartition:
				w.Down = true
			default:
				continue
			}
			hit := match(f.Link.Src, src) && match(f.Link.Dst, dst)
			if f.Kind == scenario.FaultPartition {
				hit = apart(f.Groups, src, dst)
			}
			if !hit {
				continue
			}
			if _, seen := pos[pr]; !seen || par == (shape.Params{}) {
				pos[pr] = f.Pos
			}
			pe.Windows = append(pe.Windows, w)
		}
		return pe, par != (shape.Params{}) || len(pe.Windows) > 0
	}
	// The ports of an in-process participant: its range is set below,
	// once the participants are counted.
	ranges := map[string]*shape.Ports{}
	var order []string
	portsOf := func(id string, why scenario.Pos) *shape.Ports {
		if port, ok := p.brokerPort[id]; ok {
			// A server: what it sends leaves its port, what it is sent
			// goes to it.
			if _, ok := p.inproc[id]; !ok {
				p.inproc[id] = why
			}
			return &shape.Ports{From: port, To: port}
		}
		pr, ok := ranges[id]
		if !ok {
			pr = &shape.Ports{}
			ranges[id], p.inproc[id] = pr, why
			order = append(order, id)
		}
		return pr
	}
	for _, dst := range shaped {
		c := shape.Config{Node: dst, Queue: 7, Seed: seed}
		for _, src := range shaped {
			if src == dst {
				continue
			}
			if pe, ok := peer(src, dst); ok {
				c.Peers = append(c.Peers, pe)
				if _, ok := p.why[dst]; !ok {
					p.why[dst] = pos[pair{src, dst}]
				}
			}
		}
		// What a built-in node sends dst is held where dst receives it;
		// what dst sends a built-in node, as it leaves dst (Out).
		for _, b := range builtin {
			for _, pr := range []pair{{b, dst}, {dst, b}} {
				pe, ok := peer(pr.src, pr.dst)
				if !ok {
					continue
				}
				pe.Node, pe.Out, pe.Ports = b, pr.src == dst, portsOf(b, pos[pr])
				c.Peers = append(c.Peers, pe)
				if _, ok := p.why[dst]; !ok {
					p.why[dst] = pos[pr]
				}
			}
		}
		if len(c.Peers) > 0 {
			p.nodes[dst] = c
		}
	}
	// Each participant gets portSpan ports, fewer when many share the
	// space (at least minSpan: a client reconnecting through an outage
	// needs a few); the runtime refuses a plan beyond that.
	span := portSpan
	if len(order) > 0 {
		span = max(min(portSpan, (portTop-portBase+1)/len(order)), minSpan)
	}
	for i, id := range order {
		from := portBase + i*span
		*ranges[id] = shape.Ports{From: uint16(min(from, 65535)), To: uint16(min(from+span-1, 65535))} // #nosec G115 -- bounded above
		p.ports[id] = *ranges[id]
	}
	return p
}

// match tells whether glob (empty: any) selects id.
func match(glob, id string) bool {
	if glob == "" {
		return true
	}
	ok, err := path.Match(glob, id)
	return err == nil && ok
}

// apart tells whether a and b are in different groups of a partition.
func apart(groups [][]string, a, b string) bool {
	ga, gb := -1, -1
	for i, g := range groups {
		for _, id := range g {
			if match(id, a) && ga < 0 {
				ga = i
			}
			if match(id, b) && gb < 0 {
				gb = i
			}
		}
	}
	return ga >= 0 && gb >= 0 && ga != gb
}

// at prefixes err with the scenario position pos.
func at(pos scenario.Pos, err error) error {
	if pos.File == "" {
		return err
	}
	return fmt.Errorf("%s:%d:%d: %w", pos.File, pos.Line, pos.Col, err)
}
