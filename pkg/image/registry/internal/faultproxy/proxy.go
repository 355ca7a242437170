package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// Fault is what the proxy does to a request a rule matches.
type Fault int

// The faults.
const (
	// DropBeforeForward reads the request and closes the connection
	// without forwarding it or answering.
	DropBeforeForward Fault = iota + 1
	// DropAfterForward forwards the request, so the registry acts on it,
	// then closes the connection without answering.
	DropAfterForward
	// TooManyRequests answers 429 with the rule's Retry-After.
	TooManyRequests
	// Unavailable answers 503.
	Unavailable
	// SecondaryRateLimit answers 403 with GitHub's "secondary rate limit"
	// message and the rule's Retry-After.
	SecondaryRateLimit
	// TruncateBody forwards the request and sends half of the response
	// body under the full Content-Length, then closes the connection.
	TruncateBody
)

func (f Fault) String() string {
	switch f {
	case DropBeforeForward:
		return "drop-before-forward"
	case DropAfterForward:
		return "drop-after-forward"
	case TooManyRequests:
		return "429"
	case Unavailable:
		return "503"
	case SecondaryRateLimit:
		return "403-secondary-rate-limit"
	case TruncateBody:
		return "truncate-body"
	}
	return fmt.Sprintf("fault(%d)", int(f))
}

// Rule injects Fault into the requests Match selects.
type Rule struct {
	// Match selects requests; nil selects all. See the Is* helpers.
	Match func(*http.Request) bool
	Fault Fault
	// Every faults one matching request in Every (default 1: each);
	// Times bounds how many are faulted (0: no bound).
	Every int
	Times int
	// RetryAfter is the Retry-After header of 429 and 403 answers.
	RetryAfter string

	seen, faulted int
}

// Request classes, the keys of Stats.Requests.
const (
	ClassBlobHead     = "blob-head"
	ClassBlobGet      = "blob-get"
	ClassUploadStart  = "upload-start"
	ClassUploadPatch  = "upload-patch"
	ClassUploadPut    = "upload-put"
	ClassManifestHead = "manifest-head"
	ClassManifestGet  = "manifest-get"
	ClassManifestPut  = "manifest-put"
	ClassOther        = "other"
)

// classes tell registry requests apart by a part of the path, the first
// that matches deciding, and then by the method.
var classes = []struct {
	part     string
	byMethod map[string]string
}{
	{"/blobs/uploads/", map[string]string{http.MethodPost: ClassUploadStart, http.MethodPatch: ClassUploadPatch, http.MethodPut: ClassUploadPut}},
	{"/blobs/", map[string]string{http.MethodHead: ClassBlobHead, http.MethodGet: ClassBlobGet}},
	{"/manifests/", map[string]string{http.MethodHead: ClassManifestHead, http.MethodGet: ClassManifestGet, http.MethodPut: ClassManifestPut}},
}

// Class is the kind of a registry request.
func Class(r *http.Request) string {
	for _, c := range classes {
		if strings.Contains(r.URL.Path, c.part) {
			if class, ok := c.byMethod[r.Method]; ok {
				return class
			}
			break
		}
	}
	return ClassOther
}

// Is returns a matcher of the requests of one class.
func Is(class string) func(*http.Request) bool {
	return func(r *http.Request) bool { return Class(r) == class }
}

// Stats counts what went through the proxy.
type Stats struct {
	// Requests by class, faulted ones included.
	Requests map[string]int
	// Faults by kind.
	Faults map[string]int
	// BlobsUploaded counts blob uploads the registry committed (PUT 201),
	// BlobsMounted cross-repository mounts (POST 201), UploadedBytes the
	// bytes of PATCH and PUT bodies forwarded to upload sessions.
	BlobsUploaded int
	BlobsMounted  int
	UploadedBytes int64
}

// Proxy is a running fault-injecting reverse proxy.
type Proxy struct {
	// URL is the proxy's base URL, Host its host:port.
	URL  string
	Host string

	srv      *httptest.Server
	upstream *url.URL
	rp       *httputil.ReverseProxy

	mu    sync.Mutex
	rules []*Rule
	stats Stats
}

// errDrop asks the error handler to close the connection.
var errDrop = errors.New("faultproxy: dropping the connection")

