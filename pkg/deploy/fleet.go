package deploy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// rollout deploys wave after wave, the hosts of a wave in parallel, and
// stops once more than max_failures hosts failed (or ctx is done). With
// rollback: true, a stopped rollout also puts back the hosts it already
// updated; a finished one drops what they kept for that.
func rollout(ctx context.Context, m *manifest.Manifest, p *Plan, im *image, o options, rep *Report) {
	var updated []*hostDeploy
	failures := 0
	stopped := func() bool { return failures > m.Rollout.MaxFailures || ctx.Err() != nil }
	for _, w := range p.Waves {
		if stopped() {
			break
		}
		ds := make([]*hostDeploy, len(w))
		var wg sync.WaitGroup
		for k, i := range w {
			d := &hostDeploy{m: m, h: p.Hosts[i].Host, im: im, o: o, rep: &rep.Hosts[i]}
			ds[k] = d
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				d.rep.Started = start.UTC().Truncate(time.Millisecond)
				d.rep.err = d.run(ctx)
				d.rep.Duration = time.Since(start)
				if d.rep.err != nil {
					d.rep.Error = d.rep.err.Error()
					if d.rep.Result == ResultSkipped {
						d.rep.Result = ResultFailed
					}
				}
				if !d.updated() {
					d.close()
				}
				o.progress.Report(Event{Host: d.h.Name, Step: "done", Message: string(d.rep.Result)})
			}()
		}
		wg.Wait()
		for _, d := range ds {
			if d.rep.err != nil {
				failures++
			} else if d.updated() {
				updated = append(updated, d)
			}
		}
	}
	if len(updated) == 0 {
		return
	}
	why := fmt.Sprintf("the rollout stopped after %d failed host(s) (max_failures %d)", failures, m.Rollout.MaxFailures)
	if failures <= m.Rollout.MaxFailures {
		why = "the rollout was cancelled"
	}
	undo := stopped()
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(m.Rollout.Batch, 1))
	for _, d := range updated {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			defer d.close()
			// Whatever happens to ctx, the updated hosts must not stay
			// half-way.
			bg, cancel := undoContext(ctx, m)
			defer cancel()
			if undo {
				d.event("rollback", "%s; putting back what the host ran before", why)
				if err := d.rollback(bg); err != nil {
					d.rep.err = fmt.Errorf("rolling back (%s): %w", why, err)
					d.rep.Error = d.rep.err.Error()
					d.rep.Result = ResultFailed
				} else {
					d.rep.Result, d.rep.RolledBack = ResultRolledBack, true
					d.rep.Error = "rolled back: " + why
				}
				o.progress.Report(Event{Host: d.h.Name, Step: "done", Message: string(d.rep.Result)})
				return
			}
			if err := d.s.commit(bg, d); err != nil {
				// The host runs the new image; only the old container
				// is left behind.
				d.event("done", "%v", err)
			}
		}()
	}
	wg.Wait()
}

// rollback puts back what the host ran before its deploy, over a new
// connection when the one kept since then has broken.
func (d *hostDeploy) rollback(ctx context.Context) error {
	if err := d.live(ctx); err != nil {
		return err
	}
	return d.s.rollback(ctx, d)
}

// live makes sure d.c still answers, reconnecting when the connection
// kept since the host's deploy has broken.
func (d *hostDeploy) live(ctx context.Context) error {
	if err := alive(ctx, d.c); err != nil {
		return d.reconnect(ctx, 0)
	}
	return nil
}
