package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultHost is the engine's address when DOCKER_HOST is not set.
const DefaultHost = "unix:///var/run/docker.sock"

// MaxAPIVersion is the highest Engine API version the client speaks; with
// an older engine it speaks the engine's.
const MaxAPIVersion = "1.44"

// fallbackVersion is what an engine that names no version speaks.
const fallbackVersion = "1.24"

// Client talks to one Docker Engine. It is safe for concurrent use.
type Client struct {
	host   string // as given, for messages
	scheme string // http or https
	addr   string // the URL's host: the TCP address, or a placeholder for a socket
	dial   func(ctx context.Context) (net.Conn, error)
	tls    *tls.Config
	http   *http.Client

	mu      sync.Mutex
	version string // negotiated or pinned; "" until then
	pinned  bool
}

// FromEnv returns a client of the engine the docker CLI would reach:
// DOCKER_HOST, else the docker context DOCKER_CONTEXT or the config's
// currentContext names, else [DefaultHost]. DOCKER_CERT_PATH and
// DOCKER_TLS_VERIFY configure TLS for a tcp:// DOCKER_HOST, a context's
// own TLS files for its host, and DOCKER_API_VERSION pins the API version,
// as they do for the docker CLI. Nothing is sent until the first call.
func FromEnv() (*Client, error) {
	return fromEnv(os.Getenv)
}

func fromEnv(getenv func(string) string) (*Client, error) {
	ep, err := resolveEndpoint(getenv)
	if err != nil {
		return nil, err
	}
	var tc *tls.Config
	switch {
	case ep.context == "" && getenv("DOCKER_CERT_PATH") != "":
		if tc, err = loadTLS(getenv("DOCKER_CERT_PATH"), getenv("DOCKER_TLS_VERIFY") != "", true, "DOCKER_CERT_PATH"); err != nil {
			return nil, err
		}
	case ep.tlsDir != "":
		if tc, err = loadTLS(ep.tlsDir, !ep.skipTLS, false, fmt.Sprintf("docker context %q", ep.context)); err != nil {
			return nil, err
		}
	case ep.skipTLS:
		tc = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true} // #nosec G402 -- the context says SkipTLSVerify, as the docker CLI reads it
	}
	if strings.HasPrefix(ep.host, "unix://") {
		tc = nil // a socket has no TLS; the docker CLI ignores it there too
	}
	c, err := New(ep.host, tc)
	if err != nil {
		if ep.context != "" {
			return nil, fmt.Errorf("docker context %q: %w", ep.context, err)
		}
		return nil, err
	}
	if ep.context != "" {
		c.host = fmt.Sprintf("%s (docker context %q)", ep.host, ep.context)
	}
	if v := getenv("DOCKER_API_VERSION"); v != "" {
		c.version, c.pinned = strings.TrimPrefix(v, "v"), true
	}
	return c, nil
}

// New returns a client of the engine at host, unix:///path or
// tcp://host:port; tc, when not nil, secures a tcp:// connection.
func New(host string, tc *tls.Config) (*Client, error) {
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("docker host %q: %w", host, err)
	}
	c := &Client{host: host, scheme: "http"}
	var d net.Dialer
	switch u.Scheme {
	case "unix":
		path := u.Path
		if path == "" {
			path = u.Opaque
		}
		if path == "" {
			return nil, fmt.Errorf("docker host %q: no socket path", host)
		}
		// The URL's host names nothing for a socket; the engine ignores it.
		c.addr = "docker.sock"
		c.dial = func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "unix", path) }
	case "tcp", "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("docker host %q: no address", host)
		}
		addr := u.Host
		if u.Port() == "" {
			port := "2375"
			if tc != nil || u.Scheme == "https" {
				port = "2376"
			}
			addr = net.JoinHostPort(u.Hostname(), port)
		}
		c.addr = addr
		if u.Scheme == "https" && tc == nil {
			tc = &tls.Config{}
		}
		c.dial = func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	default:
		return nil, fmt.Errorf("docker host %q: unsupported scheme %q (want unix:// or tcp://)", host, u.Scheme)
	}
	if tc != nil {
		c.scheme, c.tls = "https", tc.Clone()
		if c.tls.ServerName == "" {
			c.tls.ServerName, _, _ = net.SplitHostPort(c.addr)
		}
	}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return c.dial(ctx) },
		TLSClientConfig:     c.tls,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
		// Streams (logs, image load) come as they are, not decompressed.
		DisableCompression: true,
	}}
	return c, nil
}

