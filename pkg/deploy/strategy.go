package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// strategy deploys with the compose or native strategy; done is false for
// the container strategy, which the caller runs itself. It is called once
// the host's platform manifest is known and before anything is changed on
// the host.
func (d *hostDeploy) strategy(ctx context.Context, platform string, desc v1.Descriptor) (done bool, err error) {
	switch {
	case d.m.Strategy == manifest.StrategyCompose && d.m.Compose != nil:
		return true, d.compose(ctx, platform, desc)
	case d.m.Strategy == manifest.StrategyNative && d.m.Native != nil:
		return true, d.native(ctx, platform, desc)
	case d.m.Strategy != manifest.StrategyContainer && d.m.Strategy != "":
		return true, &InputError{fmt.Errorf("strategy %s has no settings; load the manifest with manifest.Load", d.m.Strategy)}
	}
	return false, nil
}

// verifyStrategy verifies a host deployed with the compose or native
// strategy; ok is false for the container strategy.
func verifyStrategy(ctx context.Context, c hostConn, m *manifest.Manifest, hc HostCheck, want string) (HostCheck, bool) {
	switch {
	case m.Strategy == manifest.StrategyCompose && m.Compose != nil:
		return verifyCompose(ctx, c, m, hc, want), true
	case m.Strategy == manifest.StrategyNative && m.Native != nil:
		return verifyNative(ctx, c, m, hc, want), true
	case m.Strategy != manifest.StrategyContainer && m.Strategy != "":
		hc.err = &InputError{fmt.Errorf("strategy %s has no settings; load the manifest with manifest.Load", m.Strategy)}
		return hc, true
	}
	return hc, false
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
