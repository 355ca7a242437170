package deploy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// dialOnly is a host whose commands all fail and whose dials go to this
// machine: enough for waitHealthy, which inspects and then probes.
type dialOnly struct{ localConn }

func (dialOnly) Run(context.Context, string, io.Reader) (string, error) {
	return "", errors.New("no engine here")
}

// TestHealthReportsLastAnswer: a check that fails until its deadline says
// what the service last answered ("status 500, want 200"), not that the
// deadline passed, even when the last probe was cut short by it.
func TestHealthReportsLastAnswer(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		<-r.Context().Done() // the next probes hang until cut short
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	h := manifest.Health{HTTP: &manifest.HTTPHealth{Port: p, Path: "/healthz", Status: 200}, Timeout: 3 * time.Second, Interval: 10 * time.Millisecond}
	err := waitHealthy(context.Background(), dialOnly{}, "xs-none", h)
	if err == nil || !strings.Contains(err.Error(), "status 500, want 200") || strings.Contains(err.Error(), "deadline") {
		t.Errorf("waitHealthy() = %v, want the last answer (status 500, want 200)", err)
	}
	if n.Load() < 3 {
		t.Errorf("%d probes: the hanging one did not run", n.Load())
	}
}

// TestProbeAtAddressAsksAsLocalhost: a candidate probed at its address
// gets the Host header a check through a published port sends, so a
// service with a Host allow-list passes it as it passes the check after
// the switch.
func TestProbeAtAddressAsksAsLocalhost(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, _ := net.SplitHostPort(r.Host); host != "127.0.0.1" && host != "localhost" {
			w.WriteHeader(http.StatusBadRequest) // as Django's ALLOWED_HOSTS does
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	h := manifest.Health{HTTP: &manifest.HTTPHealth{Port: p, Path: "/healthz", Status: 200}}
	// This machine's other loopback address stands for the container's.
	if err := probeAt(context.Background(), dialOnly{}, "127.0.0.1", h); err != nil {
		t.Fatalf("probeAt(127.0.0.1) = %v", err)
	}
	srv2 := httptest.NewUnstartedServer(srv.Config.Handler)
	var err error
	srv2.Listener, err = net.Listen("tcp", "127.0.0.2:"+port) // all of 127/8 is this machine's on Linux
	if err != nil {
		t.Fatal(err)
	}
	srv2.Start()
	defer srv2.Close()
	if err := probeAt(context.Background(), dialOnly{}, "127.0.0.2", h); err != nil {
		t.Errorf("probeAt(127.0.0.2) = %v, want the Host header of 127.0.0.1", err)
	}
}

// TestWatchProbesSlowlyUntilTheSwitch: while the candidate is checked the
// old container is probed once a second and only the last probe is kept;
// once the switch is near, probes come every interval.
func TestWatchProbesSlowlyUntilTheSwitch(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { n.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	h := manifest.Health{HTTP: &manifest.HTTPHealth{Port: p, Path: "/healthz", Status: 200}}
	w := watchSwitch(context.Background(), dialOnly{}, h, time.Millisecond)
	defer w.end()
	<-w.answered
	time.Sleep(300 * time.Millisecond) // less than watchSlowInterval: no second probe
	if got := n.Load(); got != 1 {
		t.Errorf("%d probes before the switch came near, want 1", got)
	}
	w.closely()
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := n.Load(); got < 20 {
		t.Errorf("%d probes in 10 s after the switch came near, want them every millisecond", got)
	}
}

// TestWatchEndsAtOnce: a probe of the old container that hangs as it
// stops (its connection accepted, never answered) does not hold the
// deploy until the probe's timeout; it counts as not answered.
func TestWatchEndsAtOnce(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 1 {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(hang)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	h := manifest.Health{HTTP: &manifest.HTTPHealth{Port: p, Path: "/healthz", Status: 200}}
	w := watchSwitch(context.Background(), dialOnly{}, h, time.Millisecond)
	<-w.answered
	w.closely()
	for n.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	w.end()
	if took := time.Since(start); took > 800*time.Millisecond { // the probe's own timeout is 1 s
		t.Errorf("end() with a probe under way took %s, want it cut short", took)
	}
	if len(w.probes) != 2 || !w.probes[0].ok || w.probes[1].ok {
		t.Errorf("probes after end() = %+v, want the one answered and the cut one not answered", w.probes)
	}
}
