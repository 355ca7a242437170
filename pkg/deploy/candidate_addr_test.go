package deploy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

func TestDirectHealth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		h     manifest.Health
		ports []string
		want  manifest.Health
		ok    bool
	}{
		{"http on the container's port", manifest.Health{HTTP: &manifest.HTTPHealth{Port: 8080, Path: "/", Status: 200}}, []string{"8080:80"},
			manifest.Health{HTTP: &manifest.HTTPHealth{Port: 80, Path: "/", Status: 200}}, true},
		{"tcp published on an address", manifest.Health{TCP: 9000}, []string{"1883:1883", "127.0.0.1:9000:9001/tcp"}, manifest.Health{TCP: 9001}, true},
		{"mqtt", manifest.Health{MQTT: &manifest.MQTTHealth{Port: 11883, Topic: "t"}}, []string{"11883:1883"}, manifest.Health{MQTT: &manifest.MQTTHealth{Port: 1883, Topic: "t"}}, true},
		{"a port the service does not publish", manifest.Health{TCP: 7000}, []string{"8080:80"}, manifest.Health{TCP: 7000}, false},
		{"udp only", manifest.Health{TCP: 5000}, []string{"5000:5000/udp"}, manifest.Health{TCP: 5000}, false},
		{"a cmd check", manifest.Health{Cmd: "true"}, []string{"8080:80"}, manifest.Health{Cmd: "true"}, false},
	} {
		got, ok := directHealth(tc.h, tc.ports)
		if ok != tc.ok {
			t.Errorf("%s: ok = %v, want %v", tc.name, ok, tc.ok)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tc.name, diff)
		}
	}
}

// engineAnswers answers an engine's API calls by path (without the version
// prefix) with fixed JSON; other paths get 404.
type engineAnswers map[string]string

func (a engineAnswers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Api-Version", "1.44")
	if r.URL.Path == "/_ping" {
		io.WriteString(w, "OK")
		return
	}
	path := r.URL.Path[strings.Index(r.URL.Path[1:], "/")+1:]
	if body, ok := a[path]; ok {
		io.WriteString(w, body)
		return
	}
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, `{"message":"no such thing"}`)
}

// TestReachesContainers: a candidate is probed at its address only on a
// bridge network (not internal) of an engine on the host that is not
// rootless; everything else keeps ephemeral ports.
func TestReachesContainers(t *testing.T) {
	t.Parallel()
	answers := engineAnswers{
		"/info":              `{"SecurityOptions":["name=seccomp,profile=builtin"]}`,
		"/networks/bridge":   `{"Name":"bridge","Driver":"bridge"}`,
		"/networks/edge-net": `{"Name":"edge-net","Driver":"bridge"}`,
		"/networks/private":  `{"Name":"private","Driver":"bridge","Internal":true}`,
		"/networks/lan":      `{"Name":"lan","Driver":"macvlan"}`,
	}
	rootless := engineAnswers{"/info": `{"SecurityOptions":["name=seccomp,profile=builtin","name=rootless","name=cgroupns"]}`, "/networks/bridge": answers["/networks/bridge"]}
	for _, tc := range []struct {
		name    string
		a       engineAnswers
		local   bool
		network string
		want    bool
	}{
		{"the default network", answers, true, "", true},
		{"default by name", answers, true, "default", true},
		{"a bridge network", answers, true, "edge-net", true},
		{"an engine over TCP", answers, false, "", false},
		{"host network", answers, true, "host", false},
		{"no network", answers, true, "none", false},
		{"another container's network", answers, true, "container:db", false},
		{"an internal network", answers, true, "private", false},
		{"macvlan", answers, true, "lan", false},
		{"a network the engine does not have", answers, true, "gone", false},
		{"rootless", rootless, true, "", false},
	} {
		e := fakeAPIEngine(t, tc.a)
		e.local = tc.local
		got, err := e.reachesContainers(context.Background(), tc.network)
		if err != nil || got != tc.want {
			t.Errorf("%s: reachesContainers = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	var cli cliEngine
	if got, _ := cli.reachesContainers(context.Background(), ""); got {
		t.Error("the docker CLI: reachesContainers = true, want ephemeral ports")
	}
}

func TestCandidateAddress(t *testing.T) {
	t.Parallel()
	e := fakeAPIEngine(t, engineAnswers{
		"/containers/c1/json": `{"NetworkSettings":{"Networks":{"bridge":{"IPAddress":"172.17.0.5"},"edge-net":{"IPAddress":"10.9.0.3"}}}}`,
		"/containers/c6/json": `{"NetworkSettings":{"Networks":{"v6net":{"IPAddress":"","GlobalIPv6Address":"fd00::5"}}}}`,
		"/containers/c0/json": `{"NetworkSettings":{"Networks":{}}}`,
	})
	for _, tc := range []struct{ id, network, want string }{
		{"c1", "", "172.17.0.5"},
		{"c1", "edge-net", "10.9.0.3"},
		{"c1", "other", ""},
		{"c6", "v6net", "fd00::5"},
		{"c6", "4f1e2d", "fd00::5"}, // the network named by ID: its only network
		{"c0", "", ""},
	} {
		got, err := e.address(context.Background(), tc.id, tc.network)
		if err != nil || got != tc.want {
			t.Errorf("address(%s, %q) = %q, %v; want %q", tc.id, tc.network, got, err, tc.want)
		}
	}
	if _, err := e.address(context.Background(), "missing", ""); err == nil {
		t.Error("address of a container the engine does not have: no error")
	}
}

// dialFails is a host whose dials all fail with err.
type dialFails struct {
	dialOnly
	err error
}

func (d dialFails) DialContext(context.Context, string, string) (net.Conn, error) { return nil, d.err }

// TestUnreachable: a candidate's address counts as reached when a dial
// connects or is refused by the candidate's kernel (here or through the
// SSH server); an SSH server that refuses the forward, or a dial that
// finds no route, sends the candidate back to ephemeral ports.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().(*net.TCPAddr).Port
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	shut := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	defer ln.Close()
	tests := []struct {
		name      string
		c         hostConn
		port      int
		reachable bool
	}{
		{"a listener", dialOnly{}, open, true},
		{"refused by the kernel here", dialOnly{}, shut, true},
		{"refused through sshd", dialFails{err: errors.New("ssh: rejected: connect failed (Connection refused)")}, 80, true},
		{"forwarding not permitted", dialFails{err: errors.New("ssh: rejected: administratively prohibited (open failed)")}, 80, false},
		{"no route", dialFails{err: errors.New("ssh: rejected: connect failed (No route to host)")}, 80, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := unreachable(context.Background(), tt.c, "127.0.0.1", tt.port)
			if (err == nil) != tt.reachable {
				t.Errorf("unreachable() = %v, want reachable %v", err, tt.reachable)
			}
		})
	}
}
