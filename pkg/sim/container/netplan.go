package container

import (
	"fmt"
	"path"
	"slices"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// netPlan is what the scenario's network asks of the real traffic of the
// docker nodes on the run's network: per receiving node, the links from
// its peers and their fault windows, and for messages the scenario line
// of each.
type netPlan struct {
	nodes map[string]shape.Config
	// why is the scenario position that makes a node shaped, for the
	// message when it cannot be.
	why map[string]scenario.Pos
	// off are the docker nodes on a network of their own (docker.network)
	// that a shaped link reaches: their traffic cannot be shaped, and the
	// run says so rather than run them on a perfect network.
	off map[string]scenario.Pos
}

// planNetwork maps sc's links and link faults onto the ordered pairs of
// nodes in shaped (docker nodes on the run's network, in file order):
// a link src -> dst shapes src's packets to dst (and dst's to src when
// bidirectional); under the latency model, pairs without a link get
// default_latency_us and default_loss_rate; link_down and partition
// windows drop, link_degrade windows replace latency and loss.
func planNetwork(sc *scenario.Scenario, shaped, own []string, seed int64) netPlan {
	p := netPlan{nodes: map[string]shape.Config{}, why: map[string]scenario.Pos{}, off: map[string]scenario.Pos{}}
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
	on := func(id string) bool { return slices.Contains(shaped, id) }
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
	for _, dst := range shaped {
		c := shape.Config{Node: dst, Queue: 7, Seed: seed}
		for _, src := range shaped {
			if src == dst {
				continue
			}
			pr := pair{src, dst}
			par, ok := links[pr]
			if !ok && sc.Network.Model == scenario.ModelLatency {
				par = shape.Params{LatencyUS: sc.Network.DefaultLatencyUS, LossRate: sc.Network.DefaultLossRate}
				pos[pr] = sc.Network.Pos
			}
			peer := shape.Peer{Node: src, Link: par}
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
				peer.Windows = append(peer.Windows, w)
			}
			if par == (shape.Params{}) && len(peer.Windows) == 0 {
				continue
			}
			c.Peers = append(c.Peers, peer)
			if _, ok := p.why[dst]; !ok {
				p.why[dst] = pos[pr]
			}
		}
		if len(c.Peers) > 0 {
			p.nodes[dst] = c
		}
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
