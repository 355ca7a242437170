package report

// RealLink is one link of the scenario as it acted on the real packets of
// container nodes: what was configured, and what the shaping counted.
// The counts are wall-clock measurements, not reproducible as the rest of
// summary.json is.
type RealLink struct {
	Src          string  `json:"src"`
	Dst          string  `json:"dst"`
	LatencyUS    int64   `json:"latency_us"`
	JitterUS     int64   `json:"jitter_us,omitempty"`
	LossRate     float64 `json:"loss_rate,omitempty"`
	BandwidthBPS int64   `json:"bandwidth_bps,omitempty"`
	// Faults is how many fault windows the link has.
	Faults       int   `json:"faults,omitempty"`
	Packets      int64 `json:"packets"`
	Bytes        int64 `json:"bytes"`
	Dropped      int64 `json:"dropped"`
	DroppedBytes int64 `json:"dropped_bytes"`
}
