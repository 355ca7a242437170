package container

import (
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// FaultTime is when a scenario's fault acted on containers' real
// packets, in µs from the run's zero on the wall clock, as the shaping
// helpers logged it. LiftedUS is -1 when it lasted to the end.
type FaultTime struct {
	AppliedUS, LiftedUS int64
}

// faultTimes folds helpers' events into when each fault, by its index in
// the scenario, was first applied and last lifted on any link.
func faultTimes(into map[int]FaultTime, events []shape.Event) {
	for _, e := range events {
		if e.FaultNumber <= 0 || (e.Kind != "applied" && e.Kind != "lifted") {
			continue
		}
		i := e.FaultNumber - 1
		ft, seen := into[i]
		if !seen {
			ft = FaultTime{AppliedUS: -1, LiftedUS: -1}
		}
		switch {
		case e.Kind == "applied" && (ft.AppliedUS < 0 || e.OffsetUS < ft.AppliedUS):
			ft.AppliedUS = e.OffsetUS
		case e.Kind == "lifted" && e.OffsetUS > ft.LiftedUS:
			ft.LiftedUS = e.OffsetUS
		}
		into[i] = ft
	}
}

// FaultTimes returns, by index in the scenario's faults, when each fault
// that acted on real traffic in the last run was applied and lifted; nil
// when none did.
func (r *Runtime) FaultTimes() map[int]FaultTime {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.net == nil || len(r.net.faults) == 0 {
		return nil
	}
	out := make(map[int]FaultTime, len(r.net.faults))
	for i, ft := range r.net.faults {
		out[i] = ft
	}
	return out
}

// nodeFault is a node fault (node_crash, node_pause) as it acted on a
// container: applied when it was killed or frozen, lifted when it was
// healthy or thawed again (zero time: not yet).
type nodeFault struct {
	node, kind      string
	applied, lifted time.Time
}

// nodeFaultApplied records that kind hit node id now.
func (r *Runtime) nodeFaultApplied(id, kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nodeFaults = append(r.nodeFaults, nodeFault{node: id, kind: kind, applied: time.Now()})
}

// nodeFaultLifted records that the last kind on node id ended now.
func (r *Runtime) nodeFaultLifted(id, kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.nodeFaults) - 1; i >= 0; i-- {
		if f := &r.nodeFaults[i]; f.node == id && f.kind == kind && f.lifted.IsZero() {
			f.lifted = time.Now()
			return
		}
	}
}

// NodeFaultTimes returns, by index in faults (the scenario's), when each
// node_crash and node_pause acted on its container in the last paced run,
// from the run's zero: the k-th such fault on a node is the k-th time the
// container was killed or frozen. Unpaced runs have no wall-clock zero,
// and get nil.
func (r *Runtime) NodeFaultTimes(faults []scenario.Fault) map[int]FaultTime {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.zero.IsZero() || len(r.nodeFaults) == 0 {
		return nil
	}
	out := map[int]FaultTime{}
	seen := map[[2]string]int{}
	for i, f := range faults {
		if f.Kind != scenario.FaultNodeCrash && f.Kind != scenario.FaultNodePause {
			continue
		}
		key := [2]string{f.Node, f.Kind}
		k := seen[key]
		seen[key]++
		for _, nf := range r.nodeFaults {
			if nf.node != f.Node || nf.kind != f.Kind {
				continue
			}
			if k > 0 {
				k--
				continue
			}
			ft := FaultTime{AppliedUS: nf.applied.Sub(r.zero).Microseconds(), LiftedUS: -1}
			if !nf.lifted.IsZero() {
				ft.LiftedUS = nf.lifted.Sub(r.zero).Microseconds()
			}
			out[i] = ft
			break
		}
	}
	return out
}
