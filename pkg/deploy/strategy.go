package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// strategy is one way of running the service on a host: a container
// (container), a compose project (compose) or a supervised program
// (native). strategyFor picks it once per host; the value then serves that
// host alone and keeps what its rollback needs.
type strategy interface {
	// deploy runs the platform image's service on d's host and
	// health-checks it. When a step after the first change fails, deploy
	// has put back what ran before (d.rep says rolled back) or, on a first
	// deploy, left nothing of itself behind.
	deploy(ctx context.Context, d *hostDeploy, platform string, desc v1.Descriptor) error
	// rollback, after deploy succeeded, puts back what the host ran before
	// it: a stopped rollout (rollout.rollback: true) undoes its hosts.
	rollback(ctx context.Context, d *hostDeploy) error
	// commit drops what rollback would need, once the rollout succeeded.
	commit(ctx context.Context, d *hostDeploy) error
	// verify checks what runs on the host against want, the digest
	// deployed; the error is a *checkError when a check failed.
	verify(ctx context.Context, c hostConn, want string) (HostCheck, error)
	// undeploy removes the service from the host and what deploy left
	// for it, and lists what it removed.
	undeploy(ctx context.Context, c hostConn) ([]string, error)
}

// strategyFor returns a new strategy for one host of m.
func strategyFor(m *manifest.Manifest) (strategy, error) {
	switch {
	case m.Strategy == manifest.StrategyContainer || m.Strategy == "":
		return &containerStrategy{m: m}, nil
	case m.Strategy == manifest.StrategyCompose && m.Compose != nil:
		return &composeStrategy{m: m}, nil
	case m.Strategy == manifest.StrategyNative && m.Native != nil:
		return &nativeStrategy{m: m}, nil
	}
	return nil, &InputError{fmt.Errorf("strategy %s has no settings; load the manifest with manifest.Load", m.Strategy)}
}

// undoFailed runs undo after cause (a step of d's deploy that failed) and
// returns cause, joined with undo's error when that failed too. ran tells
// whether a previous release ran and so serves again: the host is then
// reported rolled back. The undo runs even when ctx is cancelled.
func (d *hostDeploy) undoFailed(ctx context.Context, cause error, ran bool, undo func(context.Context, *hostDeploy) error) error {
	d.event("rollback", "%v", cause)
	uctx, cancel := undoContext(ctx, d.m)
	defer cancel()
	if err := undo(uctx, d); err != nil {
		return errors.Join(cause, err)
	}
	if ran {
		d.rep.RolledBack = true
		d.rep.Result = ResultRolledBack
	}
	return cause
}

// undoContext is ctx for putting back what a host ran before, or for
// committing its new release: it goes on when ctx is cancelled (the host
// must not stay half-way), but within a bound, so a host that stops
// answering half-way does not hold the run for ever. The bound covers a
// reconnect, the old release's start and its health check, with room.
func undoContext(ctx context.Context, m *manifest.Manifest) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), undoTimeout(m))
}

func undoTimeout(m *manifest.Manifest) time.Duration {
	return 2*m.SSH.Timeout + m.Service.Health.Timeout + 2*time.Minute
}

// sleep waits for d, or less when ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// writeFile writes data to path on the host with mode, through a
// temporary name, so a reader sees the old file or the new one. Nobody
// else can read it while it is written.
func writeFile(ctx context.Context, c hostConn, path, data, mode string) error {
	tmp := path + ".xedgesim-new"
	script := "mkdir -p " + transport.Quote(dirOf(path)) + " && (umask 077 && cat > " + transport.Quote(tmp) + ") && chmod " + mode + " " + transport.Quote(tmp) + " && mv -f " + transport.Quote(tmp) + " " + transport.Quote(path)
	if _, err := c.Run(ctx, script, strings.NewReader(data)); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readFile reads path on the host; a missing file is "", false.
func readFile(ctx context.Context, c hostConn, path string) (string, bool, error) {
	out, err := c.Run(ctx, "if [ -f "+transport.Quote(path)+" ]; then echo y; cat "+transport.Quote(path)+"; else echo n; fi", nil)
	if err != nil {
		return "", false, fmt.Errorf("reading %s: %w", path, err)
	}
	flag, rest, _ := strings.Cut(out, "\n")
	return rest, flag == "y", nil
}

func dirOf(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i]
	}
	return "/"
}

// poll calls check every interval until it returns done or an error, or
// the timeout passes; then the last error it gave is returned.
func poll(ctx context.Context, timeout, interval time.Duration, what string, check func(context.Context) (done bool, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		done, err := check(ctx)
		if done {
			return err
		}
		// A check cut short by the timeout says less than the one before.
		if err != nil && (ctx.Err() == nil || last == nil) {
			last = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			return fmt.Errorf("%s did not pass within %s: %w", what, timeout, last)
		case <-time.After(interval):
		}
	}
}

// fatal marks a check failure that waiting longer cannot fix (the program
// exited), so poll stops at once.
func fatal(err error) (bool, error) { return true, err }
