package scenario

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// A node is down from one node fault at a time. Two node_crash (or
// node_pause) windows that overlap on one node mean nothing a run can do:
// the second crash of a node that is down is no crash, and the first
// restart brought the node back while the other window still had it down
// (its messages were dropped as if it were, and the report paired each
// crash with the wrong recovery). Upstream has no faults to compare with
// (its planned edge_failure has one window per entry), so the loader
// refuses the overlap at the later fault, naming the earlier one, rather
// than merging windows the user may not have meant. Windows that only
// touch ([10 s, 20 s) then [20 s, ...)) are two outages in a row.

// nodeWindow is one node fault's down time, [from, to); to is
// math.MaxInt64 for a fault that lasts until the end.
type nodeWindow struct {
	fault    int // index in Scenario.Faults
	from, to int64
}

// Window returns a node fault's down time, [from, to): ends tells whether
// it ends (a node_crash with restart_after_s, a node_pause with a
// positive duration_s) at to; one that lasts until the end of the run has
// to math.MaxInt64.
func (f *Fault) Window() (from, to int64, ends bool) {
	switch {
	case f.Kind == FaultNodeCrash && f.RestartAfterUS != nil:
		return f.AtUS, f.AtUS + *f.RestartAfterUS, true
	case f.Kind == FaultNodePause && f.DurationUS > 0:
		return f.AtUS, f.AtUS + f.DurationUS, true
	}
	return f.AtUS, math.MaxInt64, false
}

// checkNodeFaults refuses node faults whose windows overlap on one node.
// refs are the faults' positions, to point at the later fault's at_s.
func (d *decoder) checkNodeFaults(s *Scenario, refs []faultRef) {
	byNode := map[string][]nodeWindow{}
	var nodes []string
	for i := range s.Faults {
		f := &s.Faults[i]
		if f.Kind != FaultNodeCrash && f.Kind != FaultNodePause {
			continue
		}
		if _, seen := byNode[f.Node]; !seen {
			nodes = append(nodes, f.Node)
		}
		from, to, _ := f.Window()
		byNode[f.Node] = append(byNode[f.Node], nodeWindow{fault: i, from: from, to: to})
	}
	// By start, then file order: each window is compared with the one
	// before it that ends last, so the check is n log n in the faults, and
	// with the one just before it, which may start at the same time
	// without ending last (a window of no length after one that touches
	// it: [5 s, 10 s), [10 s, 10 s), [10 s, 12 s) would crash the node at
	// 10 s twice, and the first restart would bring it back early).
	for _, node := range nodes {
		ws := byNode[node]
		slices.SortStableFunc(ws, func(a, b nodeWindow) int { return cmp.Compare(a.from, b.from) })
		last, prev := ws[0], ws[0]
		for _, w := range ws[1:] {
			switch {
			case w.from < last.to:
				d.overlap(s, refs, last, w)
			case w.from == prev.from:
				d.overlap(s, refs, prev, w)
			}
			if w.to > last.to {
				last = w
			}
			prev = w
		}
	}
}

// overlap reports that fault w's window overlaps earlier's.
func (d *decoder) overlap(s *Scenario, refs []faultRef, earlier, w nodeWindow) {
	f, e := &s.Faults[w.fault], &s.Faults[earlier.fault]
	ref, eref := refs[w.fault], refs[earlier.fault]
	until, hint := "until the end", fmt.Sprintf("give %s a %s, or remove this one", eref.path, endKey(e.Kind))
	if earlier.to != math.MaxInt64 {
		until = "to " + secs(earlier.to) + " s"
		hint = "start it at " + secs(earlier.to) + " s or later, or make the two one fault"
	}
	d.Errorf(ref.at, ref.path+".at_s", hint,
		"%s: %s of node %q at %s s overlaps %s (line %d), which has it down from %s s %s; a node is down from one fault at a time",
		ref.path, f.Kind, yamldiag.Short(f.Node), secs(f.AtUS), eref.path, eref.use.Line, secs(earlier.from), until)
}

// endKey is the key that ends a node fault of kind.
func endKey(kind string) string {
	if kind == FaultNodeCrash {
		return "restart_after_s"
	}
	return "duration_s"
}

// secs writes microseconds as seconds, as short as exact.
func secs(us int64) string { return strconv.FormatFloat(float64(us)/1e6, 'f', -1, 64) }
