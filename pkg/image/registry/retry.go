package registry

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RetryReporter receives one call per retry, with its reason, so that a
// command can show it. Libraries never print; the CLI renders these.
type RetryReporter interface {
	// Retrying is called once before each retry is waited for, and once
	// with GiveUp set when the transport stops retrying a request.
	Retrying(Retry)
}

// RetryReporterFunc adapts a function to [RetryReporter].
type RetryReporterFunc func(Retry)

// Retrying implements [RetryReporter].
func (f RetryReporterFunc) Retrying(r Retry) { f(r) }

// Retry describes one retry of one request.
type Retry struct {
	// Method and URL of the request; the URL has no query string, so no
	// upload state or token leaks into a log.
	Method string
	URL    string
	// Attempt is the attempt that failed, from 1.
	Attempt int
	// Reason says why it failed: "429 Too Many Requests",
	// "connection reset by peer", "GHCR secondary rate limit (403)",
	// "response body cut at 1024 of 4096 bytes".
	Reason string
	// Wait is how long the transport waits before the next attempt;
	// RetryAfter tells whether the server chose it with Retry-After.
	Wait       time.Duration
	RetryAfter bool
	// GiveUp is set on the last report of a request that is not retried
	// any more; Reason then says why.
	GiveUp bool
	// Restart is set when a blob upload broke off and starts again from a
	// new upload session (see UploadInterruptedError); Attempt is then 0
	// when the report comes from the restart itself.
	Restart bool
}

// String is the report as one log line.
func (r Retry) String() string {
	if r.Restart {
		if r.Attempt == 0 {
			return r.Reason + "; the blob upload starts again"
		}
		return fmt.Sprintf("%s %s: attempt %d failed: %s; the blob upload starts again", r.Method, r.URL, r.Attempt, r.Reason)
	}
	if r.GiveUp {
		return fmt.Sprintf("%s %s: giving up after attempt %d: %s", r.Method, r.URL, r.Attempt, r.Reason)
	}
	from := ""
	if r.RetryAfter {
		from = " (Retry-After)"
	}
	return fmt.Sprintf("%s %s: attempt %d failed: %s; retrying in %s%s", r.Method, r.URL, r.Attempt, r.Reason, r.Wait.Round(time.Millisecond), from)
}

// RetryOption configures a [RetryTransport].
type RetryOption func(*retryOptions) error

type retryOptions struct {
	maxAttempts int
	maxElapsed  time.Duration
	baseDelay   time.Duration
	maxDelay    time.Duration
	reporter    RetryReporter

	// Test seams.
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time
	jitter func() float64
}

// The retry defaults: up to 8 attempts of one request within 5 minutes,
// waiting 0.5 s, 1 s, 2 s ... up to 30 s between them (each wait between
// half and all of that, at random), or what Retry-After says.
const (
	DefaultMaxAttempts = 8
	DefaultMaxElapsed  = 5 * time.Minute
	DefaultBaseDelay   = 500 * time.Millisecond
	DefaultMaxDelay    = 30 * time.Second
)

