package registry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// step is what the scripted server does for one attempt.
type step struct {
	status     int
	retryAfter string
	body       string
	drop       bool // close the connection without an answer
	truncate   bool // send half the body under the full Content-Length
}

// script serves the steps in order, then 200 "ok" forever, recording the
// request bodies it got.
type script struct {
	mu     sync.Mutex
	steps  []step
	n      int
	bodies []string
	ranges []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	st := step{status: http.StatusOK, body: "0123456789abcdef"}
	if s.n < len(s.steps) {
		st = s.steps[s.n]
	}
	s.n++
	s.mu.Unlock()
	if st.drop {
		hj, _ := w.(http.Hijacker)
		c, _, _ := hj.Hijack()
		c.Close()
		return
	}
	if st.retryAfter != "" {
		w.Header().Set("Retry-After", st.retryAfter)
	}
	body := st.body
	if rg := r.Header.Get("Range"); rg != "" && st.status == http.StatusOK {
		var from, to int
		_, _ = fmtSscanf(rg, &from, &to)
		w.Header().Set("Content-Range", "bytes "+strconv.Itoa(from)+"-"+strconv.Itoa(to)+"/"+strconv.Itoa(len(body)))
		w.Header().Set("Content-Length", strconv.Itoa(to-from+1))
		w.WriteHeader(http.StatusPartialContent)
		_, _ = io.WriteString(w, body[from:to+1])
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(st.status)
	if st.truncate {
		_, _ = io.WriteString(w, body[:len(body)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	_, _ = io.WriteString(w, body)
}

// fakeClock records waits instead of sleeping.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func TestRetryTransport(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name       string
		method     string
		path       string
		body       string
		noGetBody  bool
		steps      []step
		opts       []RetryOption
		wantStatus int
		wantErr    string
		wantWaits  []time.Duration
		wantTries  int
		wantReason []string
	}{
		{
			name:       "429 with Retry-After in seconds",
			steps:      []step{{status: 429, retryAfter: "3"}},
			wantStatus: 200, wantTries: 2,
			wantWaits:  []time.Duration{3 * time.Second},
			wantReason: []string{"429 Too Many Requests"},
		},
		{
			name:       "429 with Retry-After as a date",
			steps:      []step{{status: 429, retryAfter: start.Add(7 * time.Second).Format(http.TimeFormat)}},
			wantStatus: 200, wantTries: 2,
			wantWaits:  []time.Duration{7 * time.Second},
			wantReason: []string{"429 Too Many Requests"},
		},
		{
			name:       "503 then 502 then 408: exponential backoff",
			steps:      []step{{status: 503}, {status: 502}, {status: 408}},
			wantStatus: 200, wantTries: 4,
			wantWaits:  []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
			wantReason: []string{"503 Service Unavailable", "502 Bad Gateway", "408 Request Timeout"},
		},
		{
			name:       "GHCR secondary rate limit",
			steps:      []step{{status: 403, retryAfter: "60", body: `{"message":"You have exceeded a secondary rate limit"}`}},
			wantStatus: 200, wantTries: 2,
			wantWaits:  []time.Duration{time.Minute},
			wantReason: []string{"GHCR secondary rate limit (403)"},
		},
		{
			name:       "plain 403 is final, body intact",
			steps:      []step{{status: 403, body: `{"errors":[{"code":"DENIED"}]}`}},
			wantStatus: 403, wantTries: 1,
		},
		{name: "404 is final", steps: []step{{status: 404}}, wantStatus: 404, wantTries: 1},
		{name: "501 is final", steps: []step{{status: 501}}, wantStatus: 501, wantTries: 1},
		{
			name:       "dropped connection",
			steps:      []step{{drop: true}},
			wantStatus: 200, wantTries: 2,
			wantWaits: []time.Duration{500 * time.Millisecond},
		},
		{
			name: "PUT body is sent again", method: http.MethodPut, path: "/v2/app/manifests/v1", body: "manifest",
			steps:      []step{{status: 503}},
			wantStatus: 200, wantTries: 2,
			wantWaits:  []time.Duration{500 * time.Millisecond},
			wantReason: []string{"503 Service Unavailable"},
		},
		{
			name: "a body that cannot be replayed is not retried", method: http.MethodPut, path: "/v2/app/manifests/v1", body: "manifest", noGetBody: true,
			steps:      []step{{status: 503}},
			wantStatus: 503, wantTries: 1,
			wantReason: []string{"503 Service Unavailable (the request body cannot be sent again)"},
		},
		{
			name: "upload data after a dropped connection is not sent again", method: http.MethodPatch, path: "/v2/app/blobs/uploads/123", body: "layer",
			steps:     []step{{drop: true}},
			wantErr:   "blob upload interrupted",
			wantTries: 1,
		},
		{
			name: "upload data after a 429 is sent again", method: http.MethodPatch, path: "/v2/app/blobs/uploads/123", body: "layer",
			steps:      []step{{status: 429, retryAfter: "1"}},
			wantStatus: 200, wantTries: 2,
			wantWaits:  []time.Duration{time.Second},
			wantReason: []string{"429 Too Many Requests"},
		},
		{
			name:       "attempts are bounded",
			steps:      []step{{status: 503}, {status: 503}, {status: 503}},
			opts:       []RetryOption{WithMaxAttempts(3)},
			wantStatus: 503, wantTries: 3,
			wantWaits:  []time.Duration{500 * time.Millisecond, time.Second},
			wantReason: []string{"503 Service Unavailable", "503 Service Unavailable", "503 Service Unavailable (3 attempts)"},
		},
		{
			name:       "a Retry-After beyond the time limit is not waited for",
			steps:      []step{{status: 429, retryAfter: "3600"}},
			opts:       []RetryOption{WithMaxElapsed(time.Minute)},
			wantStatus: 429, wantTries: 1,
			wantReason: []string{"429 Too Many Requests (waiting 1h0m0s more would pass the 1m0s limit)"},
		},
		{
			name:       "a truncated body is resumed with a range",
			steps:      []step{{status: 200, body: "0123456789abcdef", truncate: true}},
			wantStatus: 200, wantTries: 2,
			wantReason: []string{"response body cut at 8 of 16 bytes (connection closed early (EOF)); resuming"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &script{steps: tc.steps}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			clock := &fakeClock{now: start}
			rec := &recorder{}
			opts := append([]RetryOption{withSleep(clock.sleep, clock.Now), WithRetryReporter(rec)}, tc.opts...)
			rt, err := NewRetryTransport(srv.Client().Transport, opts...)
			if err != nil {
				t.Fatal(err)
			}
			method, path := tc.method, tc.path
			if method == "" {
				method, path = http.MethodGet, "/v2/app/blobs/sha256:1"
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
				if tc.noGetBody {
					body = io.NopCloser(body)
				}
			}
			req, err := http.NewRequest(method, srv.URL+path, body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("RoundTrip() = %v, want error %q", err, tc.wantErr)
				}
				var ui *UploadInterruptedError
				if !errors.As(err, &ui) {
					t.Errorf("RoundTrip() = %T, want *UploadInterruptedError", err)
				}
			} else {
				if err != nil {
					t.Fatalf("RoundTrip() = %v", err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatalf("reading body: %v", err)
				}
				if resp.StatusCode != tc.wantStatus {
					t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
				}
				want := "0123456789abcdef"
				if tc.wantStatus != 200 && len(tc.steps) > 0 {
					want = tc.steps[len(tc.steps)-1].body
				}
				if string(got) != want {
					t.Errorf("body = %q, want %q", got, want)
				}
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.n != tc.wantTries {
				t.Errorf("server saw %d attempts, want %d", s.n, tc.wantTries)
			}
			if tc.body != "" && !tc.noGetBody {
				for i, b := range s.bodies {
					if b != tc.body {
						t.Errorf("attempt %d sent body %q, want %q", i+1, b, tc.body)
					}
				}
			}
			if diff := cmp.Diff(tc.wantWaits, clock.waits); diff != "" {
				t.Errorf("waits mismatch (-want +got):\n%s", diff)
			}
			if tc.wantReason != nil {
				var reasons []string
				for _, r := range rec.retries {
					reasons = append(reasons, r.Reason)
				}
				if diff := cmp.Diff(tc.wantReason, reasons); diff != "" {
					t.Errorf("reported reasons mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestRetryOptionsValidated(t *testing.T) {
	t.Parallel()
	cases := map[string][]RetryOption{
		"zero attempts":   {WithMaxAttempts(0)},
		"negative time":   {WithMaxElapsed(-time.Second)},
		"zero backoff":    {WithBackoff(0, time.Second)},
		"base beyond max": {WithBackoff(time.Minute, time.Second)},
		"nil reporter":    {WithRetryReporter(nil)},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewRetryTransport(nil, opts...); err == nil {
				t.Errorf("NewRetryTransport(%s) = nil error", name)
			}
		})
	}
}

func TestRetryStopsWithTheContext(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	rt, err := NewRetryTransport(srv.Client().Transport, WithBackoff(10*time.Second, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(c, http.MethodGet, srv.URL, bytes.NewReader(nil))
	if _, err := rt.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RoundTrip() = %v, want the context's deadline", err)
	}
}

func fmtSscanf(rg string, from, to *int) (int, error) {
	rg = strings.TrimPrefix(rg, "bytes=")
	a, b, _ := strings.Cut(rg, "-")
	var err error
	if *from, err = strconv.Atoi(a); err != nil {
		return 0, err
	}
	*to, err = strconv.Atoi(b)
	return 2, err
}
