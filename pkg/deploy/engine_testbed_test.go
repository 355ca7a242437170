package deploy

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedEngineFallback: through an sshd that refuses streamlocal
// forwarding (AllowStreamLocalForwarding no), the deploy says why it
// cannot reach the engine's socket, runs the docker CLI on the host
// instead, and the service answers; through the edge's own sshd the same
// manifest reaches the Engine API through the connection.
func TestBedEngineFallback(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge1")
	hello := pushNode(t, env, "hello", "xs-fallback")
	service, port := "xs-fallback-"+randHex(t), freePort(t)
	cleanupEdges(t, env, service)
	strict := strictSSHD(t, edge, edge.DockerHost)

	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	var log eventLog
	m := bedManifest(t, env, service, port, health, []testbed.Edge{strict}, "")
	if _, err := Deploy(context.Background(), m, WithImage(hello), WithNameOptions(name.Insecure), WithProgress(&log)); err != nil {
		t.Fatalf("Deploy() through an sshd without streamlocal forwarding = %v\n%s", err, log.String())
	}
	why := log.message("engine", edge.Name)
	t.Logf("%s", log.String())
	if !strings.Contains(why, "cannot be reached over SSH") || !strings.Contains(why, "ssh: rejected") || !strings.HasSuffix(why, "running the docker CLI on the host instead") {
		t.Errorf("the engine step says %q, want why the socket cannot be reached and that the CLI runs instead", why)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("%s answers %q after the deploy through the CLI", edge.Name, got)
	}
	// A redeploy through the CLI checks its candidate on ephemeral host
	// ports: the CLI is not asked whether the host reaches containers.
	w := watchCandidate(t, env, edge, service)
	hello = pushNode(t, env, "hello", "xs-fallback")
	if _, err := Deploy(context.Background(), m, WithImage(hello), WithNameOptions(name.Insecure), WithProgress(w)); err != nil {
		t.Fatalf("redeploy through the CLI = %v", err)
	}
	w.check(false)

	log = eventLog{}
	m = bedManifest(t, env, service, port, health, []testbed.Edge{edge}, "")
	if _, err := Verify(context.Background(), m, WithImage(hello), WithNameOptions(name.Insecure), WithProgress(&log)); err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	if got := log.message("engine", edge.Name); got != "the Engine API through the SSH connection" {
		t.Errorf("through the edge's sshd the engine step says %q, want the Engine API", got)
	}
}

// TestBedEngineFallbackKeepsDockerHost: when the manifest names the
// engine's socket and the Engine API cannot reach it, the docker CLI that
// takes over reaches that engine too, not the host's default one (here the
// machine's own engine: a service there would not answer on the edge).
func TestBedEngineFallbackKeepsDockerHost(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge1")
	hello := pushNode(t, env, "hello", "xs-fallback")
	service, port := "xs-fallback-"+randHex(t), freePort(t)
	cleanupEdges(t, env, service)
	strict := strictSSHD(t, edge, "") // sessions without DOCKER_HOST

	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	var log eventLog
	m := bedManifest(t, env, service, port, health, []testbed.Edge{strict}, "")
	m.SSH.DockerHost = edge.DockerHost
	if _, err := Deploy(context.Background(), m, WithImage(hello), WithNameOptions(name.Insecure), WithProgress(&log)); err != nil {
		t.Fatalf("Deploy() through an sshd without streamlocal forwarding = %v\n%s", err, log.String())
	}
	if why := log.message("engine", edge.Name); !strings.HasSuffix(why, "running the docker CLI on the host instead") {
		t.Errorf("the engine step says %q, want that the CLI runs instead", why)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("%s answers %q after the deploy through the CLI with ssh.docker_host", edge.Name, got)
	}
}

// message is host's first message of step, or "".
func (l *eventLog) message(step, host string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if e.Step == step && e.Host == host {
			return e.Message
		}
	}
	return ""
}

// strictSSHD starts a second sshd in e's network namespace, on a port of
// its own, with e's host key and logins but no streamlocal forwarding, and
// returns e as reached through it; its sessions get DOCKER_HOST dockerHost
// (none when empty). It stops with the test.
func strictSSHD(t *testing.T, e testbed.Edge, dockerHost string) testbed.Edge {
	t.Helper()
	dir := filepath.Dir(e.KeyFile)
	keys, _ := filepath.Glob(filepath.Join(dir, e.Name+"_host_*_key"))
	if len(keys) != 1 {
		t.Fatalf("want one host key of %s in %s, found %v", e.Name, dir, keys)
	}
	port := freePort(t)
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "sshd_config")
	setDockerHost := ""
	if dockerHost != "" {
		setDockerHost = "DOCKER_HOST=" + dockerHost + " "
	}
	body := fmt.Sprintf(`ListenAddress %s:%d
HostKey %s
PidFile %s/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
SetEnv %sXEDGESIM_EDGE=%s
AllowStreamLocalForwarding no
`, e.Addr, port, keys[0], tmp, filepath.Join(dir, "authorized_keys"), setDockerHost, e.Name)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("nsenter", "--net=/var/run/netns/"+e.NetNS, "/usr/sbin/sshd", "-D", "-e", "-f", cfg) // #nosec G204 -- the bed's namespace and a config this test wrote
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sshd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort(e.Addr, strconv.Itoa(port))
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd on %s does not answer: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, key, _ := strings.Cut(e.KnownHosts, " ")
	e.SSHPort = port
	e.KnownHosts = "[" + e.Addr + "]:" + strconv.Itoa(port) + " " + key
	return e
}