// New starts a proxy in front of upstream (a base URL such as
// http://127.0.0.1:5000) with rules; Close stops it.
func New(upstream string, rules ...Rule) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("parsing upstream: %w", err)
	}
	p := &Proxy{upstream: u, stats: Stats{Requests: map[string]int{}, Faults: map[string]int{}}}
	p.SetRules(rules...)
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		ModifyResponse: p.modify,
		ErrorLog:       log.New(io.Discard, "", 0),
		// Flush every write, so a truncated body reaches the client after
		// its headers instead of vanishing with an aborted buffer.
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, errDrop) {
				hangUp(w)
				return
			}
			http.Error(w, err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	p.Host = strings.TrimPrefix(p.srv.URL, "http://")
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }

// SetRules replaces the rules and their counters.
func (p *Proxy) SetRules(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
	for _, r := range rules {
		r := r
		if r.Every <= 0 {
			r.Every = 1
		}
		p.rules = append(p.rules, &r)
	}
}

// Stats returns a copy of the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Requests, s.Faults = map[string]int{}, map[string]int{}
	for k, v := range p.stats.Requests {
		s.Requests[k] = v
	}
	for k, v := range p.stats.Faults {
		s.Faults[k] = v
	}
	return s
}

// ResetStats zeroes the counters.
func (p *Proxy) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats = Stats{Requests: map[string]int{}, Faults: map[string]int{}}
}

type faultKey struct{}

// pick counts the request and returns the fault to inject, if any.
func (p *Proxy) pick(r *http.Request) (Fault, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Requests[Class(r)]++
	for _, rule := range p.rules {
		if rule.Match != nil && !rule.Match(r) {
			continue
		}
		if rule.Times > 0 && rule.faulted >= rule.Times {
			continue
		}
		rule.seen++
		if rule.seen%rule.Every != 0 {
			continue
		}
		rule.faulted++
		p.stats.Faults[rule.Fault.String()]++
		return rule.Fault, rule.RetryAfter
	}
	return 0, ""
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	fault, retryAfter := p.pick(r)
	switch fault {
	case DropBeforeForward:
		_, _ = io.Copy(io.Discard, r.Body)
		hangUp(w)
		return
	case TooManyRequests, SecondaryRateLimit, Unavailable:
		_, _ = io.Copy(io.Discard, r.Body)
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		switch fault {
		case TooManyRequests:
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`)
		case SecondaryRateLimit:
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"errors":[{"code":"DENIED","message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}]}`)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"errors":[{"code":"UNAVAILABLE","message":"try again later"}]}`)
		}
		return
	}
	cls := Class(r)
	if cls == ClassUploadPatch || cls == ClassUploadPut {
		r.Body = &countingBody{ReadCloser: r.Body, p: p}
	}
	if fault != 0 {
		r = r.WithContext(contextWithFault(r, fault))
	}
	p.rp.ServeHTTP(w, r)
}

func (p *Proxy) modify(resp *http.Response) error {
	req := resp.Request
	if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, p.upstream.String()) {
		resp.Header.Set("Location", p.URL+strings.TrimPrefix(loc, p.upstream.String()))
	}
	p.mu.Lock()
	switch Class(req) {
	case ClassUploadPut:
		if resp.StatusCode == http.StatusCreated {
			p.stats.BlobsUploaded++
		}
	case ClassUploadStart:
		if resp.StatusCode == http.StatusCreated && req.URL.Query().Get("mount") != "" {
			p.stats.BlobsMounted++
		}
	}
	p.mu.Unlock()
	switch faultOf(req) {
	case DropAfterForward:
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return errDrop
	case TruncateBody:
		if resp.ContentLength > 1 {
			resp.Body = &truncated{ReadCloser: resp.Body, left: resp.ContentLength / 2}
		}
	}
	return nil
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close() // the fault is the dropped connection itself
}

// truncated yields left bytes and then fails, so the reverse proxy aborts
// the connection under the full Content-Length.
type truncated struct {
	io.ReadCloser
	left int64
}

var errTruncated = errors.New("faultproxy: truncating the body")

func (t *truncated) Read(b []byte) (int, error) {
	if t.left <= 0 {
		return 0, errTruncated
	}
	if int64(len(b)) > t.left {
		b = b[:t.left]
	}
	n, err := t.ReadCloser.Read(b)
	t.left -= int64(n)
	return n, err
}

type countingBody struct {
	io.ReadCloser
	p *Proxy
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.p.mu.Lock()
	c.p.stats.UploadedBytes += int64(n)
	c.p.mu.Unlock()
	return n, err
}

func contextWithFault(r *http.Request, f Fault) context.Context {
	return context.WithValue(r.Context(), faultKey{}, f)
}

func faultOf(r *http.Request) Fault {
	f, _ := r.Context().Value(faultKey{}).(Fault)
	return f
}
