package container

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/xedgesim/simulate/pkg/sim/container/shape"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

var (
	_ node.ClockStarter    = (*Runtime)(nil)
	_ node.WallClockNeeder = (*Runtime)(nil)
)

// clockLead is how far ahead of now the first zero offered to the helpers
// lies: telling one takes an exec in its container, tens of milliseconds on
// an idle engine.
const clockLead = 300 * time.Millisecond

// maxClockTries bounds how often the helpers are told a zero.
const maxClockTries = 4

// StartClock implements node.ClockStarter: it gives every shaping helper
// the timeline's zero before the run's clock starts, so that a fault in the
// first moments of the run acts at its time. The zero lies ahead of now by
// as long as telling the helpers takes; when they were told too late, they
// are told again with a later zero.
func (r *Runtime) StartClock(ctx context.Context) (time.Time, error) {
	r.mu.Lock()
	s := r.net
	r.nodeFaults = nil
	r.mu.Unlock()
	zero := time.Now()
	if s != nil {
		var err error
		if zero, err = s.startClock(ctx); err != nil {
			return time.Time{}, err
		}
	}
	r.mu.Lock()
	r.zero = zero
	r.mu.Unlock()
	return zero, nil
}

// NeedsWallClock implements node.WallClockNeeder: a started helper with a
// fault window applies it by the wall clock, so a run in lockstep is
// paced for the window to act at its virtual time.
func (r *Runtime) NeedsWallClock() (int, bool) {
	r.mu.Lock()
	s := r.net
	r.mu.Unlock()
	if s == nil {
		return 0, false
	}
	s.shaperMu.Lock()
	defer s.shaperMu.Unlock()
	var first *shape.Window
	for id := range s.shapers {
		for _, p := range s.plan.nodes[id].Peers {
			for _, w := range p.Windows {
				if first == nil || w.FromUS < first.FromUS || w.FromUS == first.FromUS && w.Fault < first.Fault {
					first = &w
				}
			}
		}
	}
	if first == nil {
		return 0, false
	}
	return first.Fault - 1, true // Window.Fault counts from 1
}

func (s *netShaping) startClock(ctx context.Context) (time.Time, error) {
	s.shaperMu.Lock()
	defer s.shaperMu.Unlock()
	if len(s.shapers) == 0 {
		return time.Now(), nil
	}
	lead := clockLead
	for try := 0; ; try++ {
		began := time.Now()
		zero := began.Add(lead)
		if err := s.tell(ctx, zero); err != nil {
			return time.Time{}, err
		}
		took := time.Since(began)
		// The helper polls its start file every 20 ms. A zero that
		// came late is kept after a few tries, each with a longer lead
		// (a fault in the first moments then acts late, as the helpers'
		// applied events show).
		if took+50*time.Millisecond < lead || try == maxClockTries-1 {
			// Begin (the first quantum's fallback) keeps this zero.
			s.once.Do(func() { s.zero = zero })
			return zero, nil
		}
		lead = 2 * took
	}
}

// tell gives every helper zero, all at once.
func (s *netShaping) tell(ctx context.Context, zero time.Time) error {
	var wg sync.WaitGroup
	errs := make([]error, 0, len(s.shapers))
	var mu sync.Mutex
	for id, sh := range s.shapers {
		wg.Go(func() {
			if err := sh.SetStart(ctx, zero); err != nil {
				mu.Lock()
				errs = append(errs, at(s.plan.why[id], fmt.Errorf("%w %q: %w", ErrShaping, id, err)))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
