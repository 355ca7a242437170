package report

import "github.com/xedgesim/simulate/pkg/sim"

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
