package shape

import (
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// maxBacklog bounds a link's queue, as a tbf's limit does: a packet that
// would wait longer than this for its turn on the bandwidth is dropped.
// At least ten full-size packets always fit, or a slow link could hold
// none.
const maxBacklog = time.Second

// Counters are what a link did to real packets.
type Counters struct {
	Packets int64 `json:"packets"`
	Bytes   int64 `json:"bytes"`
	// Dropped counts the packets lost, sent while the link was down, or
	// beyond the queue.
	Dropped      int64 `json:"dropped"`
	DroppedBytes int64 `json:"dropped_bytes"`
}

// link is the state of one peer's direction.
type link struct {
	peer     Peer
	rng      *rand.Rand
	nextFree time.Time // when the bandwidth is free again
	count    Counters
}

// shaper decides each packet's fate; it holds no clock of its own, so it is
// tested with made-up times.
type shaper struct {
	start time.Time
	links []*link
}

func newShaper(c Config) *shaper {
	s := &shaper{start: c.Start()}
	for _, p := range c.Peers {
		h := fnv.New64a()
		_, _ = h.Write([]byte(c.Node + "\x00" + p.Key() + "\x00" + p.Addr))                              // a hash.Hash never returns an error
		s.links = append(s.links, &link{peer: p, rng: rand.New(rand.NewPCG(uint64(c.Seed), h.Sum64()))}) // #nosec G115 G404 -- loss and jitter must repeat with the scenario's seed (its bits feed the generator); nothing secret is drawn
	}
	return s
}

// params returns link i's parameters at now, and whether it is down.
func (s *shaper) params(i int, now time.Time) (Params, bool) {
	l := s.links[i]
	p := l.peer.Link
	if s.start.IsZero() {
		return p, false // the timeline has not begun: no fault yet
	}
	off := now.Sub(s.start).Microseconds()
	down := false
	for _, w := range l.peer.Windows {
		if off < w.FromUS || (w.UntilUS != 0 && off >= w.UntilUS) {
			continue
		}
		down = down || w.Down
		if w.LatencyUS != nil {
			p.LatencyUS = *w.LatencyUS
		}
		if w.LossRate != nil {
			p.LossRate = *w.LossRate
		}
	}
	return p, down
}

// decide returns when a packet of size bytes that link i got at now is
// released, or drop.
func (s *shaper) decide(i int, now time.Time, size int) (release time.Time, drop bool) {
	l := s.links[i]
	p, down := s.params(i, now)
	dropped := func() (time.Time, bool) {
		l.count.Dropped++
		l.count.DroppedBytes += int64(size)
		return time.Time{}, true
	}
	if down {
		return dropped()
	}
	if p.LossRate > 0 && l.rng.Float64() < p.LossRate {
		return dropped()
	}
	depart := now
	if p.BandwidthBPS > 0 {
		if l.nextFree.After(now) {
			depart = l.nextFree
		}
		limit := max(maxBacklog, time.Duration(10*1500*8*int64(time.Second)/p.BandwidthBPS))
		if depart.Sub(now) > limit {
			return dropped()
		}
		depart = depart.Add(time.Duration(int64(size) * 8 * int64(time.Second) / p.BandwidthBPS))
		l.nextFree = depart
	}
	delay := time.Duration(p.LatencyUS) * time.Microsecond
	if p.JitterUS > 0 {
		// Uniform in [-jitter, +jitter], as the simulated links draw it.
		delay += time.Duration((2*l.rng.Float64() - 1) * float64(p.JitterUS) * float64(time.Microsecond))
	}
	l.count.Packets++
	l.count.Bytes += int64(size)
	return depart.Add(max(delay, 0)), false
}
