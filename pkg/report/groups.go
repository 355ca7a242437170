package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/pkg/sim"
)

// Group is a device group in summary.json: its size and the devices whose
// routes dropped the most. Its counters are the group's row in nodes and
// network.links.
type Group struct {
	ID        string     `json:"id"`
	Devices   int        `json:"devices"`
	Offenders []Offender `json:"offenders"`
}

// Offender is one of a group's worst devices.
type Offender struct {
	ID             string `json:"id"`
	PacketsSent    int64  `json:"packets_sent"`
	PacketsDropped int64  `json:"packets_dropped"`
}

func newGroups(gs []sim.GroupResult) []Group {
	var out []Group
	for _, g := range gs {
		row := Group{ID: g.ID, Devices: g.Devices, Offenders: []Offender{}}
		for _, o := range g.Offenders {
			row.Offenders = append(row.Offenders, Offender{ID: o.ID, PacketsSent: o.Sent, PacketsDropped: o.Dropped})
		}
		out = append(out, row)
	}
	return out
}

// groupsMarkdown is a run's device groups: one row per group, with its
// worst devices, never one per device.
func groupsMarkdown(w *bytes.Buffer, r Run, h string) {
	if len(r.Groups) == 0 {
		return
	}
	fmt.Fprintf(w, "%s Device groups\n\n| Group | Devices | Sent | Delivered | Dropped | Worst devices (dropped of sent) |\n|---|---:|---:|---:|---:|---|\n", h)
	for _, g := range r.Groups {
		var sent, delivered, dropped int64
		for _, l := range r.Network.Links {
			if l.Src == g.ID {
				sent += l.PacketsSent
				delivered += l.PacketsDelivered
				dropped += l.PacketsDropped
			}
		}
		worst := make([]string, 0, len(g.Offenders))
		for _, o := range g.Offenders {
			worst = append(worst, fmt.Sprintf("%s %d of %d", mdCode(o.ID), o.PacketsDropped, o.PacketsSent))
		}
		if len(worst) == 0 {
			worst = append(worst, "none dropped")
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %s |\n", mdCode(g.ID), g.Devices, sent, delivered, dropped, strings.Join(worst, ", "))
	}
	w.WriteString("\n")
}
