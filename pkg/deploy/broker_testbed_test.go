package deploy

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/mqttcheck"
	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// TestBedDeployBroker is the deploy of the example: the MQTT broker
// of nodes/, built for amd64 and arm64, goes to the three edges canary
// first and then as a batch, each host waiting for an MQTT health check (a
// message published to a topic must come back); edge3 runs the arm64
// variant, every broker carries a message from this machine, and verify
// passes.
func TestBedDeployBroker(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges, testbed.PartArm64)
	ref := pushNode(t, env, "broker", "xedgesim-deploy", amd64, arm64)
	service := "xedgesim-broker-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	ctx := context.Background()

	var b strings.Builder
	fmt.Fprintf(&b, "service:\n  name: %s\n  ports: [\"%d:1883\"]\n  memory: 64m\n  health: {mqtt: {port: %d, topic: xedgesim/health}, timeout: 60s, window: 2s}\n", service, port, port)
	b.WriteString("hosts:\n")
	for _, e := range env.Edges {
		// The platform is declared: edge3's engine runs on this machine's
		// CPU, and detection would say amd64.
		fmt.Fprintf(&b, "  - {name: %s, address: %s, port: %d, user: %s, platform: %s, known_hosts: %q}\n", e.Name, e.Addr, e.SSHPort, e.User, e.Platform, e.KnownHosts)
	}
	fmt.Fprintf(&b, "ssh: {key: %s, timeout: 10s}\nrollout: {canary: 1, batch: 2}\n", env.Edges[0].KeyFile)
	m, err := manifest.Parse([]byte(b.String()), "deploy.yaml")
	if err != nil {
		t.Fatalf("manifest:\n%s\n%v", b.String(), err)
	}

	var mu eventLog
	rep, err := Deploy(ctx, m, WithImage(ref), WithNameOptions(name.Insecure), WithProgress(&mu))
	if err != nil {
		t.Fatalf("Deploy() = %v\n%s", err, mu.String())
	}
	var want []string
	for _, e := range env.Edges {
		want = append(want, fmt.Sprintf("%s %s deployed rolled-back=false", e.Name, e.Platform))
	}
	if diff := cmp.Diff(want, results(rep)); diff != "" {
		t.Errorf("deploy (-want +got):\n%s", diff)
	}
	if first, last := mu.first("health", env.Edges[0].Name), mu.first("connect", env.Edges[1].Name); first < 0 || last < first {
		t.Errorf("the canary %s was not health-checked before %s was contacted:\n%s", env.Edges[0].Name, env.Edges[1].Name, mu.String())
	}
	for _, e := range env.Edges {
		// The broker carries a message from here, through the edge's link.
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		conn, err := (&net.Dialer{}).DialContext(cctx, "tcp", net.JoinHostPort(e.Addr, strconv.Itoa(port)))
		if err == nil {
			err = mqttcheck.Check(cctx, conn, "xedgesim/from-test")
		}
		cancel()
		if err != nil {
			t.Errorf("%s: MQTT round trip: %v", e.Name, err)
		}
		// The engine runs the variant of the host's platform.
		arch, err := exec.Command("docker", "-H", e.DockerHost, "image", "inspect", "--format", "{{.Os}}/{{.Architecture}}",
			containerImage(t, e, service)).Output()
		if got := strings.TrimSpace(string(arch)); err != nil || got != e.Platform {
			t.Errorf("%s runs a %q image (%v), want %s", e.Name, got, err, e.Platform)
		}
	}
	checks, err := Verify(ctx, m, WithImage(ref), WithNameOptions(name.Insecure))
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	for _, c := range checks {
		if !c.OK() || !c.Healthy || !c.DigestMatches {
			t.Errorf("Verify %s = %+v", c.Host, c)
		}
	}
}

// containerImage is the image ID the service's container runs on e.
func containerImage(t *testing.T, e testbed.Edge, service string) string {
	t.Helper()
	out, err := exec.Command("docker", "-H", e.DockerHost, "inspect", "--format", "{{.Image}}", service).Output()
	if err != nil {
		t.Fatalf("%s: inspecting %s: %v", e.Name, service, err)
	}
	return strings.TrimSpace(string(out))
}

// eventLog records a deploy's progress, in order, from every host.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) Report(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// first is the index of host's first event of step, or -1.
func (l *eventLog) first(step, host string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, e := range l.events {
		if e.Step == step && e.Host == host {
			return i
		}
	}
	return -1
}

func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, e := range l.events {
		fmt.Fprintf(&b, "%s %s: %s\n", e.Host, e.Step, e.Message)
	}
	return b.String()
}
