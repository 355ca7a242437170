package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

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

	// FilesMatch says the service's files on the host have the
	// checksums of the manifest's (rendered for the host).
	FilesMatch bool `json:"files_match"`
}

// OK tells whether every check passed.
func (h HostCheck) OK() bool { return h.err == nil }

// Verify checks every host [NewPlan] plans for m, all at once: the
// service's container (compose: containers; native: program) is running,
// it does not restart over the health window, the probe passes, and it
// runs the plan's digest. err is a *FailedError (exit 2) when a check
// fails, a *transport.HostKeyError (exit 3) for an untrusted host.
func Verify(ctx context.Context, m *manifest.Manifest, opts ...Option) ([]HostCheck, error) {
	o := makeOptions(opts)
	p, err := newPlan(m, o)
	if err != nil {
		return nil, err
	}
	checks := make([]HostCheck, len(p.Hosts))
	var wg sync.WaitGroup
	for i, h := range p.Hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			checks[i] = verifyHost(ctx, m, h.Host, p.Digest, o)
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
	hc, err := checkHost(ctx, m, h, want, o)
	hc.Host, hc.err = h.Name, err
	return hc
}

// checkHost connects to the host and has its strategy check it.
func checkHost(ctx context.Context, m *manifest.Manifest, h manifest.Host, want string, o options) (HostCheck, error) {
	s, err := strategyFor(m)
	if err != nil {
		return HostCheck{}, err
	}
	c, err := connect(ctx, m, h, o)
	if err != nil {
		return HostCheck{}, err
	}
	defer c.Close()
	o.progress.Report(Event{Host: h.Name, Step: "verify", Message: "inspecting " + m.Service.Name})
	hc, err := s.verify(ctx, c, want)
	var ce *checkError
	if err != nil && !errors.As(err, &ce) {
		return hc, err
	}
	ok, problem, ferr := checkFiles(ctx, c, m, h)
	if ferr != nil {
		return hc, ferr
	}
	hc.FilesMatch = ok
	if !ok {
		if ce != nil {
			problem = ce.msg + "; " + problem
		}
		return hc, &checkError{problem}
	}
	return hc, err
}

// orCheckError is err, or when that is nil the failed check the format
// says: what the check looked for is not there.
func orCheckError(err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	return &checkError{fmt.Sprintf(format, args...)}
}

// checked names what a strategy's verify looked at, for its problems: what
// is (not running), what restarted; image adds to the running digest.
type checked struct{ what, is, image string }

// verifyProbes is how many probes verify makes before it calls a service
// unhealthy: one slow answer (a loaded device, an emulated CPU) is not an
// outage, as a readiness probe's failure threshold says.
const verifyProbes = 3

// probeAgain probes up to n times, h.Interval apart, and returns nil at the
// first success, else the last answer.
func probeAgain(ctx context.Context, c hostConn, h manifest.Health, n int) error {
	var err error
	for i := range n {
		if i > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(h.Interval):
			}
		}
		if err = probe(ctx, c, h); err == nil {
			return nil
		}
	}
	return err
}

// finishCheck probes the service and turns the four checks into the host's
// problem, if any.
func finishCheck(ctx context.Context, c hostConn, hc HostCheck, h manifest.Health, want string, w checked) (HostCheck, error) {
	perr := probeAgain(ctx, c, h, verifyProbes)
	hc.Healthy = perr == nil
	var problems []string
	if !hc.Running {
		problems = append(problems, w.what+" "+w.is+" not running")
	}
	if !hc.RestartsStable {
		problems = append(problems, fmt.Sprintf("%s restarted during %s", w.what, h.Window))
	}
	if perr != nil {
		problems = append(problems, fmt.Sprintf("the %s check fails: %v", h.Kind(), perr))
	}
	if !hc.DigestMatches {
		problems = append(problems, fmt.Sprintf("it runs %s%s, want %s", orNone(hc.Digest), w.image, want))
	}
	if len(problems) > 0 {
		return hc, &checkError{strings.Join(problems, "; ")}
	}
	return hc, nil
}

func orNone(s string) string {
	if s == "" {
		return "an image deploy did not label"
	}
	return s
}
