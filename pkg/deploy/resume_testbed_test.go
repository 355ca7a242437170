package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/testbed"
)

// cutProxy forwards TCP connections to target and breaks the first one
// after cutAfter bytes from the client; with refuse set it then breaks
// every later one at once, as an edge whose link went down.
type cutProxy struct {
	ln       net.Listener
	target   string
	cutAfter int64
	refuse   bool
	cut      atomic.Bool
	conns    atomic.Int32
	wg       sync.WaitGroup

	mu   sync.Mutex
	from []string          // the clients' addresses
	open map[net.Conn]bool // the clients' connections being forwarded
}

func newCutProxy(t *testing.T, target string, cutAfter int64, refuse bool) *cutProxy {
	t.Helper()
	return newProxyOn(t, "127.0.0.1:0", target, cutAfter, refuse)
}

func newProxyOn(t *testing.T, listen, target string, cutAfter int64, refuse bool) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, cutAfter: cutAfter, refuse: refuse}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

// breakAll breaks every connection being forwarded, as a link that went
// down for a moment: later connections go through.
func (p *cutProxy) breakAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.open {
		_ = c.Close()
	}
}

func (p *cutProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		p.mu.Lock()
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		p.from = append(p.from, host)
		p.mu.Unlock()
		if p.cut.Load() && p.refuse {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.open == nil {
			p.open = map[net.Conn]bool{}
		}
		p.open[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() { p.mu.Lock(); delete(p.open, c); p.mu.Unlock() }()
			p.forward(c)
		}()
	}
}

