package deploy

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// answers is a host whose cmd check fails the first `failures` times.
type answers struct {
	failures, runs int
}

func (a *answers) Run(context.Context, string, io.Reader) (string, error) {
	a.runs++
	if a.runs <= a.failures {
		return "", errors.New("slow answer")
	}
	return "", nil
}
func (a *answers) RunWithPayload(context.Context, string, transport.Payload, string) (string, int64, error) {
	return "", 0, errors.New("not used")
}
func (a *answers) Upload(context.Context, io.Reader, int64, string, string, func(int64)) error {
	return errors.New("not used")
}
func (a *answers) DialContext(context.Context, string, string) (net.Conn, error) {
	return nil, errors.New("not used")
}
func (a *answers) Alive(context.Context) error {
	return errors.New("not used")
}
func (a *answers) Close() error { return nil }

// TestVerifyProbesAgain: verify calls a service unhealthy only after
// verifyProbes failed probes, and stops at the first that passes.
func TestVerifyProbesAgain(t *testing.T) {
	t.Parallel()
	h := manifest.Health{Cmd: "true", Interval: time.Millisecond}
	for _, tc := range []struct {
		failures, runs int
		healthy        bool
	}{
		{0, 1, true},
		{2, 3, true},
		{3, 3, false},
		{10, 3, false},
	} {
		a := &answers{failures: tc.failures}
		err := probeAgain(context.Background(), a, h, verifyProbes)
		if (err == nil) != tc.healthy || a.runs != tc.runs {
			t.Errorf("%d failures: healthy %v after %d probes, want %v after %d", tc.failures, err == nil, a.runs, tc.healthy, tc.runs)
		}
	}
}
