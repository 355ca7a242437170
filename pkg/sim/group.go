package sim

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// A device group (scenario.Node.Count) runs as Count nodes, but its result
// is one row per group: a million-row table helps nobody, and the gate's
// globs (src: "sensor*") select the group's row as they would its devices.
// The devices that dropped the most are kept by name (Result.Groups).

// topOffenders is how many devices of a group are named in its result.
const topOffenders = 5

// GroupResult is one device group's aggregate and the devices that did
// worst.
type GroupResult struct {
	// ID is the group's id template ("sensor{i}"); Devices its count.
	ID      string
	Devices int
	// Offenders are the devices with the most messages dropped on their
	// routes (the worst first; ties in device order), at most five, and
	// only devices that dropped any.
	Offenders []Offender
}

// Offender is one device of a group and what its routes dropped.
type Offender struct {
	ID      string
	Sent    int64
	Dropped int64
}

// groupSpan is where a group's devices sit among the run's nodes.
type groupSpan struct {
	entry      scenario.Node
	first, end int // node indexes [first, end)
}

// buildGroup makes the nodes of a device group. Sensor groups share one
// config and get compact devices; other models are built one by one from
// a copy of the entry. Ids are slices of one string: a million ids cost
// one allocation.
func buildGroup(sn scenario.Node, o *options, nodes []node.Node) ([]node.Node, []scenario.Diagnostic, error) {
	ids := groupIDs(sn)
	if sn.Implementation == scenario.ImplPythonModel || sn.Implementation == "" {
		if node.ModelOf(sn) == node.ModelSensor {
			g, err := node.NewSensorGroup(sn)
			if err != nil {
				return nodes, nil, err
			}
			devs := g.Devices(ids)
			nodes = slices.Grow(nodes, len(devs))
			for i := range devs {
				nodes = append(nodes, &devs[i])
			}
			return nodes, nil, nil
		}
	}
	var warns []scenario.Diagnostic
	for i, id := range ids {
		one := sn
		one.ID, one.Count = id, 0
		n, w, err := node.New(one, o.sum, o.runtime)
		if i == 0 {
			warns = w // the same for every device: said once
		}
		if err != nil {
			return nodes, warns, err
		}
		nodes = append(nodes, n)
	}
	return nodes, warns, nil
}

// groupIDs returns the ids of a group's devices, in order.
func groupIDs(sn scenario.Node) []string {
	pre, suf, _ := strings.Cut(sn.ID, "{i}")
	var b strings.Builder
	b.Grow(sn.Count * (len(pre) + len(suf) + 8))
	ends := make([]int, sn.Count)
	var num [20]byte
	for i := range sn.Count {
		b.WriteString(pre)
		b.Write(strconv.AppendInt(num[:0], int64(i+1), 10))
		b.WriteString(suf)
		ends[i] = b.Len()
	}
	all := b.String()
	ids := make([]string, sn.Count)
	start := 0
	for i, end := range ends {
		ids[i] = all[start:end]
		start = end
	}
	return ids
}

// spans locates each group among the built nodes: groups and single
// nodes are built in file order.
func spans(sc *scenario.Scenario) []groupSpan {
	var out []groupSpan
	at := 0
	for _, n := range sc.Nodes {
		if n.IsGroup() {
			out = append(out, groupSpan{entry: n, first: at, end: at + n.Count})
		}
		at += n.Instances()
	}
	return out
}

