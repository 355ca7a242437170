package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"

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
