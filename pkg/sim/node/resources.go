package node

// Resources is what a container used over a run, from the engine's stats.
type Resources struct {
	// MemoryPeakMB is the highest memory use sampled, in MiB, as `docker
	// stats` counts it (without the page cache the kernel can drop).
	MemoryPeakMB float64 `json:"memory_peak_mb"`
	// MemoryLimitMB is docker.memory, when set.
	MemoryLimitMB float64 `json:"memory_limit_mb,omitempty"`
	// CPUAvgPct and CPUPeakPct are CPU use in percent of one core: over
	// the whole run, and the highest between two samples.
	CPUAvgPct  float64 `json:"cpu_avg_pct"`
	CPUPeakPct float64 `json:"cpu_peak_pct"`
	// OOMKills counts the kernel's out-of-memory kills in the container;
	// Restarts the engine's restarts of it (its restart policy).
	OOMKills int64 `json:"oom_kills"`
	Restarts int64 `json:"restarts"`
	// ImageSizeMB is the compressed size of the platform image that ran
	// (config and layers, as a registry stores them), in MiB.
	ImageSizeMB float64 `json:"image_size_mb,omitempty"`
	// Samples is how many stats samples the figures come from.
	Samples int `json:"samples"`
}

// Resourced is implemented by nodes whose resource use is measured
// (containers). The run calls Resources once, when its clock stopped.
type Resourced interface {
	Resources() *Resources
}