// foldGroups replaces the rows of a group's devices in res.Nodes and
// res.Routes by one row per group, and names each group's offenders. The
// groups that ran as cohorts (their span's first index in cohorts) have
// their row folded already and their offenders named.
func foldGroups(res *Result, gs []groupSpan, cohorts map[int][]Offender) {
	if len(gs) == 0 {
		return
	}
	owner := map[string]int{} // device id -> group; built once per run
	shift := 0                // rows a cohort before saved
	for g, s := range gs {
		if _, ok := cohorts[s.first]; ok {
			shift += s.end - s.first - 1 // its devices have one row
			continue
		}
		for i := s.first; i < s.end; i++ {
			owner[res.Nodes[i-shift].ID] = g
		}
	}
	// Nodes: the group's row at its first device's place.
	var nodes []NodeResult
	group := -1
	for _, n := range res.Nodes {
		g, in := owner[n.ID]
		if !in || n.Devices > 0 {
			nodes = append(nodes, n)
			group = -1
			continue
		}
		if g != group { // a group's devices are contiguous
			group = g
			nodes = append(nodes, groupRow(gs[g].entry, gs[g].end-gs[g].first, n))
			continue
		}
		nodes[len(nodes)-1].add(n)
	}
	res.Nodes = nodes

	// Routes: folded by (group or node, group or node); offenders from the
	// per-device routes before they go.
	offenders := make([][]Offender, len(gs))
	folded := map[[2]string]*netmodel.Route{}
	var routes []*netmodel.Route
	name := func(id string) (string, int) {
		if g, ok := owner[id]; ok {
			return gs[g].entry.ID, g
		}
		for g, s := range gs {
			if _, ok := cohorts[s.first]; ok {
				if _, member := s.entry.Member(id); member {
					return s.entry.ID, g // a message to a cohort's device
				}
			}
		}
		return id, -1
	}
	for _, r := range res.Routes {
		src, gsrc := name(r.Src)
		dst, _ := name(r.Dst)
		if gsrc >= 0 && r.Dropped() > 0 {
			offenders[gsrc] = append(offenders[gsrc], Offender{ID: r.Src, Sent: r.Sent, Dropped: r.Dropped()})
		}
		if src == r.Src && dst == r.Dst {
			routes = append(routes, r)
			continue
		}
		k := [2]string{src, dst}
		f := folded[k]
		if f == nil {
			f = &netmodel.Route{Src: src, Dst: dst}
			folded[k] = f
			routes = append(routes, f)
		}
		f.Add(r)
	}
	slices.SortStableFunc(routes, func(a, b *netmodel.Route) int {
		return cmp.Or(cmp.Compare(a.Src, b.Src), cmp.Compare(a.Dst, b.Dst))
	})
	res.Routes = routes

	for g, s := range gs {
		if o, ok := cohorts[s.first]; ok {
			res.Groups = append(res.Groups, GroupResult{ID: s.entry.ID, Devices: s.end - s.first, Offenders: o})
			continue
		}
		o := offenders[g]
		// A device with several routes is one offender.
		slices.SortStableFunc(o, func(a, b Offender) int { return cmp.Compare(a.ID, b.ID) })
		merged := o[:0]
		for _, x := range o {
			if n := len(merged); n > 0 && merged[n-1].ID == x.ID {
				merged[n-1].Sent += x.Sent
				merged[n-1].Dropped += x.Dropped
				continue
			}
			merged = append(merged, x)
		}
		slices.SortStableFunc(merged, func(a, b Offender) int {
			if c := cmp.Compare(b.Dropped, a.Dropped); c != 0 {
				return c
			}
			ia, _ := s.entry.Member(a.ID)
			ib, _ := s.entry.Member(b.ID)
			return cmp.Compare(ia, ib)
		})
		res.Groups = append(res.Groups, GroupResult{ID: s.entry.ID, Devices: s.end - s.first, Offenders: merged[:min(len(merged), topOffenders)]})
	}
}

// groupRow starts a group's row from its first device's.
func groupRow(entry scenario.Node, devices int, n NodeResult) NodeResult {
	row := n
	row.ID = entry.ID
	row.Devices = devices
	row.RecoveryS = append([]float64(nil), n.RecoveryS...)
	return row
}

// add folds another device's row into a group's.
func (row *NodeResult) add(n NodeResult) {
	row.Events += n.Events
	row.MessagesSent += n.MessagesSent
	row.MessagesReceived += n.MessagesReceived
	row.MessagesProcessed += n.MessagesProcessed
	row.Restarts += n.Restarts
	row.Healthy = row.Healthy && n.Healthy
	row.RecoveryS = append(row.RecoveryS, n.RecoveryS...)
}

// entryOf returns the scenario entry that node index i was built from.
func entryOf(sc *scenario.Scenario, i int) scenario.Node {
	at := 0
	for _, n := range sc.Nodes {
		if at += n.Instances(); i < at {
			return n
		}
	}
	return scenario.Node{}
}