func (p *cutProxy) forward(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	armed := !p.cut.Load()
	done := make(chan struct{}, 2)
	go func() { io.Copy(c, s); done <- struct{}{} }()
	go func() {
		var n int64
		buf := make([]byte, 32<<10)
		for {
			k, err := c.Read(buf)
			if k > 0 {
				if armed && n+int64(k) > p.cutAfter && p.cut.CompareAndSwap(false, true) {
					s.Write(buf[:p.cutAfter-n])
					break
				}
				n += int64(k)
				if _, werr := s.Write(buf[:k]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		done <- struct{}{}
	}()
	<-done
}

// throughProxy is edge e as reached through a proxy on this machine.
func throughProxy(e testbed.Edge, port int) testbed.Edge {
	_, key, _ := strings.Cut(e.KnownHosts, " ")
	e.Addr, e.SSHPort = "127.0.0.1", port
	e.KnownHosts = fmt.Sprintf("[127.0.0.1]:%d %s", port, key)
	return e
}

// TestBedDeployBrokenConnection breaks the SSH connection in the middle of
// a transfer. When the host stays unreachable the deploy fails with exit 1
// and the host is as before: the service kept answering from the same
// container, no part of the new image is in its engine, and no temporary
// file is left. When the host comes back the transfer starts over and the
// deploy completes.
func TestBedDeployBrokenConnection(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge := env.Edges[0]
	v1ref := pushHello(t, env)
	layer := randomLayer(t, 1<<20)
	var v2cfg v1.Hash
	v2ref := derive(t, env, v1ref, func(p string, img v1.Image) v1.Image {
		img, err := mutate.AppendLayers(img, layer)
		if err != nil {
			t.Fatal(err)
		}
		if p == edge.Platform {
			v2cfg, _ = img.ConfigName()
		}
		return img
	})
	service := "xt-broken-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	ctx := context.Background()
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	direct := bedManifest(t, env, service, port, health, []testbed.Edge{edge}, "")
	if _, err := Deploy(ctx, direct, WithImage(v1ref), WithNameOptions(name.Insecure), WithDeployID("xt-broken-1")); err != nil {
		t.Fatalf("Deploy(v1) = %v", err)
	}
	state := func() string {
		out, err := edgeRun(t, edge, "docker inspect --format '{{.Id}} {{.State.StartedAt}} {{.State.Running}}' "+service)
		if err != nil {
			t.Fatalf("inspecting %s: %v", service, err)
		}
		return out
	}
	before := state()
	tempFiles := func() string {
		out, _ := edgeRun(t, edge, "ls -a /var/tmp /tmp | grep -F "+service+" || true")
		return out
	}

	// The link goes down 512 KiB into the 1 MiB layer and stays down.
	p := newCutProxy(t, edge.SSHAddr(), 512<<10, true)
	m := bedManifest(t, env, service, port, health, []testbed.Edge{throughProxy(edge, p.port())}, "")
	var misses atomic.Int32
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from "+edge.Platform {
				misses.Add(1)
			}
		}
	}()
	rep, err := Deploy(ctx, m, WithImage(v2ref), WithNameOptions(name.Insecure), WithDeployID("xt-broken-2"))
	close(stop)
	wg.Wait()
	var fe *FailedError
	if !errors.As(err, &fe) || exitcode.Of(err) != 1 {
		t.Fatalf("Deploy(link down) = %v (exit %d), want a failed host with exit 1", err, exitcode.Of(err))
	}
	h := rep.Hosts[0]
	t.Logf("link down: %s after %d bytes, %d connection(s): %s", h.Result, h.BytesSent, p.conns.Load(), h.Error)
	if !p.cut.Load() || p.conns.Load() != 3 || h.Result != ResultFailed || h.RolledBack || h.BytesSent < 512<<10-64<<10 || h.BytesSent > 1<<20+16<<10 || !strings.Contains(h.Error, "gave up after 3 attempts") {
		t.Errorf("link down: report %+v, cut %v", h, p.cut.Load())
	}
	if n := misses.Load(); n > 0 {
		t.Errorf("the service did not answer %d time(s) during the broken deploy", n)
	}
	if after := state(); after != before {
		t.Errorf("the service's container changed: %q, was %q", after, before)
	}
	if out, err := edgeRun(t, edge, "docker image inspect --format '{{.Id}}' "+v2cfg.String()); err == nil {
		t.Errorf("the new image is in the engine after the broken transfer: %s", out)
	}
	if out, _ := edgeRun(t, edge, "docker images --format '{{.Repository}}:{{.Tag}}' | grep -c '^xedgesim.local/"+service+":' || true"); out != "1" {
		t.Errorf("images of the service on the host: %s, want only the old one", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for tempFiles() != "" && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if left := tempFiles(); left != "" {
		t.Errorf("temporary files left on the host: %s", left)
	}

	// The link breaks once, then works: the transfer starts over.
	p = newCutProxy(t, edge.SSHAddr(), 512<<10, false)
	m = bedManifest(t, env, service, port, health, []testbed.Edge{throughProxy(edge, p.port())}, "")
	rep, err = Deploy(ctx, m, WithImage(v2ref), WithNameOptions(name.Insecure), WithDeployID("xt-broken-3"))
	if err != nil {
		t.Fatalf("Deploy(link back) = %v", err)
	}
	h = rep.Hosts[0]
	t.Logf("link back: %s after %d bytes, %d connection(s)", h.Result, h.BytesSent, p.conns.Load())
	if !p.cut.Load() || h.Result != ResultDeployed || p.conns.Load() != 2 || h.BytesSent < 1<<20+512<<10-64<<10 {
		t.Errorf("link back: report %+v, cut %v, %d connections", h, p.cut.Load(), p.conns.Load())
	}
	if _, err := Verify(ctx, direct, WithImage(v2ref), WithNameOptions(name.Insecure)); err != nil {
		t.Errorf("Verify(v2) = %v", err)
	}
	if left := tempFiles(); left != "" {
		t.Errorf("temporary files left on the host: %s", left)
	}
}

// TestBedDeployCancelledInTransfer cancels a deploy (Ctrl-C) in the middle
// of the image transfer: the deploy returns, and the host keeps its service
// with no new image and no temporary file.
func TestBedDeployCancelledInTransfer(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge := env.Edges[1]
	v1ref := pushHello(t, env)
	layer := randomLayer(t, 4<<20)
	var v2cfg v1.Hash
	v2ref := derive(t, env, v1ref, func(p string, img v1.Image) v1.Image {
		img, err := mutate.AppendLayers(img, layer)
		if err != nil {
			t.Fatal(err)
		}
		if p == edge.Platform {
			v2cfg, _ = img.ConfigName()
		}
		return img
	})
	service := "xt-cancel-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	m := bedManifest(t, env, service, port, health, []testbed.Edge{edge}, "")
	if _, err := Deploy(context.Background(), m, WithImage(v1ref), WithNameOptions(name.Insecure), WithDeployID("xt-cancel-1")); err != nil {
		t.Fatalf("Deploy(v1) = %v", err)
	}
	before, err := edgeRun(t, edge, "docker inspect --format '{{.Id}} {{.State.StartedAt}} {{.State.Running}}' "+service)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := ProgressFunc(func(e Event) {
		if e.Step == "transfer" && e.Total > 0 && e.Bytes > e.Total/4 {
			cancel()
		}
	})
	start := time.Now()
	rep, err := Deploy(ctx, m, WithImage(v2ref), WithNameOptions(name.Insecure), WithDeployID("xt-cancel-2"), WithProgress(progress))
	if err == nil || ctx.Err() == nil {
		t.Fatalf("Deploy(cancelled) = %v, want an error after the cancel", err)
	}
	if h := rep.Hosts[0]; h.Result != ResultFailed || !errors.Is(h.err, context.Canceled) {
		t.Errorf("cancelled host: %s, %v; want failed with context.Canceled", h.Result, h.err)
	}
	t.Logf("cancelled deploy returned after %s: %v", time.Since(start).Round(time.Millisecond), err)
	if after, err := edgeRun(t, edge, "docker inspect --format '{{.Id}} {{.State.StartedAt}} {{.State.Running}}' "+service); err != nil || after != before {
		t.Errorf("the service changed: %q, was %q (%v)", after, before, err)
	}
	if out, err := edgeRun(t, edge, "docker image inspect --format '{{.Id}}' "+v2cfg.String()); err == nil {
		t.Errorf("the new image is in the engine after the cancel: %s", out)
	}
	var left string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if left, _ = edgeRun(t, edge, "ls -a /var/tmp /tmp | grep -F "+service+" || true"); left == "" {
			break
		}
	}
	if left != "" {
		t.Errorf("temporary files left on the host: %s", left)
	}
}
