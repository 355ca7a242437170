package container

import (
	"time"

	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

func TestFaultTimes(t *testing.T) {
	t.Parallel()
	got := map[int]FaultTime{}
	// Two helpers saw fault 1 on their links; fault 2 never ended; the
	// rest is not a fault's boundary.
	faultTimes(got, []shape.Event{
		{Kind: "ready"},
		{Kind: "start", OffsetUS: -300000},
		{Kind: "applied", Fault: "link_down", FaultNumber: 1, OffsetUS: 500000},
		{Kind: "applied", Fault: "partition", FaultNumber: 2, OffsetUS: 700000},
		{Kind: "lifted", Fault: "link_down", FaultNumber: 1, OffsetUS: 2500000},
	})
	faultTimes(got, []shape.Event{
		{Kind: "applied", Fault: "link_down", FaultNumber: 1, OffsetUS: 500000},
		{Kind: "lifted", Fault: "link_down", FaultNumber: 1, OffsetUS: 2500000},
		{Kind: "applied", Fault: "link_down"}, // from an older helper without numbers
	})
	want := map[int]FaultTime{0: {AppliedUS: 500000, LiftedUS: 2500000}, 1: {AppliedUS: 700000, LiftedUS: -1}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("faultTimes() mismatch (-want +got):\n%s", d)
	}
}

func TestNodeFaultTimes(t *testing.T) {
	t.Parallel()
	zero := time.Unix(1000, 0)
	at := func(s float64) time.Time { return zero.Add(time.Duration(s * float64(time.Second))) }
	r := &Runtime{zero: zero, nodeFaults: []nodeFault{
		{node: "a", kind: scenario.FaultNodeCrash, applied: at(1), lifted: at(2.5)},
		{node: "b", kind: scenario.FaultNodePause, applied: at(3), lifted: at(5)},
		{node: "a", kind: scenario.FaultNodeCrash, applied: at(6)}, // never back
	}}
	faults := []scenario.Fault{
		{Kind: scenario.FaultNodeCrash, Node: "a", AtUS: 1e6},
		{Kind: scenario.FaultLinkDown, AtUS: 2e6},
		{Kind: scenario.FaultNodePause, Node: "b", AtUS: 3e6},
		{Kind: scenario.FaultNodeCrash, Node: "a", AtUS: 6e6},
		{Kind: scenario.FaultNodeCrash, Node: "c", AtUS: 7e6}, // not a container of this runtime
	}
	want := map[int]FaultTime{
		0: {AppliedUS: 1e6, LiftedUS: 2.5e6},
		2: {AppliedUS: 3e6, LiftedUS: 5e6},
		3: {AppliedUS: 6e6, LiftedUS: -1},
	}
	if d := cmp.Diff(want, r.NodeFaultTimes(faults)); d != "" {
		t.Errorf("NodeFaultTimes() mismatch (-want +got):\n%s", d)
	}
	if got := (&Runtime{nodeFaults: r.nodeFaults}).NodeFaultTimes(faults); got != nil {
		t.Errorf("NodeFaultTimes() of a lockstep run = %v, want nil", got)
	}
}
