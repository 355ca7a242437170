package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recorded is one request the fake engine saw.
type recorded struct {
	Method, Path, Query string
	Body                map[string]any
}

// fakeEngine serves handler on a unix socket and returns a client of it.
// The engine answers /_ping with API-Version version ("" for none) and
// records every other request.
func fakeEngine(t *testing.T, version string, handler http.HandlerFunc) (*Client, func() []recorded) {
	t.Helper()
	// Socket paths are short: t.TempDir() can be too long.
	dir, err := os.MkdirTemp("", "eng")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		got []recorded
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_ping" {
			if version != "" {
				w.Header().Set("API-Version", version)
			}
			io.WriteString(w, "OK")
			return
		}
		rec := recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery}
		if r.Header.Get("Content-Type") == "application/json" {
			if err := json.NewDecoder(r.Body).Decode(&rec.Body); err != nil {
				t.Errorf("%s %s: body: %v", r.Method, r.URL, err)
			}
		}
		mu.Lock()
		got = append(got, rec)
		mu.Unlock()
		handler(w, r)
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New("unix://"+sock, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), got...)
	}
}

func TestNegotiatesTheVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ engine, want string }{
		{"1.41", "1.41"},
		{"1.44", "1.44"},
		{"1.52", MaxAPIVersion},
		{"1.100", MaxAPIVersion},
		{"", fallbackVersion},
	} {
		t.Run("engine "+tc.engine, func(t *testing.T) {
			t.Parallel()
			c, got := fakeEngine(t, tc.engine, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
			v, err := c.Ping(context.Background())
			if err != nil || v != tc.want {
				t.Fatalf("Ping() = %q, %v; want %q", v, err, tc.want)
			}
			if err := c.ContainerStart(context.Background(), "abc"); err != nil {
				t.Fatal(err)
			}
			want := []recorded{{Method: "POST", Path: "/v" + tc.want + "/containers/abc/start"}}
			if diff := cmp.Diff(want, got()); diff != "" {
				t.Errorf("requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// A call before Ping negotiates first; DOCKER_API_VERSION pins the version.
func TestVersionWithoutPing(t *testing.T) {
	c, got := fakeEngine(t, "1.41", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"Running":true}`) })
	if _, err := c.ExecInspect(context.Background(), "e1"); err != nil {
		t.Fatal(err)
	}
	c.version, c.pinned = "1.40", true
	if v, err := c.Ping(context.Background()); err != nil || v != "1.40" {
		t.Errorf("Ping() with a pinned version = %q, %v; want 1.40", v, err)
	}
	if _, err := c.ExecInspect(context.Background(), "e2"); err != nil {
		t.Fatal(err)
	}
	want := []recorded{{Method: "GET", Path: "/v1.41/exec/e1/json"}, {Method: "GET", Path: "/v1.40/exec/e2/json"}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	answers := map[string]string{
		"POST /v1.44/containers/create":        `{"Id":"c1","Warnings":[]}`,
		"GET /v1.44/containers/c1/json":        `{"Id":"c1","State":{"Running":true,"Pid":42,"StartedAt":"t0","ExitCode":0},"NetworkSettings":{"Ports":{"5000/tcp":[{"HostIp":"127.0.0.1","HostPort":"32768"}]}}}`,
		"GET /v1.44/containers/json":           `[{"Id":"c1","Names":["/n"],"Labels":{"xedgesim.run":"r"}}]`,
		"POST /v1.44/containers/c1/exec":       `{"Id":"e1"}`,
		"GET /v1.44/exec/e1/json":              `{"Running":false,"ExitCode":3}`,
		"GET /v1.44/images/reg/x:1/json":       `{"Id":"sha256:aa","RepoDigests":["reg/x@sha256:bb"]}`,
		"POST /v1.44/networks/create":          `{"Id":"n1"}`,
		"GET /v1.44/networks/xedgesim-r":       `{"Id":"n1","Name":"xedgesim-r","Labels":{"a":"b"}}`,
		"GET /v1.44/networks":                  `[{"Id":"n1","Name":"xedgesim-r","Labels":{"xedgesim.run":"r"}}]`,
		"GET /v1.44/containers/c1/logs":        "",
		"POST /v1.44/images/load":              `{"stream":"Loaded image: reg/x:1\n"}`,
		"POST /v1.44/containers/c1/start":      "",
		"POST /v1.44/containers/c1/kill":       "",
		"DELETE /v1.44/containers/c1":          "",
		"POST /v1.44/exec/e1/start":            "",
		"DELETE /v1.44/images/reg/x@sha256:bb": "",
		"DELETE /v1.44/networks/n1":            "",
	}
	c, got := fakeEngine(t, "1.47", func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.Method+" "+r.URL.Path]
		if !ok {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		}
		if r.URL.Path == "/v1.44/images/load" {
			if ct := r.Header.Get("Content-Type"); ct != "application/x-tar" {
				t.Errorf("image load Content-Type %q", ct)
			}
			if b, _ := io.ReadAll(r.Body); string(b) != "TAR" {
				t.Errorf("image load body %q", b)
			}
		}
		if a == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.WriteString(w, a)
	})
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	id, err := c.ContainerCreate(ctx, "n", ContainerConfig{
		Image: "reg/x:1", Env: []string{"A=1"}, Cmd: []string{"-v"}, Labels: map[string]string{"l": "v"},
		ExposedPorts: map[string]struct{}{"5000/tcp": {}},
		HostConfig: HostConfig{NetworkMode: "xedgesim-r", Memory: 1 << 20, NanoCPUs: 5e8,
			PortBindings:  map[string][]PortBinding{"5000/tcp": {{HostIP: "127.0.0.1"}}},
			RestartPolicy: &RestartPolicy{Name: "on-failure", MaximumRetryCount: 2}},
		NetworkingConfig: &NetworkingConfig{EndpointsConfig: map[string]EndpointSettings{"xedgesim-r": {Aliases: []string{"n"}}}},
	})
	must(err)
	must(c.ContainerStart(ctx, id))
	in, err := c.ContainerInspect(ctx, id)
	must(err)
	wantIn := ContainerInfo{ID: "c1", State: &ContainerState{Running: true, Pid: 42, StartedAt: "t0"},
		NetworkSettings: &NetworkSettings{Ports: map[string][]PortBinding{"5000/tcp": {{HostIP: "127.0.0.1", HostPort: "32768"}}}}}
	if diff := cmp.Diff(wantIn, in); diff != "" {
		t.Errorf("ContainerInspect mismatch (-want +got):\n%s", diff)
	}
	must(c.ContainerKill(ctx, id, "KILL"))
	list, err := c.ContainerList(ctx, true, "xedgesim.run=r")
	must(err)
	if diff := cmp.Diff([]ContainerSummary{{ID: "c1", Names: []string{"/n"}, Labels: map[string]string{"xedgesim.run": "r"}}}, list); diff != "" {
		t.Errorf("ContainerList mismatch (-want +got):\n%s", diff)
	}
	rc, err := c.ContainerLogs(ctx, id, LogsOptions{Stdout: true, Stderr: true, Tail: "20"})
	must(err)
	rc.Close()
	ex, err := c.ExecCreate(ctx, id, ExecConfig{Cmd: []string{"true"}})
	must(err)
	must(c.ExecStart(ctx, ex))
	ei, err := c.ExecInspect(ctx, ex)
	must(err)
	if ei != (ExecInfo{ExitCode: 3}) {
		t.Errorf("ExecInspect = %+v", ei)
	}
	must(c.ContainerRemove(ctx, id, true, true))
	img, err := c.ImageInspect(ctx, "reg/x:1")
	must(err)
	if diff := cmp.Diff(ImageInfo{ID: "sha256:aa", RepoDigests: []string{"reg/x@sha256:bb"}}, img); diff != "" {
		t.Errorf("ImageInspect mismatch (-want +got):\n%s", diff)
	}
	lr, err := c.ImageLoad(ctx, strings.NewReader("TAR"))
	must(err)
	b, _ := io.ReadAll(lr)
	lr.Close()
	if !strings.Contains(string(b), "Loaded image: reg/x:1") {
		t.Errorf("ImageLoad answer %q", b)
	}
	must(c.ImageRemove(ctx, "reg/x@sha256:bb"))
	nid, err := c.NetworkCreate(ctx, "xedgesim-r", "bridge", map[string]string{"a": "b"})
	must(err)
	ni, err := c.NetworkInspect(ctx, "xedgesim-r")
	must(err)
	if nid != "n1" || ni.ID != "n1" || ni.Labels["a"] != "b" {
		t.Errorf("NetworkCreate = %q, NetworkInspect = %+v", nid, ni)
	}
	nets, err := c.NetworkList(ctx, "xedgesim.run")
	must(err)
	if len(nets) != 1 || nets[0].Labels["xedgesim.run"] != "r" {
		t.Errorf("NetworkList = %+v", nets)
	}
	must(c.NetworkRemove(ctx, "n1"))

	want := []recorded{
		{Method: "POST", Path: "/v1.44/containers/create", Query: "name=n", Body: map[string]any{
			"Image": "reg/x:1", "Env": []any{"A=1"}, "Cmd": []any{"-v"}, "Labels": map[string]any{"l": "v"},
			"ExposedPorts": map[string]any{"5000/tcp": map[string]any{}},
			"HostConfig": map[string]any{"NetworkMode": "xedgesim-r", "Memory": float64(1 << 20), "NanoCpus": float64(5e8),
				"PortBindings":  map[string]any{"5000/tcp": []any{map[string]any{"HostIp": "127.0.0.1", "HostPort": ""}}},
				"RestartPolicy": map[string]any{"Name": "on-failure", "MaximumRetryCount": float64(2)}},
			"NetworkingConfig": map[string]any{"EndpointsConfig": map[string]any{"xedgesim-r": map[string]any{"Aliases": []any{"n"}}}},
		}},
		{Method: "POST", Path: "/v1.44/containers/c1/start"},
		{Method: "GET", Path: "/v1.44/containers/c1/json"},
		{Method: "POST", Path: "/v1.44/containers/c1/kill", Query: "signal=KILL"},
		{Method: "GET", Path: "/v1.44/containers/json", Query: "all=1&filters=%7B%22label%22%3A%7B%22xedgesim.run%3Dr%22%3Atrue%7D%7D"},
		{Method: "GET", Path: "/v1.44/containers/c1/logs", Query: "stderr=1&stdout=1&tail=20"},
		{Method: "POST", Path: "/v1.44/containers/c1/exec", Body: map[string]any{"Cmd": []any{"true"}}},
		{Method: "POST", Path: "/v1.44/exec/e1/start", Body: map[string]any{"Detach": true, "Tty": false}},
		{Method: "GET", Path: "/v1.44/exec/e1/json"},
		{Method: "DELETE", Path: "/v1.44/containers/c1", Query: "force=1&v=1"},
		{Method: "GET", Path: "/v1.44/images/reg/x:1/json"},
		{Method: "POST", Path: "/v1.44/images/load", Query: "quiet=1"},
		{Method: "DELETE", Path: "/v1.44/images/reg/x@sha256:bb"},
		{Method: "POST", Path: "/v1.44/networks/create", Body: map[string]any{"Name": "xedgesim-r", "Driver": "bridge",
			"Labels": map[string]any{"a": "b"}, "CheckDuplicate": true}},
		{Method: "GET", Path: "/v1.44/networks/xedgesim-r"},
		{Method: "GET", Path: "/v1.44/networks", Query: "filters=%7B%22label%22%3A%7B%22xedgesim.run%22%3Atrue%7D%7D"},
		{Method: "DELETE", Path: "/v1.44/networks/n1"},
	}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	c, _ := fakeEngine(t, "1.44", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/containers/gone"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"No such container: gone"}`)
		case strings.Contains(r.URL.Path, "/images/"):
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"message":"conflict: unable to remove repository reference \"x\" (must force) - container c1 is using its referenced image"}`)
		default:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "proxy says no\n")
		}
	})
	ctx := context.Background()
	err := c.ContainerRemove(ctx, "gone", true, true)
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 404 || !errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) ||
		err.Error() != "Error response from daemon: No such container: gone" {
		t.Errorf("ContainerRemove(gone) = %v, want a 404 Error that is ErrNotFound", err)
	}
	err = c.ImageRemove(ctx, "x")
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		t.Errorf("ImageRemove(x) = %v, want ErrConflict", err)
	}
	err = c.NetworkRemove(ctx, "n")
	if !errors.As(err, &e) || e.StatusCode != 500 || e.Message != "proxy says no" || errors.Is(err, ErrNotFound) {
		t.Errorf("NetworkRemove = %v, want a 500 Error quoting the text", err)
	}
}

// A context's end ends a call that waits on the engine.
func TestContextEndsACall(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	c, _ := fakeEngine(t, "1.44", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.ContainerInspect(ctx, "slow")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("ContainerInspect = %v after %s, want DeadlineExceeded at once", err, time.Since(start))
	}
}

func TestNoEngine(t *testing.T) {
	t.Parallel()
	c, err := New("unix://"+filepath.Join(t.TempDir(), "none.sock"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "cannot connect to the Docker Engine") {
		t.Errorf("Ping() = %v, want a connection error", err)
	}
	for _, host := range []string{"ssh://h", "unix://", "tcp://", "npipe:////./pipe/docker_engine"} {
		if _, err := New(host, nil); err == nil {
			t.Errorf("New(%q) = nil error", host)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv("DOCKER_HOST", "tcp://10.0.0.1")
	t.Setenv("DOCKER_CERT_PATH", "")
	t.Setenv("DOCKER_API_VERSION", "1.43")
	c, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"http", "10.0.0.1:2375", "1.43"}, []string{c.scheme, c.addr, c.version}); diff != "" {
		t.Errorf("client mismatch (-want +got):\n%s", diff)
	}
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_API_VERSION", "")
	if c, err = FromEnv(); err != nil || c.Host() != DefaultHost || c.version != "" {
		t.Errorf("FromEnv() without DOCKER_HOST = %+v, %v", c, err)
	}
}

// frame is one frame of a multiplexed stream.
func frame(stream byte, payload string) []byte {
	b := make([]byte, 8, 8+len(payload))
	b[0] = stream
	binary.BigEndian.PutUint32(b[4:], uint32(len(payload)))
	return append(b, payload...)
}

func TestDemux(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 100<<10) // longer than the copy buffer
	for _, tc := range []struct {
		name                 string
		in                   [][]byte
		wantOut, wantErr     string
		wantN                int64
		wantFail, failSubstr string
	}{
		{name: "empty"},
		{name: "interleaved", in: [][]byte{frame(1, "out1\n"), frame(2, "err1\n"), frame(1, "out2\n"), frame(0, "in\n")},
			wantOut: "out1\nout2\nin\n", wantErr: "err1\n", wantN: 18},
		{name: "empty frame", in: [][]byte{frame(1, ""), frame(2, "e")}, wantErr: "e", wantN: 1},
		{name: "big frame", in: [][]byte{frame(2, big)}, wantErr: big, wantN: int64(len(big))},
		{name: "engine error", in: [][]byte{frame(1, "a"), frame(3, "boom")}, wantOut: "a", wantN: 1, failSubstr: "error from the engine: boom"},
		{name: "unknown stream", in: [][]byte{frame(7, "a")}, failSubstr: "unknown stream 7"},
		{name: "truncated header", in: [][]byte{frame(1, "a"), {1, 0, 0}}, wantOut: "a", wantN: 1, failSubstr: "truncated frame header"},
		{name: "truncated payload", in: [][]byte{frame(1, "abc")[:10]}, wantOut: "ab", wantN: 2, failSubstr: "truncated frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errs bytes.Buffer
			// One byte at a time, too: frames need not arrive whole.
			for _, src := range []func([]byte) io.Reader{
				func(b []byte) io.Reader { return bytes.NewReader(b) },
				func(b []byte) io.Reader { return oneByte{bytes.NewReader(b)} },
			} {
				out.Reset()
				errs.Reset()
				n, err := Demux(&out, &errs, src(bytes.Join(tc.in, nil)))
				if diff := cmp.Diff([]string{tc.wantOut, tc.wantErr}, []string{out.String(), errs.String()}); diff != "" {
					t.Errorf("streams mismatch (-want +got):\n%s", diff)
				}
				if n != tc.wantN {
					t.Errorf("Demux() = %d bytes, want %d", n, tc.wantN)
				}
				if tc.failSubstr == "" && err != nil || tc.failSubstr != "" && (err == nil || !strings.Contains(err.Error(), tc.failSubstr)) {
					t.Errorf("Demux() error = %v, want %q", err, tc.failSubstr)
				}
			}
		})
	}
}

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// ExecAttach upgrades the connection and then carries the exec's streams:
// stdin to the engine, multiplexed stdout and stderr back.
func TestExecAttach(t *testing.T) {
	t.Parallel()
	c, got := fakeEngine(t, "1.41", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Connection") != "Upgrade" || r.Header.Get("Upgrade") != "tcp" {
			t.Errorf("attach headers %v", r.Header)
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		brw.WriteString("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		// Output the engine sends with its answer, before any input.
		brw.Write(frame(2, "ready\n"))
		brw.Flush()
		line, err := brw.ReadString('\n')
		if err != nil {
			t.Error(err)
			return
		}
		conn.Write(frame(1, "echo: "+line))
	})
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	h, err := c.ExecAttach(context.Background(), "e1")
	if err != nil {
		t.Fatalf("ExecAttach() = %v", err)
	}
	defer h.Close()
	if _, err := io.WriteString(h.Conn, "hello\n"); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if _, err := Demux(&out, &errs, h.Reader); err != nil {
		t.Fatalf("Demux() = %v", err)
	}
	if diff := cmp.Diff([]string{"echo: hello\n", "ready\n"}, []string{out.String(), errs.String()}); diff != "" {
		t.Errorf("streams mismatch (-want +got):\n%s", diff)
	}
	want := []recorded{{Method: "POST", Path: "/v1.41/exec/e1/start", Body: map[string]any{"Detach": false, "Tty": false}}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}
}

// An attach the engine refuses is its error; one it never answers ends
// with the context.
func TestExecAttachFails(t *testing.T) {
	t.Parallel()
	c, _ := fakeEngine(t, "1.44", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/exec/gone/") {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"No such exec instance: gone"}`)
			return
		}
		<-r.Context().Done()
	})
	if _, err := c.ExecAttach(context.Background(), "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ExecAttach(gone) = %v, want ErrNotFound", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if h, err := c.ExecAttach(ctx, "slow"); !errors.Is(err, context.DeadlineExceeded) || h != nil {
		t.Errorf("ExecAttach(slow) = %v, %v; want DeadlineExceeded", h, err)
	}
}
