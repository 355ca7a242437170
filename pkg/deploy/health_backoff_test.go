package deploy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

func TestNextWait(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	w := time.Duration(0)
	for range 6 {
		w = nextWait(w, 200*time.Millisecond)
		got = append(got, w)
	}
	want := []time.Duration{25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if got := nextWait(0, 10*time.Millisecond); got != 10*time.Millisecond {
		t.Errorf("nextWait(0, 10ms) = %v, want the interval when it is shorter", got)
	}
}

// countingRuns answers waitHealthy's inspections (a running container)
// and counts them; dials go to this machine.
type countingRuns struct {
	localConn
	runs atomic.Int32
}

func (c *countingRuns) Run(context.Context, string, io.Reader) (string, error) {
	c.runs.Add(1)
	return `[{"Id":"x","State":{"Running":true,"Status":"running"}}]`, nil
}

// TestHealthQuickFirstProbes: a service that answers on the third probe
// passes within the quick first probes (25 + 50 ms), not after the
// check's interval (an hour here), and the engine is asked whether the
// container still runs before each probe.
func TestHealthQuickFirstProbes(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	h := manifest.Health{HTTP: &manifest.HTTPHealth{Port: p, Path: "/", Status: 200}, Timeout: time.Minute, Interval: time.Hour}
	c := &countingRuns{}
	if err := waitHealthy(context.Background(), c, "xs-quick", h); err != nil {
		t.Fatalf("waitHealthy() = %v", err)
	}
	if got := n.Load(); got != 3 {
		t.Errorf("%d probes, want 3", got)
	}
	if got := c.runs.Load(); got != 3 {
		t.Errorf("%d inspections, want one per probe (3)", got)
	}
}

// TestServes: a port whose connections are closed at once (the engine's
// proxy with nothing behind it) does not serve; one that keeps them open,
// or speaks first, does.
func TestServes(t *testing.T) {
	t.Parallel()
	listen := func(handle func(net.Conn)) int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go handle(c)
			}
		}()
		return l.Addr().(*net.TCPAddr).Port
	}
	closes := listen(func(c net.Conn) { c.Close() })
	holds := listen(func(c net.Conn) { time.Sleep(time.Second); c.Close() })
	speaks := listen(func(c net.Conn) { io.WriteString(c, "220 ready\r\n"); time.Sleep(time.Second); c.Close() })
	ctx := context.Background()
	if err := serves(ctx, localConn{}, closes); err == nil {
		t.Error("serves(a port that closes at once) = nil, want an error")
	}
	if err := serves(ctx, localConn{}, holds); err != nil {
		t.Errorf("serves(a port that keeps the connection) = %v", err)
	}
	if err := serves(ctx, localConn{}, speaks); err != nil {
		t.Errorf("serves(a port that speaks first) = %v", err)
	}
}
