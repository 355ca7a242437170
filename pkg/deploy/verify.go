package deploy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// HostCheck is what Verify found on one host.
type HostCheck struct {
	Host string `json:"host"`
	// Running, RestartsStable, Healthy and DigestMatches are the four checks.
	Running        bool   `json:"running"`
	RestartsStable bool   `json:"restarts_stable"`
	Healthy        bool   `json:"healthy"`
	DigestMatches  bool   `json:"digest_matches"`
	Digest         string `json:"digest,omitempty"` // the running digest
	Problem        string `json:"problem,omitempty"`
	err            error
}

// OK tells whether every check passed.
func (h HostCheck) OK() bool { return h.err == nil }

// Verify checks every host of m: the service's container is running, its
// restart count does not change over the health window, the probe passes,
// and it runs the manifest's digest. err is a *FailedError (exit 2) when a
// check fails, a *transport.HostKeyError (exit 3) for an untrusted host.
func Verify(ctx context.Context, m *manifest.Manifest, opts ...Option) ([]HostCheck, error) {
	o := makeOptions(opts)
	ref := m.Image
	if o.image != "" {
		ref = o.image
	}
	d, err := name.NewDigest(ref, o.names...)
	if err != nil {
		return nil, &InputError{fmt.Errorf("parsing image %q: %w (want REPO@sha256:...)", ref, err)}
	}
	hosts, err := selectHosts(m, o)
	if err != nil {
		return nil, err
	}
	checks := make([]HostCheck, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checks[i] = verifyHost(ctx, m, h, d.DigestStr(), o)
			if checks[i].err != nil {
				checks[i].Problem = checks[i].err.Error()
			}
		}()
	}
	wg.Wait()
	fe := &FailedError{health: true}
	for _, c := range checks {
		if c.err == nil {
			continue
		}
		var hk *transport.HostKeyError
		if errors.As(c.err, &hk) {
			return checks, c.err
		}
		var ce *checkError
		if !errors.As(c.err, &ce) {
			fe.health = false
		}
		fe.Failed = append(fe.Failed, c.Host)
		fe.Errs = append(fe.Errs, fmt.Errorf("%s: %w", c.Host, c.err))
	}
	if len(fe.Failed) > 0 {
		return checks, fe
	}
	return checks, nil
}

// checkError is a verify check that failed (as opposed to a host that
// could not be asked).
type checkError struct{ msg string }

func (e *checkError) Error() string { return e.msg }

func verifyHost(ctx context.Context, m *manifest.Manifest, h manifest.Host, want string, o options) HostCheck {
	hc := HostCheck{Host: h.Name}
	c, err := connect(ctx, m, h, o)
	if err != nil {
		hc.err = err
		return hc
	}
	defer c.Close()
	if hc, ok := verifyStrategy(ctx, c, m, hc, want); ok {
		return hc
	}
	o.progress.Report(Event{Host: h.Name, Step: "verify", Message: "inspecting " + m.Service.Name})
	first, err := inspect(ctx, c, m.Service.Name)
	if err != nil {
		hc.err = err
		return hc
	}
	if first == nil {
		hc.err = &checkError{fmt.Sprintf("no container %s", m.Service.Name)}
		return hc
	}
	hc.Digest = first.Config.Labels[LabelDigest]
	hc.DigestMatches = hc.Digest == want && first.Image == first.Config.Labels[LabelImageID]
	select {
	case <-ctx.Done():
		hc.err = ctx.Err()
		return hc
	case <-time.After(m.Service.Health.Window):
	}
	second, err := inspect(ctx, c, m.Service.Name)
	if err != nil {
		hc.err = err
		return hc
	}
	hc.Running = second != nil && second.State.Running && first.State.Running
	hc.RestartsStable = second != nil && second.ID == first.ID && second.RestartCount == first.RestartCount
	perr := probe(ctx, c, m.Service.Health)
	hc.Healthy = perr == nil
	var problems []string
	if !hc.Running {
		problems = append(problems, "the container is not running")
	}
	if !hc.RestartsStable {
		problems = append(problems, fmt.Sprintf("the container restarted during %s", m.Service.Health.Window))
	}
	if perr != nil {
		problems = append(problems, fmt.Sprintf("the %s check fails: %v", m.Service.Health.Kind(), perr))
	}
	if !hc.DigestMatches {
		problems = append(problems, fmt.Sprintf("it runs %s (image %s), want %s", orNone(hc.Digest), first.Image, want))
	}
	if len(problems) > 0 {
		hc.err = &checkError{joinProblems(problems)}
	}
	return hc
}

func orNone(s string) string {
	if s == "" {
		return "an image deploy did not label"
	}
	return s
}

func joinProblems(p []string) string {
	s := p[0]
	for _, x := range p[1:] {
		s += "; " + x
	}
	return s
}
