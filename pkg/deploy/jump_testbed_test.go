package deploy

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// startAgent runs OpenSSH's ssh-agent holding key and points SSH_AUTH_SOCK
// at it for the test.
func startAgent(t *testing.T, key string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatalf("starting ssh-agent: %v", err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if i == 100 {
			t.Fatal("ssh-agent did not create its socket")
		}
		time.Sleep(50 * time.Millisecond)
	}
	add := exec.Command("ssh-add", key)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v: %s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
}

// TestBedJumpHostAndAgent deploys to edge2 through edge1 as the jump host,
// logging in to both with the key held by ssh-agent (the manifest names no
// key). edge2's sshd is only offered on the host's edge-side address
// through a forwarder that records who connects: edge1, not this machine.
func TestBedJumpHostAndAgent(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	jump, target := env.Edges[0], env.Edges[1]
	startAgent(t, jump.KeyFile)
	hostAddr, _, _ := strings.Cut(env.Registry.EdgeHost, ":")
	p := newProxyOn(t, hostAddr+":0", target.SSHAddr(), math.MaxInt64, false)
	_, key, _ := strings.Cut(target.KnownHosts, " ")
	ref := pushHello(t, env)
	service := "xt-jump-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	y := fmt.Sprintf(`service:
  name: %s
  ports: ["%d:8080"]
  health: {http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}
hosts:
  - {name: %s, address: %s, port: %d, user: %s, platform: %s, known_hosts: "[%s]:%d %s"}
ssh:
  jump: {address: %s, port: %d, user: %s, known_hosts: %q}
  timeout: 10s
`, service, port, port, target.Name, hostAddr, p.port(), target.User, target.Platform, hostAddr, p.port(), key, jump.Addr, jump.SSHPort, jump.User, jump.KnownHosts)
	m, err := manifest.Parse([]byte(y), "deploy.yaml")
	if err != nil {
		t.Fatalf("manifest:\n%s\n%v", y, err)
	}
	ctx := context.Background()
	rep, err := Deploy(ctx, m, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID("xt-jump-1"))
	if err != nil {
		t.Fatalf("Deploy() = %v", err)
	}
	if diff := cmp.Diff([]string{fmt.Sprintf("%s %s deployed rolled-back=false", target.Name, target.Platform)}, results(rep)); diff != "" {
		t.Errorf("Deploy() (-want +got):\n%s", diff)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", target.Addr, port)); got != "hello from "+target.Platform {
		t.Errorf("%s answers %q", target.Name, got)
	}
	if _, err := Verify(ctx, m, WithImage(ref), WithNameOptions(name.Insecure)); err != nil {
		t.Errorf("Verify() = %v", err)
	}
	p.mu.Lock()
	from := p.from
	p.mu.Unlock()
	if len(from) == 0 {
		t.Fatal("nothing connected to edge2's sshd through the forwarder")
	}
	for _, f := range from {
		if f != jump.Addr {
			t.Errorf("a connection to %s came from %s, want the jump host %s", target.Name, f, jump.Addr)
		}
	}
}
