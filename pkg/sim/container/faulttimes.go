package container

import "github.com/xedgesim/simulate/pkg/sim/container/shape"

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
