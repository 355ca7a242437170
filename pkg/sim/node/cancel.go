package node

import (
	"context"
	"fmt"
	"time"
)

// interruptible makes the node's blocked reads and writes return when ctx
// ends. A node that stopped answering held a cancelled run (Ctrl-C,
// --timeout) for its whole timeout_s, up to years, before the run could
// clean up. Call the returned stop when the call is over.
func (p *Process) interruptible(ctx context.Context) (stop func()) {
	c := p.conn
	if c == nil || ctx.Done() == nil {
		return func() {}
	}
	p.ctx = ctx
	after := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	return func() {
		after()
		p.ctx = nil
	}
}

// honourCancel is called after each deadline send and readLine set: a
// cancel whose deadline came first was overwritten by theirs, and the
// call would wait timeout_s after all.
func (p *Process) honourCancel() {
	if p.ctx != nil && p.ctx.Err() != nil {
		_ = p.conn.SetDeadline(time.Now())
	}
}

// cancelled returns err, or ctx's cause naming the node when ctx ended:
// then err is only the deadline interruptible set.
func (p *Process) cancelled(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("node %q: %w", p.id, context.Cause(ctx))
	}
	return err
}
