package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// writeDeployDir writes deploy.yaml and other files into a new directory.
func writeDeployDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "deploy.yaml")
}

// TestDryRunChecksFiles: --dry-run reads every files: source: a missing
// one is exit 3 naming its manifest line, before anything is sent.
func TestDryRunChecksFiles(t *testing.T) {
	t.Parallel()
	src := "image: r/app@" + testDigest + "\nservice:\n  name: app\n  files:\n    - {src: app.conf, dst: /opt/app/app.conf}\n    - {src: missing.conf, dst: /opt/app/m.conf}\n  health: {tcp: 80}\n" +
		`hosts: [{name: e1, address: 10.0.0.1, user: pi, fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}]` + "\n"
	path := writeDeployDir(t, map[string]string{"deploy.yaml": src, "app.conf": "x"})
	r := cli(t, "deploy", "-f", path, "--dry-run")
	if r.code != 3 || !strings.Contains(r.stderr, "deploy.yaml:6:7") || !strings.Contains(r.stderr, "missing.conf") {
		t.Errorf("deploy --dry-run with a missing file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	os.WriteFile(filepath.Join(filepath.Dir(path), "missing.conf"), []byte("y"), 0o644)
	if r := cli(t, "deploy", "-f", path, "--dry-run"); r.code != 0 {
		t.Errorf("deploy --dry-run with both files: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestKnownHostsFile: --known-hosts gives the hosts without a host key of
// their own the file's lines, as ssh -o UserKnownHostsFile does.
func TestKnownHostsFile(t *testing.T) {
	t.Parallel()
	src := "image: r/app@" + testDigest + "\nservice: {name: app, health: {tcp: 80}}\nhosts: [{name: e1, address: 10.0.0.11, user: pi}]\n"
	path := writeDeployDir(t, map[string]string{
		"deploy.yaml": src,
		"known_hosts": "10.0.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHwZ0UPHZnXEDr5vSo2UWTpDLMPQtK3ND0OqhaD8cWMJ\n",
		"bad_hosts":   "nonsense\n",
	})
	dir := filepath.Dir(path)
	if r := cli(t, "deploy", "-f", path, "--dry-run"); r.code != 3 || !strings.Contains(r.stderr, "no known_hosts") {
		t.Errorf("without --known-hosts: exit %d\n%s", r.code, r.stderr)
	}
	if r := cli(t, "deploy", "-f", path, "--dry-run", "--known-hosts", filepath.Join(dir, "known_hosts")); r.code != 0 {
		t.Errorf("with --known-hosts: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"bad_hosts", "nope"} {
		if r := cli(t, "deploy", "-f", path, "--dry-run", "--known-hosts", filepath.Join(dir, f)); r.code != 3 || !strings.Contains(r.stderr, "--known-hosts") {
			t.Errorf("--known-hosts %s: exit %d\n%s", f, r.code, r.stderr)
		}
	}
}

func TestSchemaDeploy(t *testing.T) {
	t.Parallel()
	if r := cli(t, "schema", "deploy"); r.code != 0 || r.stdout != string(manifest.Schema()) {
		t.Errorf("schema deploy: exit %d, %.100s", r.code, r.stdout)
	}
	if r := cli(t, "schema", "scenario"); r.code != 0 || r.stdout != cli(t, "schema").stdout {
		t.Errorf("schema scenario: exit %d, not schema's output", r.code)
	}
	if r := cli(t, "schema", "nope"); r.code != 3 {
		t.Errorf("schema nope: exit %d, want 3", r.code)
	}
}