// loadTLS reads ca.pem, cert.pem and key.pem from dir, as the docker CLI
// does; without verify the engine's certificate is not checked. Without
// ca.pem it is checked against the system's roots, unless needCA (as the
// CLI asks of DOCKER_CERT_PATH, not of a context).
func loadTLS(dir string, verify, needCA bool, what string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: !verify} // #nosec G402 -- only when DOCKER_TLS_VERIFY is unset or the context skips verification, as the docker CLI does
	if ca, err := os.ReadFile(filepath.Join(dir, "ca.pem")); err == nil {        // #nosec G703 G304 -- DOCKER_CERT_PATH, as the docker CLI reads it
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("%s: no certificate in %s", what, filepath.Join(dir, "ca.pem"))
		}
		tc.RootCAs = pool
	} else if verify && needCA {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err == nil {
		tc.Certificates = []tls.Certificate{cert}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return tc, nil
}

// Host returns the engine's address as given.
func (c *Client) Host() string { return c.host }

// Close releases the client's idle connections.
func (c *Client) Close() error {
	c.http.CloseIdleConnections()
	return nil
}

// Ping checks that the engine answers and settles the API version: the
// engine's, at most MaxAPIVersion, unless DOCKER_API_VERSION pinned one.
// It returns the version the client speaks.
func (c *Client) Ping(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.scheme+"://"+c.addr+"/_ping", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", c.connErr(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return "", readError(resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	v := resp.Header.Get("API-Version")
	if v == "" {
		v = fallbackVersion
	}
	if versionLess(MaxAPIVersion, v) {
		v = MaxAPIVersion
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pinned {
		c.version = v
	}
	return c.version, nil
}

// Version returns the API version the client speaks, pinging the engine
// first if no call settled it yet.
func (c *Client) Version(ctx context.Context) (string, error) {
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	if v != "" {
		return v, nil
	}
	return c.Ping(ctx)
}

// versionLess tells whether API version a is older than b ("1.41" <
// "1.44" < "1.100").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// ErrNotFound is what errors.Is finds in the engine's 404 answers: no such
// container, exec, image or network.
var ErrNotFound = errors.New("not found")

// ErrConflict is what errors.Is finds in the engine's 409 answers: a name
// in use, an image a container uses.
var ErrConflict = errors.New("conflict")

// Error is an engine's error answer.
type Error struct {
	StatusCode int
	Message    string // the engine's message
}

func (e *Error) Error() string { return "Error response from daemon: " + e.Message }

// Is lets errors.Is tell ErrNotFound and ErrConflict by the status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	}
	return false
}

// readError makes an Error of an answer of status 400 or more; the engine
// sends {"message": ...}, and a proxy may send text.
func readError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var m struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		msg = m.Message
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &Error{StatusCode: resp.StatusCode, Message: msg}
}

// connErr explains a failure to reach the engine; a context's end is
// returned as it is, for callers testing it with errors.Is.
func (c *Client) connErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("docker engine at %s: %w", c.host, ctx.Err())
	}
	return fmt.Errorf("cannot connect to the Docker Engine at %s: %w", c.host, err)
}

// request is one API call: method, path (without the version), query and
// body (JSON-encoded unless an io.Reader).
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	header http.Header
}

// newRequest builds r with the version prefix.
func (c *Client) newRequest(ctx context.Context, r request) (*http.Request, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: c.scheme, Host: c.addr, Path: "/v" + v + r.path}
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	var body io.Reader
	header := http.Header{}
	switch b := r.body.(type) {
	case nil:
	case io.Reader:
		body = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(buf)
		header.Set("Content-Type", "application/json")
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, vs := range r.header {
		header[k] = vs
	}
	req.Header = header
	return req, nil
}

// do sends r and returns the answer of a status below 400; the caller
// closes its body.
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	req, err := c.newRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.connErr(ctx, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, readError(resp)
	}
	return resp, nil
}

// maxAnswer bounds an answer call decodes: the engine may be a device's,
// and a device that is not what it seems must not grow our memory at will.
// A busy engine's image or container list is a few MiB.
const maxAnswer = 64 << 20

// call sends r and decodes the answer's JSON into out, unless out is nil.
func (c *Client) call(ctx context.Context, r request, out any) error {
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s %s: decoding the engine's answer (at most %d MiB): %w", r.method, r.path, maxAnswer>>20, err)
	}
	return nil
}

// labelFilters encodes the filters argument of the list calls: each a
// label key or key=value.
func labelFilters(labels []string) url.Values {
	q := url.Values{}
	if len(labels) > 0 {
		m := map[string]map[string]bool{"label": {}}
		for _, l := range labels {
			m["label"][l] = true
		}
		b, _ := json.Marshal(m)
		q.Set("filters", string(b))
	}
	return q
}
