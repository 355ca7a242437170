package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Both proxies count what goes through them, so that the figures are what
// went over the wire whatever the tools say of themselves.

// regCounts is what a registryProxy saw since its last reset.
type regCounts struct {
	Uploads   int   // blob uploads completed (PUT, or a monolithic POST)
	Mounts    int   // blobs mounted from another repository
	Manifests int   // manifests written
	Bytes     int64 // request body bytes of blob uploads
	Requests  int   // HTTP requests of any kind
}

// registryProxy is a reverse proxy in front of a registry that counts blob
// uploads. It keeps the Host header, so the registry's Location headers
// point back at the proxy.
//
// It also turns cross-repository mounts into plain uploads, by dropping
// mount, from and origin from the request that opens an upload: both tools
// ask the destination to mount each blob from the source repository (even
// when the registry names differ, as go-containerregistry does), and since
// both repositories are in the same registry it would. Through the proxy
// every push uploads what the destination repository lacks, as a copy
// between two registries must.
type registryProxy struct {
	Addr string
	mu   sync.Mutex
	c    regCounts
	srv  *http.Server
}

func newRegistryProxy(target string) (*registryProxy, error) {
	return newSlowRegistryProxy(target, 0)
}

// newSlowRegistryProxy is a registryProxy that answers each request after
// delay, as a registry across a network does.
func newSlowRegistryProxy(target string, delay time.Duration) (*registryProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting a counting proxy for %s: %w", target, err)
	}
	p := &registryProxy{Addr: ln.Addr().String()}
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		upload := strings.Contains(r.URL.Path, "/blobs/uploads/")
		if q := r.URL.Query(); upload && r.Method == http.MethodPost && q.Has("mount") {
			q.Del("mount")
			q.Del("from")
			q.Del("origin")
			r.URL.RawQuery = q.Encode()
		}
		var n atomic.Int64
		if upload && r.Body != nil {
			r.Body = countingReadCloser{r.Body, &n}
		}
		sw := &statusWriter{ResponseWriter: w}
		rp.ServeHTTP(sw, r)
		q := r.URL.Query()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.c.Bytes += n.Load()
		p.c.Requests++
		created := sw.status == http.StatusCreated
		switch {
		case upload && created && r.Method == http.MethodPut:
			p.c.Uploads++
		case upload && created && r.Method == http.MethodPost && q.Get("mount") != "":
			p.c.Mounts++
		case upload && created && r.Method == http.MethodPost && q.Get("digest") != "":
			p.c.Uploads++
		case created && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/"):
			p.c.Manifests++
		}
	}), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// take returns the counts since the last take and starts afresh.
func (p *registryProxy) take() regCounts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.c
	p.c = regCounts{}
	return c
}

func (p *registryProxy) Close() { p.srv.Close() }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type countingReadCloser struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingReadCloser) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// tcpProxy forwards connections to one address and counts the bytes each
// way: put between an SSH client and an sshd, it measures what a deploy
// sends, SSH framing and all.
type tcpProxy struct {
	Addr     string
	target   string
	ln       net.Listener
	up, down atomic.Int64 // client to target, target to client
	active   atomic.Int64 // connections open
	mu       sync.Mutex
	conns    map[net.Conn]bool
}

func newTCPProxy(target string) (*tcpProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting a counting proxy for %s: %w", target, err)
	}
	p := &tcpProxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]bool{}}
	go p.serve()
	return p, nil
}

func (p *tcpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.active.Add(1)
		go p.handle(c)
	}
}

func (p *tcpProxy) handle(c net.Conn) {
	defer p.active.Add(-1)
	t, err := net.DialTimeout("tcp", p.target, 10*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.track(c, t, true)
	defer p.track(c, t, false)
	var wg sync.WaitGroup
	pipe := func(dst, src net.Conn, n *atomic.Int64) {
		defer wg.Done()
		io.Copy(writerFunc(func(b []byte) (int, error) {
			w, err := dst.Write(b)
			n.Add(int64(w))
			return w, err
		}), src)
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}
	wg.Add(2)
	go pipe(t, c, &p.up)
	go pipe(c, t, &p.down)
	wg.Wait()
	c.Close()
	t.Close()
}

func (p *tcpProxy) track(c, t net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c], p.conns[t] = true, true
	} else {
		delete(p.conns, c)
		delete(p.conns, t)
	}
}

// take waits (a little) for the connections of the run just finished to
// close, then returns the bytes sent each way since the last take.
func (p *tcpProxy) take() (up, down int64, err error) {
	for deadline := time.Now().Add(5 * time.Second); p.active.Load() > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			err = errors.New("a connection through the counting proxy stayed open after its run")
			break
		}
	}
	return p.up.Swap(0), p.down.Swap(0), err
}

func (p *tcpProxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
