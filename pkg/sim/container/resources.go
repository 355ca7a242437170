package container

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// statsInterval is how often a container's stats are sampled: often enough
// to see a memory peak that lasts a second, rarely enough to cost little.
const statsInterval = 500 * time.Millisecond

var _ node.Resourced = (*Node)(nil)

// sampler follows a container's resource use from its start.
type sampler struct {
	stop chan struct{}
	done chan struct{}

	mu        sync.Mutex
	res       node.Resources
	first     engine.ContainerStats
	last      engine.ContainerStats
	haveFirst bool
	started   time.Time
	// cpuNS is the CPU time used between the first and the last sample,
	// across restarts (which reset the engine's counter).
	cpuNS uint64
}

// startSampling samples the container's stats until Resources or Close.
func (d *Node) startSampling() {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{}), started: time.Now()}
	if d.spec.memory > 0 {
		s.res.MemoryLimitMB = float64(d.spec.memory) / (1 << 20)
	}
	d.sampler = s
	go func() {
		defer close(s.done)
		tick := time.NewTicker(statsInterval)
		defer tick.Stop()
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			st, err := d.cli.ContainerStats(ctx, d.cid)
			cancel()
			if err == nil {
				s.add(st)
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
}

// add takes one sample. A stopped container (between a crash and its
// restart) answers with empty stats, which are skipped.
func (s *sampler) add(st engine.ContainerStats) {
	if st.Read.IsZero() || st.CPUStats.CPUUsage.TotalUsage == 0 && st.MemoryStats.Usage == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.Samples++
	s.res.MemoryPeakMB = math.Max(s.res.MemoryPeakMB, float64(st.MemoryUsed())/(1<<20))
	if !s.haveFirst {
		s.first, s.last, s.haveFirst = st, st, true
		return
	}
	if pct, ok := cpuPct(s.last, st); ok {
		s.res.CPUPeakPct = math.Max(s.res.CPUPeakPct, pct)
	}
	if u0, u1 := s.last.CPUStats.CPUUsage.TotalUsage, st.CPUStats.CPUUsage.TotalUsage; u1 >= u0 {
		s.cpuNS += u1 - u0
	} else {
		s.cpuNS += u1 // restarted: the counter began again
	}
	s.last = st
}

// cpuPct is the CPU use between two samples, in percent of one core. A
// restart resets the counter: that interval is not measured.
func cpuPct(a, b engine.ContainerStats) (float64, bool) {
	dt := b.Read.Sub(a.Read)
	u0, u1 := a.CPUStats.CPUUsage.TotalUsage, b.CPUStats.CPUUsage.TotalUsage
	if dt <= 0 || u1 < u0 {
		return 0, false
	}
	return math.Round(float64(u1-u0)/float64(dt)*100*100) / 100, true
}

// Resources implements node.Resourced: it stops sampling and adds what
// the engine counted: out-of-memory kills and restarts.
func (d *Node) Resources() *node.Resources {
	s := d.sampler
	if s == nil {
		return nil
	}
	d.stopSampling()
	s.mu.Lock()
	res := s.res
	if dt := s.last.Read.Sub(s.first.Read); dt > 0 {
		res.CPUAvgPct = math.Round(float64(s.cpuNS)/float64(dt)*100*100) / 100
	}
	s.mu.Unlock()
	res.MemoryPeakMB = math.Round(res.MemoryPeakMB*10) / 10
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if in, err := d.cli.ContainerInspect(ctx, d.cid); err == nil {
		res.Restarts = in.RestartCount
		if in.State != nil && in.State.OOMKilled && res.OOMKills == 0 {
			res.OOMKills = 1
		}
	}
	if evs, err := d.cli.Events(ctx, d.cid, s.started.Add(-time.Second), time.Now(), "oom"); err == nil {
		res.OOMKills = max(res.OOMKills, int64(len(evs)))
	}
	res.ImageSizeMB = d.imageSizeMB()
	return &res
}

func (d *Node) stopSampling() {
	if s := d.sampler; s != nil {
		select {
		case <-s.stop:
		default:
			close(s.stop)
		}
		<-s.done
	}
}
