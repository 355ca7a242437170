package metrics

import "github.com/xedgesim/simulate/pkg/sim"

// resourceMetrics are the node metrics read from a container's resources.
var resourceMetrics = map[string]bool{"memory_peak_mb": true, "cpu_avg_pct": true, "cpu_peak_pct": true, "oom_kills": true, "image_size_mb": true}

// resource is a container's resource figure; false for a node that is no
// container or was not sampled.
func resource(metric string, n sim.NodeResult) (float64, bool) {
	r := n.Resources
	if metric == "image_size_mb" {
		// Measured from the image, not from the stats.
		if r == nil || r.ImageSizeMB <= 0 {
			return 0, false
		}
		return r.ImageSizeMB, true
	}
	if r == nil || r.Samples == 0 && metric != "oom_kills" {
		return 0, false
	}
	switch metric {
	case "memory_peak_mb":
		return r.MemoryPeakMB, true
	case "cpu_avg_pct":
		return r.CPUAvgPct, true
	case "cpu_peak_pct":
		return r.CPUPeakPct, true
	case "oom_kills":
		return float64(r.OOMKills), true
	}
	return 0, false
}
