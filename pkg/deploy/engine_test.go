package deploy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/internal/engine"
)

// TestAPIConfig: the Engine API's form of a container carries what docker
// create's flags say: ports (with an address, ephemeral, udp), volumes,
// env (never in argv), memory and CPUs, the restart policy, network,
// command and platform.
func TestAPIConfig(t *testing.T) {
	t.Parallel()
	s := createSpec{
		name: "svc", platform: "linux/arm64", restart: "on-failure:3", image: "xedgesim.local/svc:abc",
		labels:  map[string]string{"xedgesim.service": "svc"},
		ports:   []string{"8080:80", "127.0.0.1:9000:9000/udp", "127.0.0.1::1883/tcp", "5000"},
		volumes: []string{"/opt/data:/data:ro", "named:/cache"}, network: "edge-net", memory: "64m", cpus: 0.5,
		env: map[string]string{"B": "2", "A": "x=1"}, command: []string{"serve", "--port", "80"},
	}
	got, err := apiConfig(s)
	if err != nil {
		t.Fatal(err)
	}
	want := engine.ContainerConfig{
		Image: "xedgesim.local/svc:abc", Cmd: []string{"serve", "--port", "80"}, Env: []string{"A=x=1", "B=2"},
		Labels:       map[string]string{"xedgesim.service": "svc"},
		ExposedPorts: map[string]struct{}{"80/tcp": {}, "9000/udp": {}, "1883/tcp": {}, "5000/tcp": {}},
		Platform:     "linux/arm64",
		HostConfig: engine.HostConfig{
			Binds: []string{"/opt/data:/data:ro", "named:/cache"},
			PortBindings: map[string][]engine.PortBinding{
				"80/tcp": {{HostPort: "8080"}}, "9000/udp": {{HostIP: "127.0.0.1", HostPort: "9000"}},
				"1883/tcp": {{HostIP: "127.0.0.1"}}, "5000/tcp": {{}},
			},
			Memory: 64 << 20, NanoCPUs: 5e8, NetworkMode: "edge-net",
			RestartPolicy: &engine.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apiConfig (-want +got):\n%s", diff)
	}
}

func TestRestartPolicyAndMemory(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want engine.RestartPolicy
		bad  bool
	}{
		{in: "no", want: engine.RestartPolicy{Name: "no"}},
		{in: "", want: engine.RestartPolicy{Name: "no"}},
		{in: "unless-stopped", want: engine.RestartPolicy{Name: "unless-stopped"}},
		{in: "on-failure:5", want: engine.RestartPolicy{Name: "on-failure", MaximumRetryCount: 5}},
		{in: "always:2", bad: true},
		{in: "on-failure:x", bad: true},
	} {
		got, err := restartPolicy(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("restartPolicy(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
	for in, want := range map[string]int64{"128": 128, "7b": 7, "2k": 2048, "64m": 64 << 20, "1G": 1 << 30} {
		if got, err := memoryBytes(in); err != nil || got != want {
			t.Errorf("memoryBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := memoryBytes("99999999999999g"); err == nil {
		t.Error("memoryBytes of an overflowing size: no error")
	}
}

func TestEngineAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, network, addr, err string }{
		{in: "unix:///var/run/docker.sock", network: "unix", addr: "/var/run/docker.sock"},
		{in: "unix:///run/user/1000/docker.sock", network: "unix", addr: "/run/user/1000/docker.sock"},
		{in: "tcp://127.0.0.1:2375", network: "tcp", addr: "127.0.0.1:2375"},
		{in: "ssh://pi@device", err: "neither unix:// nor tcp://"},
		{in: "unix://docker.sock", err: "no absolute socket path"},
		{in: "tcp://", err: "no address"},
	} {
		network, addr, err := engineAddr(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("engineAddr(%q) = %v, want an error with %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || network != tc.network || addr != tc.addr {
			t.Errorf("engineAddr(%q) = %s %s %v; want %s %s", tc.in, network, addr, err, tc.network, tc.addr)
		}
	}
}

func TestReadLoadMessages(t *testing.T) {
	t.Parallel()
	if err := readLoadMessages(strings.NewReader(`{"stream":"Loaded image: x:1\n"}`)); err != nil {
		t.Errorf("a load that worked: %v", err)
	}
	err := readLoadMessages(strings.NewReader(`{"stream":"..."}{"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"}`))
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Message != "unexpected EOF" || !loadRefused(err) {
		t.Errorf("a load the engine refused: %v, want its error, counted as refused", err)
	}
}

// TestAPIRemoveGone: removing a container the engine no longer has
// succeeds, as docker rm -f does; any other refusal is an error.
func TestAPIRemoveGone(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.44")
		switch {
		case r.URL.Path == "/_ping":
			io.WriteString(w, "OK")
		case strings.HasSuffix(r.URL.Path, "/containers/gone"):
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"message":"No such container: gone"}`)
		default:
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"message":"removal of container busy is already in progress"}`)
		}
	}))
	defer srv.Close()
	cl := engine.NewDialer("tcp://"+srv.Listener.Addr().String(), func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", srv.Listener.Addr().String())
	})
	defer cl.Close()
	e := apiEngine{cl: cl}
	if err := e.remove(context.Background(), "gone"); err != nil {
		t.Errorf("remove(gone) = %v, want nil", err)
	}
	if err := e.remove(context.Background(), "busy"); err == nil {
		t.Error("remove(busy) = nil, want the engine's conflict")
	}
}
