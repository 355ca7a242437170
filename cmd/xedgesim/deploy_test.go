package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/ssh"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// writeKey writes an unencrypted ed25519 private key.
func writeKey(t *testing.T, dir string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blk, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(file, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// writeManifest writes a valid deploy.yaml for image with two hosts on
// loopback ports nothing listens on.
func writeManifest(t *testing.T, image string) (string, []int) {
	t.Helper()
	dir := t.TempDir()
	key := writeKey(t, dir)
	ports := []int{closedPort(t), closedPort(t)}
	src := fmt.Sprintf(`image: %s
service:
  name: hello
  ports: ["18080:8080"]
  health: {tcp: 18080, timeout: 5s, window: 1s}
transfer: scp
hosts:
  - {name: edge1, address: 127.0.0.1, port: %d, user: pi, platform: linux/arm64, fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}
  - {name: edge2, address: 127.0.0.1, port: %d, user: pi, fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}
rollout: {canary: 1, batch: 2}
ssh: {key: %s, timeout: 5s}
`, image, ports[0], ports[1], key)
	file := filepath.Join(dir, "deploy.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, ports
}

// pushRandom serves an in-process registry with one random image and
// returns the image's REPO@sha256:....
func pushRandom(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://")+"/acme/hello:test", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return tag.Context().Digest(h.String()).String()
}

func checkRun(t *testing.T, r result, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	all := r.stdout + r.stderr
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("output does not contain %q:\n%s", w, all)
		}
	}
	if strings.Contains(all, "panic") || strings.Contains(all, "goroutine ") {
		t.Errorf("output has a stack trace:\n%s", all)
	}
}

func TestDeployInvalidManifest(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "deploy.yaml")
	src := `image: registry.example.com/acme/hello:latest
service:
  name: hello
  helth: {tcp: 1883}
strategy: compose
hosts:
  - {name: edge1, address: 10.0.0.11, user: pi}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"deploy", "verify"} {
		r := cli(t, verb, "-f", file)
		checkRun(t, r, 3, file+":1:8:", file+":4:3:", file+":5:11:", file+":7:5:")
		// Input errors start the line, for editors and problem matchers.
		if !strings.HasPrefix(r.stderr, file+":") {
			t.Errorf("%s: stderr does not start with file:line:col:\n%s", verb, r.stderr)
		}
	}
	checkRun(t, cli(t, "deploy", "--dry-run", "-f", file), 3, file+":1:8:")
	checkRun(t, cli(t, "deploy", "-f", filepath.Join(t.TempDir(), "nope.yaml")), 3, "nope.yaml", "not found")
	checkRun(t, cli(t, "verify"), 3, "verify needs -f deploy.yaml")
	checkRun(t, cli(t, "deploy", "-f", file, "extra"), 3, "takes no arguments")
}

func TestDeployDryRun(t *testing.T) {
	t.Parallel()
	// The registry is a closed port too: a dry run contacts nothing.
	image := fmt.Sprintf("127.0.0.1:%d/acme/hello@%s", closedPort(t), testDigest)
	file, ports := writeManifest(t, image)
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(t.TempDir(), "report.json")
	r := cli(t, "deploy", "--dry-run", "-f", file, "--report", report)
	checkRun(t, r, 0, "valid; dry run", "strategy: container, start-first (the new release checked beside the old one)", "transfer: scp", "canary 1, batches of 2",
		"edge1", fmt.Sprintf("127.0.0.1:%d", ports[0]), "linux/arm64", "1 (canary)", "edge2", "(detected)", image)
	if strings.Contains(r.stderr, "connecting") {
		t.Errorf("dry run connected:\n%s", r.stderr)
	}
	if _, err := os.Stat(report); !os.IsNotExist(err) {
		t.Errorf("dry run wrote the report (stat: %v)", err)
	}
	after, _ := os.ReadFile(file)
	if string(after) != string(before) {
		t.Error("dry run changed the manifest")
	}

	r = cli(t, "deploy", "--dry-run", "-f", file, "--host", "edge2")
	checkRun(t, r, 0, "edge2")
	if strings.Contains(r.stdout, "edge1") {
		t.Errorf("--host edge2 plans edge1 too:\n%s", r.stdout)
	}
	checkRun(t, cli(t, "deploy", "--dry-run", "-f", file, "--host", "edge9"), 3, "edge9")
	checkRun(t, cli(t, "deploy", "--dry-run", "-f", file, "--image", "registry.example.com/acme/hello:latest"), 3, "REPO@sha256:")
}

func TestDeployUnreachableHost(t *testing.T) {
	t.Parallel()
	image := pushRandom(t)
	file, ports := writeManifest(t, image)
	report := filepath.Join(t.TempDir(), "report.json")
	r := cli(t, "deploy", "-f", file, "--insecure", "--report", report)
	checkRun(t, r, 1, "edge1: connect: connecting to 127.0.0.1", "connecting to edge1",
		fmt.Sprintf("127.0.0.1:%d", ports[0]), "connection refused", "RESULT", "failed")
	var rep struct {
		Image string `json:"image"`
		Hosts []struct {
			Host   string `json:"host"`
			Result string `json:"result"`
			Error  string `json:"error"`
		} `json:"hosts"`
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	// The canary failed, so the rollout stopped before edge2.
	if rep.Image != image || len(rep.Hosts) != 2 || rep.Hosts[0].Result != "failed" || !strings.Contains(rep.Hosts[0].Error, "connection refused") || rep.Hosts[1].Result != "skipped" {
		t.Errorf("report = %s", b)
	}

	checkRun(t, cli(t, "verify", "-f", file, "--host", "edge2"), 1, "edge2", "connection refused", "FAILED")
}

func TestDeployRequireEvidenceRefused(t *testing.T) {
	t.Parallel()
	image := pushRandom(t)
	file, _ := writeManifest(t, image)
	r := cli(t, "deploy", "-f", file, "--insecure", "--require-evidence")
	checkRun(t, r, 2, "no simulation evidence is attached", "refusing to deploy "+image)
	if strings.Contains(r.stderr, "refusing to promote") {
		t.Errorf("deploy words its refusal as promote's:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "connecting") {
		t.Errorf("refused deploy connected to a host:\n%s", r.stderr)
	}
}
