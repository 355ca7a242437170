package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// hostDeploy is the deploy of one host: the steps every strategy shares
// (connect, platform) and then the strategy's own.
type hostDeploy struct {
	m   *manifest.Manifest
	h   manifest.Host
	im  *image
	o   options
	rep *HostReport
	c   hostConn
	s   strategy
	// prevFiles are the service's files before the deploy installed its
	// own: what a rollback puts back (nil when it installed none).
	prevFiles []fileState
	// pre is what the deploy started reading ahead (prefetch.go).
	pre prefetched
}

// updated tells whether the host runs the new release and can still go
// back (rollout.rollback: true): the rollout then either commits it or,
// when it stops, rolls it back.
func (d *hostDeploy) updated() bool {
	return d.s != nil && d.rep.err == nil && d.m.Rollout.Rollback
}

// close closes the host's connection.
func (d *hostDeploy) close() {
	if d.c != nil {
		_ = d.c.Close() // the host is done with; nothing waits on this connection
	}
}

func (d *hostDeploy) event(step, format string, args ...any) {
	d.o.progress.Report(Event{Host: d.h.Name, Step: step, Message: fmt.Sprintf(format, args...)})
}

func (d *hostDeploy) run(ctx context.Context) error {
	s, err := strategyFor(d.m)
	if err != nil {
		return err
	}
	pctx, cancel := context.WithCancel(ctx) // what is read ahead ends with the deploy
	defer cancel()
	if d.h.Platform != "" {
		if desc, ok := d.im.pick(d.h.Platform); ok {
			d.prefetchImage(pctx, desc) // while the host is reached
		}
	}
	if d.h.Local {
		d.event("connect", "using this machine's engine")
	} else {
		d.event("connect", "connecting to %s", d.h.Address)
	}
	c, err := connect(ctx, d.m, d.h, d.o)
	if err != nil {
		return err
	}
	d.c = c
	platform, err := d.platform(ctx)
	if err != nil {
		return err
	}
	d.rep.Platform = platform
	desc, ok := d.im.pick(platform)
	if !ok {
		return &PlatformError{Host: d.h.Name, Platform: platform, Have: d.im.order}
	}
	d.event("platform", "%s: %s", platform, desc.Digest)
	d.rep.Env, d.rep.Vars = Masked(d.m.HostEnv(d.h)), Masked(d.m.HostVars(d.h))
	d.s = s
	if d.pre.image == nil {
		d.prefetchImage(pctx, desc)
	}
	d.prefetchLayers(pctx)
	return s.deploy(ctx, d, platform, desc)
}

// platform is the host's platform: the manifest's, or its engine's (the
// engine's OS and architecture, and for arm the variant from uname -m).
func (d *hostDeploy) platform(ctx context.Context) (string, error) {
	if d.h.Platform != "" {
		return d.h.Platform, nil
	}
	out, err := engineOf(d.c).platform(ctx)
	if err != nil {
		return "", fmt.Errorf("detecting the platform: %w", err)
	}
	p, err := parsePlatform(out)
	if err != nil {
		return "", fmt.Errorf("detecting the platform: %w", err)
	}
	d.event("platform", "detected %s", p)
	return p, nil
}

// parsePlatform reads "OS/ARCH\nMACHINE" as docker version and uname -m
// print it.
func parsePlatform(out string) (string, error) {
	lines := strings.Fields(out)
	if len(lines) == 0 || strings.Count(lines[0], "/") != 1 || strings.HasPrefix(lines[0], "/") || strings.HasSuffix(lines[0], "/") {
		return "", fmt.Errorf("the engine says %q, want OS/ARCH", strings.TrimSpace(out))
	}
	p := lines[0]
	if strings.HasSuffix(p, "/arm") && len(lines) > 1 {
		switch m := lines[1]; {
		case strings.HasPrefix(m, "armv6"):
			p += "/v6"
		case strings.HasPrefix(m, "armv5"):
			p += "/v5"
		default:
			p += "/v7"
		}
	}
	return p, nil
}

// files installs the service's files (templates rendered for the host)
// as versions of the release; see installFiles.
func (d *hostDeploy) files(ctx context.Context) error {
	return d.installFiles(ctx)
}