func makeRetryOptions(opts ...RetryOption) (*retryOptions, error) {
	o := &retryOptions{
		maxAttempts: DefaultMaxAttempts,
		maxElapsed:  DefaultMaxElapsed,
		baseDelay:   DefaultBaseDelay,
		maxDelay:    DefaultMaxDelay,
		reporter:    RetryReporterFunc(func(Retry) {}),
		sleep:       sleepContext,
		now:         time.Now,
		jitter:      rand.Float64,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.baseDelay > o.maxDelay {
		return nil, fmt.Errorf("base delay %s is longer than the maximum delay %s", o.baseDelay, o.maxDelay)
	}
	return o, nil
}

// WithMaxAttempts bounds the attempts of one request, the first included
// (default [DefaultMaxAttempts]). 1 turns retries off.
func WithMaxAttempts(n int) RetryOption {
	return func(o *retryOptions) error {
		if n < 1 {
			return fmt.Errorf("max attempts %d: want at least 1", n)
		}
		o.maxAttempts = n
		return nil
	}
}

// WithMaxElapsed bounds the total time spent on one request, its waits
// included (default [DefaultMaxElapsed]). A Retry-After beyond it is not
// waited for.
func WithMaxElapsed(d time.Duration) RetryOption {
	return func(o *retryOptions) error {
		if d <= 0 {
			return fmt.Errorf("max elapsed %s: want a positive duration", d)
		}
		o.maxElapsed = d
		return nil
	}
}

// WithBackoff sets the first wait and the longest one; each retry doubles
// the wait, with jitter (defaults [DefaultBaseDelay], [DefaultMaxDelay]).
func WithBackoff(base, max time.Duration) RetryOption {
	return func(o *retryOptions) error {
		if base <= 0 || max <= 0 {
			return fmt.Errorf("backoff %s..%s: want positive durations", base, max)
		}
		o.baseDelay, o.maxDelay = base, max
		return nil
	}
}

// WithRetryReporter sets who hears about retries (default: nobody).
func WithRetryReporter(r RetryReporter) RetryOption {
	return func(o *retryOptions) error {
		if r == nil {
			return errors.New("retry reporter must not be nil")
		}
		o.reporter = r
		return nil
	}
}

// withSleep replaces the wait between attempts. Test seam.
func withSleep(sleep func(context.Context, time.Duration) error, now func() time.Time) RetryOption {
	return func(o *retryOptions) error {
		o.sleep, o.now = sleep, now
		o.jitter = func() float64 { return 1 }
		return nil
	}
}

// RetryTransport is an [http.RoundTripper] that retries what a registry or
// the network reports as temporary: 408, 429, 5xx (but 501 and 505), the
// 403 with "secondary rate limit" GitHub's registry answers when it throttles,
// connection resets, refused connections, early EOFs and timeouts. It waits
// with exponential backoff and jitter, or as long as Retry-After says
// (seconds or an HTTP date), within a bounded total time per request.
//
// A request body is sent again only when the request has GetBody. The data
// requests of a blob upload session (PATCH, and PUT with a body, under
// /blobs/uploads/) are not sent again after a network error, because the
// registry may have kept part of the data: the error is returned as an
// [UploadInterruptedError] and the upload is restarted from a new session
// by the caller (the registry [Client] does that).
//
// A GET response body that ends early (a dropped connection, a truncated
// body) is resumed transparently with a Range request from where it broke,
// so a large blob is not downloaded twice and the caller sees no error.
//
// Every registry call in the toolkit goes through one: see [NewTransport].
type RetryTransport struct {
	inner http.RoundTripper
	o     *retryOptions
}

var _ http.RoundTripper = (*RetryTransport)(nil)

// NewRetryTransport wraps inner (nil means [http.DefaultTransport]).
func NewRetryTransport(inner http.RoundTripper, opts ...RetryOption) (*RetryTransport, error) {
	o, err := makeRetryOptions(opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring retries: %w", err)
	}
	if inner == nil {
		inner = http.DefaultTransport
	}
	return &RetryTransport{inner: inner, o: o}, nil
}

// UploadInterruptedError is a network error in the middle of sending blob
// data to an upload session. The session may hold part of the data, so the
// request is not repeated: the upload has to start again.
type UploadInterruptedError struct {
	Err error
}

func (e *UploadInterruptedError) Error() string {
	return "blob upload interrupted (the upload starts again): " + e.Err.Error()
}

func (e *UploadInterruptedError) Unwrap() error { return e.Err }

// GiveUpError is returned when a request failed with a temporary network
// error on its last allowed attempt.
type GiveUpError struct {
	Method   string
	URL      string
	Attempts int
	Elapsed  time.Duration
	Err      error
}

func (e *GiveUpError) Error() string {
	return fmt.Sprintf("%s %s: giving up after %d attempts in %s: %v", e.Method, e.URL, e.Attempts, e.Elapsed.Round(time.Millisecond), e.Err)
}

func (e *GiveUpError) Unwrap() error { return e.Err }

// RoundTrip implements [http.RoundTripper].
func (t *RetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.roundTrip(req, t.o.now())
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK ||
		resp.ContentLength <= 0 || req.Header.Get("Range") != "" {
		return resp, err
	}
	resp.Body = &resumingBody{t: t, req: req, body: resp.Body, size: resp.ContentLength, etag: resp.Header.Get("ETag"), start: t.o.now()}
	return resp, nil
}

// roundTrip sends req until it succeeds, fails for good or runs out of
// attempts or time; start is when the request was first sent.
func (t *RetryTransport) roundTrip(req *http.Request, start time.Time) (*http.Response, error) {
	uploadData := isUploadData(req)
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			var err error
			if r, err = rewind(req); err != nil {
				return nil, err
			}
		}
		resp, err := t.inner.RoundTrip(r)
		reason, retryAfter, retryable := t.classify(req, resp, err)
		if !retryable {
			return resp, err
		}
		if err != nil && uploadData {
			t.o.reporter.Retrying(Retry{Method: req.Method, URL: redact(req), Attempt: attempt, Reason: reason, Restart: true})
			return nil, &UploadInterruptedError{Err: err}
		}
		wait, fromServer := t.delay(attempt, retryAfter)
		elapsed := t.o.now().Sub(start)
		giveUp := ""
		switch {
		case attempt >= t.o.maxAttempts:
			giveUp = fmt.Sprintf("%s (%d attempts)", reason, attempt)
		case elapsed+wait > t.o.maxElapsed:
			giveUp = fmt.Sprintf("%s (waiting %s more would pass the %s limit)", reason, wait.Round(time.Millisecond), t.o.maxElapsed)
		case req.Body != nil && req.Body != http.NoBody && req.GetBody == nil:
			giveUp = reason + " (the request body cannot be sent again)"
		}
		if giveUp != "" {
			t.report(req, attempt, giveUp, 0, false, true)
			if err != nil {
				return nil, &GiveUpError{Method: req.Method, URL: redact(req), Attempts: attempt, Elapsed: elapsed, Err: err}
			}
			return resp, nil
		}
		if resp != nil {
			drain(resp.Body)
		}
		t.report(req, attempt, reason, wait, fromServer, false)
		if err := t.o.sleep(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

func (t *RetryTransport) report(req *http.Request, attempt int, reason string, wait time.Duration, retryAfter, giveUp bool) {
	t.o.reporter.Retrying(Retry{
		Method: req.Method, URL: redact(req), Attempt: attempt, Reason: reason,
		Wait: wait, RetryAfter: retryAfter, GiveUp: giveUp,
	})
}

// delay is how long to wait after the attempt failed: Retry-After when the
// server sent it, else base·2^(attempt-1) capped, between half and all of it.
func (t *RetryTransport) delay(attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if retryAfter > 0 {
		return retryAfter, true
	}
	d := t.o.baseDelay
	for i := 1; i < attempt && d < t.o.maxDelay; i++ {
		d *= 2
	}
	d = min(d, t.o.maxDelay)
	return d/2 + time.Duration(t.o.jitter()*float64(d/2)), false
}

// secondaryRateLimit is what GitHub says in the body of a 403 that is a
// throttle, not a permission problem.
const secondaryRateLimit = "secondary rate limit"

// classify tells whether a response or error is worth another attempt,
// with a short reason and the server's Retry-After.
func (t *RetryTransport) classify(req *http.Request, resp *http.Response, err error) (reason string, retryAfter time.Duration, retry bool) {
	if err != nil {
		if req.Context().Err() != nil {
			return "", 0, false
		}
		reason, ok := temporaryError(err)
		return reason, 0, ok
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests,
		code >= 500 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported:
	case code == http.StatusForbidden:
		// Read a bounded prefix of the body, and put it back.
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
		if !strings.Contains(strings.ToLower(string(head)), secondaryRateLimit) {
			return "", 0, false
		}
		return "GHCR secondary rate limit (403)", t.retryAfter(resp), true
	default:
		return "", 0, false
	}
	return fmt.Sprintf("%d %s", code, http.StatusText(code)), t.retryAfter(resp), true
}

// retryAfter reads Retry-After in seconds or as an HTTP date; 0 if absent.
func (t *RetryTransport) retryAfter(resp *http.Response) time.Duration {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if when, err := http.ParseTime(v); err == nil {
		if d := when.Sub(t.o.now()); d > 0 {
			return d
		}
		// A date in the past means now; wait a little anyway.
		return time.Millisecond
	}
	return 0
}

// temporaryError classifies a transport error: resets, refusals, early
// EOFs and timeouts are temporary; certificate errors, unknown hosts and
// the caller's cancellation are not.
func temporaryError(err error) (string, bool) {
	var (
		certErr   *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		recErr    tls.RecordHeaderError
		dnsErr    *net.DNSError
		netErr    net.Error
	)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "", false
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &recErr):
		return "", false
	case errors.As(err, &dnsErr):
		return "DNS lookup failed", dnsErr.IsTemporary || dnsErr.IsTimeout
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", true
	case errors.Is(err, syscall.ECONNABORTED):
		return "connection aborted", true
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe", true
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed early (EOF)", true
	case errors.Is(err, net.ErrClosed):
		return "connection closed", true
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout", true
	}
	// net/http reports a connection the server closed without an answer in
	// words only.
	msg := err.Error()
	for _, s := range []string{"server closed", "connection broken", "EOF", "connection reset"} {
		if strings.Contains(msg, s) {
			return "connection closed early: " + msg, true
		}
	}
	return "", false
}

