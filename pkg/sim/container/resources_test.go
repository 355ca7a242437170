package container

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

func stats(at time.Duration, cpuNS, usage, inactive uint64) engine.ContainerStats {
	var s engine.ContainerStats
	s.Read = time.Unix(100, 0).Add(at)
	s.CPUStats.CPUUsage.TotalUsage = cpuNS
	s.MemoryStats.Usage = usage
	s.MemoryStats.Stats = map[string]uint64{"inactive_file": inactive}
	return s
}

// The sampler keeps the highest memory use without the page cache, the
// highest CPU between two samples, skips a stopped container's empty
// stats and the interval in which a restart reset the CPU counter.
func TestSampler(t *testing.T) {
	t.Parallel()
	s := &sampler{}
	for _, st := range []engine.ContainerStats{
		stats(0, 1e9, 10<<20, 2<<20),
		stats(time.Second, 1.5e9, 100<<20, 1<<20), // 50 % of a core
		{},                                     // stopped: empty stats
		stats(2*time.Second, 0.1e9, 50<<20, 0), // restarted: counter reset
		stats(3*time.Second, 0.3e9, 40<<20, 0), // 20 %
	} {
		s.add(st)
	}
	want := node.Resources{MemoryPeakMB: 99, CPUPeakPct: 50, Samples: 4}
	if diff := cmp.Diff(want, s.res); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	// 0.5 s, then 0.1 s and 0.2 s after the restart, over 3 s.
	if s.cpuNS != 0.8e9 {
		t.Errorf("CPU time %d ns, want 0.8e9", s.cpuNS)
	}
	if pct, ok := cpuPct(stats(0, 1e9, 0, 0), stats(2*time.Second, 1.5e9, 0, 0)); !ok || pct != 25 {
		t.Errorf("cpuPct = %g, %v; want 25", pct, ok)
	}
}
