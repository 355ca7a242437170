package deploy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// InputError is a mistake in what deploy was asked (exit code 3).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode is 3.
func (e *InputError) ExitCode() int { return 3 }

// FailedError says some hosts did not end deployed (or did not verify).
// Its exit code is 3 when a host's platform is missing from the image, 2
// when every failure was a failed health check (or verify check), and 1
// otherwise.
type FailedError struct {
	Failed []string
	// Errs are the hosts' errors, in host order.
	Errs    []error
	health  bool
	invalid bool
}

func (e *FailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d host(s) failed: %s", len(e.Failed), strings.Join(e.Failed, ", "))
	for _, err := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap gives the hosts' errors.
func (e *FailedError) Unwrap() []error { return e.Errs }

// ExitCode is 3 for an image without a host's platform, 2 for health
// failures only, 1 otherwise.
func (e *FailedError) ExitCode() int {
	if e.invalid {
		return 3
	}
	if e.health {
		return 2
	}
	return 1
}

// HealthError is a health check that did not pass in time.
type HealthError struct {
	Host string
	Err  error
}

func (e *HealthError) Error() string { return fmt.Sprintf("health-checking %s: %v", e.Host, e.Err) }
func (e *HealthError) Unwrap() error { return e.Err }

// PlatformError is an image without the host's platform.
type PlatformError struct {
	Host, Platform string
	Have           []string
}

func (e *PlatformError) Error() string {
	return fmt.Sprintf("picking the image for %s: the image has no %s (it has %s); nothing was changed on %s",
		e.Host, e.Platform, strings.Join(e.Have, ", "), e.Host)
}

// ExitCode is 3: the manifest names an image that cannot run there.
func (e *PlatformError) ExitCode() int { return 3 }

func (r *Report) failure() error {
	fe := &FailedError{health: true}
	for _, h := range r.Hosts {
		if h.err == nil {
			continue
		}
		// A host key problem is configuration: it wins, with exit 3.
		var hk *transport.HostKeyError
		if errors.As(h.err, &hk) {
			return h.err
		}
		var he *HealthError
		if !errors.As(h.err, &he) {
			fe.health = false
		}
		var pe *PlatformError
		if errors.As(h.err, &pe) {
			fe.invalid = true
		}
		fe.Failed = append(fe.Failed, h.Host)
		fe.Errs = append(fe.Errs, fmt.Errorf("%s: %w", h.Host, h.err))
	}
	if len(fe.Failed) == 0 {
		return nil
	}
	return fe
}