// isUploadData tells the requests that carry blob data into an upload
// session: repeating one after a network error may append data twice.
func isUploadData(req *http.Request) bool {
	if !strings.Contains(req.URL.Path, "/blobs/uploads/") {
		return false
	}
	hasBody := req.Body != nil && req.Body != http.NoBody && req.ContentLength != 0
	return req.Method == http.MethodPatch || (req.Method == http.MethodPut && hasBody)
}

// rewind returns a copy of req with a fresh body for another attempt.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return r, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("rewinding request body: %w", err)
	}
	r.Body = body
	return r, nil
}

// redact is the request's URL without query or credentials.
func redact(req *http.Request) string {
	u := *req.URL
	u.RawQuery, u.User, u.Fragment = "", nil, ""
	return u.String()
}

// drain reads a bit of a body we discard so its connection can be reused.
func drain(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

func sleepContext(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// resumingBody is a GET response body that, when it breaks before its
// Content-Length, asks for the rest with a Range request and goes on.
type resumingBody struct {
	t       *RetryTransport
	req     *http.Request
	body    io.ReadCloser
	size    int64
	read    int64
	etag    string
	start   time.Time
	resumes int
}

func (b *resumingBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.read += int64(n)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, io.EOF) && b.read >= b.size:
		return n, err
	}
	if rerr := b.resume(err); rerr != nil {
		return n, err
	}
	if n > 0 {
		return n, nil
	}
	return b.Read(p)
}

