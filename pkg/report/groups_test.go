package report

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/sim"
)

func TestGroups(t *testing.T) {
	t.Parallel()
	got := newGroups([]sim.GroupResult{{ID: "s{i}", Devices: 1_000_000, Offenders: []sim.Offender{{ID: "s7", Sent: 360, Dropped: 9}}}, {ID: "g{i}", Devices: 2}})
	want := []Group{{ID: "s{i}", Devices: 1_000_000, Offenders: []Offender{{ID: "s7", PacketsSent: 360, PacketsDropped: 9}}}, {ID: "g{i}", Devices: 2, Offenders: []Offender{}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("newGroups (-want +got):\n%s", diff)
	}
	r := Run{Summary: Summary{Groups: got, Network: Network{Links: []Link{
		{Src: "s{i}", Dst: "gw", PacketsSent: 360_000_000, PacketsDelivered: 359_000_000, PacketsDropped: 1_000_000},
		{Src: "gw", Dst: "cloud", PacketsSent: 5},
	}}}}
	var w bytes.Buffer
	groupsMarkdown(&w, r, "###")
	wantMD := "### Device groups\n\n| Group | Devices | Sent | Delivered | Dropped | Worst devices (dropped of sent) |\n|---|---:|---:|---:|---:|---|\n" +
		"| `s{i}` | 1000000 | 360000000 | 359000000 | 1000000 | `s7` 9 of 360 |\n" +
		"| `g{i}` | 2 | 0 | 0 | 0 | none dropped |\n\n"
	if diff := cmp.Diff(wantMD, w.String()); diff != "" {
		t.Errorf("groupsMarkdown (-want +got):\n%s", diff)
	}
	w.Reset()
	groupsMarkdown(&w, Run{}, "###")
	if w.Len() != 0 {
		t.Errorf("a run without groups gets a section: %q", w.String())
	}
}
