package report

// RealWindow is when a fault acted on containers' real packets, in
// wall-clock seconds from the run's zero, as the shaping helpers logged
// it: beside the scenario's at_s and end_s, it shows that the fault hit
// the traffic at its time.
type RealWindow struct {
	AppliedS float64 `json:"applied_s"`
	// LiftedS is absent when the fault lasted to the end of the run.
	LiftedS *float64 `json:"lifted_s,omitempty"`
}

// realFaults tells whether any of r's faults acted on real traffic: the
// fault tables then have a column for it.
func realFaults(r Run) bool {
	for _, f := range r.Faults {
		if f.RealTraffic != nil {
			return true
		}
	}
	return false
}

// realText is a fault's real-traffic window for the tables: "0.5–2.5",
// "0.5–end", or "–" when it shaped no real packet.
func realText(f Fault) string {
	w := f.RealTraffic
	if w == nil {
		return "–"
	}
	until := "end"
	if w.LiftedS != nil {
		until = formatNumber(*w.LiftedS)
	}
	return formatNumber(w.AppliedS) + "–" + until
}
