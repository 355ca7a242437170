package node

import (
	"context"
	"fmt"
	"time"
)

// watch makes the node's blocked reads and writes return when ctx ends. A
// node that stopped answering held a cancelled run (Ctrl-C, --timeout) for
// its whole timeout_s, up to years, before the run could clean up. The
// kernel passes the run's context to every call, so one watch serves the
// node until Close, not one per call; a call with another context moves it.
func (p *Process) watch(ctx context.Context) {
	done := ctx.Done()
	if p.conn == nil || done == p.done {
		return
	}
	p.stopWatch()
	if done == nil {
		return
	}
	c := p.conn
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		_ = c.SetDeadline(time.Now())
	})
	p.done = done
	p.unwatch = func() {
		if !stop() {
			// Its deadline must not land on what comes after (Close's
			// SHUTDOWN).
			<-fired
		}
	}
}

// stopWatch ends the watch, if any.
func (p *Process) stopWatch() {
	if p.unwatch != nil {
		p.unwatch()
	}
	p.unwatch, p.done = nil, nil
}

// honourCancel is called after each deadline send and readLine set: a
// cancel whose deadline came first was overwritten by theirs, and the
// call would wait timeout_s after all.
func (p *Process) honourCancel() {
	select {
	case <-p.done:
		_ = p.conn.SetDeadline(time.Now())
	default:
	}
}

// cancelled returns err, or ctx's cause naming the node when ctx ended:
// then err is only the deadline watch set.
func (p *Process) cancelled(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("node %q: %w", p.id, context.Cause(ctx))
	}
	return err
}