// resume replaces the broken body by the rest of the content.
func (b *resumingBody) resume(cause error) error {
	reason, ok := temporaryError(cause)
	if !ok || b.req.Context().Err() != nil {
		return cause
	}
	b.resumes++
	reason = fmt.Sprintf("response body cut at %d of %d bytes (%s)", b.read, b.size, reason)
	if b.resumes >= b.t.o.maxAttempts || b.t.o.now().Sub(b.start) > b.t.o.maxElapsed {
		b.t.report(b.req, b.resumes, reason, 0, false, true)
		return cause
	}
	b.t.report(b.req, b.resumes, reason+"; resuming", 0, false, false)
	_ = b.body.Close()
	r := b.req.Clone(b.req.Context())
	r.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", b.read, b.size-1))
	if b.etag != "" {
		r.Header.Set("If-Range", b.etag)
	}
	resp, err := b.t.roundTrip(r, b.start)
	if err != nil {
		b.body = io.NopCloser(errReader{err})
		return err
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent && strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", b.read)):
		b.body = resp.Body
		return nil
	case resp.StatusCode == http.StatusOK:
		// The server ignored the range: skip what we have.
		if _, err := io.CopyN(io.Discard, resp.Body, b.read); err != nil {
			_ = resp.Body.Close()
			return err
		}
		b.body = resp.Body
		return nil
	}
	drain(resp.Body)
	err = fmt.Errorf("resuming %s: %s", redact(b.req), resp.Status)
	b.body = io.NopCloser(errReader{err})
	return err
}

func (b *resumingBody) Close() error { return b.body.Close() }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
