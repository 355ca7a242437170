package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKnownHostsFile(t *testing.T) {
	t.Parallel()
	const line = "10.0.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
	manifest := func(t *testing.T, file string, withFile bool) string {
		dir := t.TempDir()
		if withFile {
			if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(line), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		src := "image: r.example/a@sha256:" + strings.Repeat("a", 64) + "\nservice: {name: app, health: {tcp: 80}}\n" +
			"hosts:\n  - {name: edge1, address: 10.0.0.11, user: pi}\n  - {name: edge2, address: 10.0.0.12, user: pi, fingerprint: \"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\"}\n" +
			"ssh: {known_hosts_file: " + file + "}\n"
		path := filepath.Join(dir, "deploy.yaml")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	m, err := Load(manifest(t, "known_hosts", true))
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	if m.Hosts[0].KnownHosts != line || m.Hosts[1].KnownHosts != "" || len(m.Hosts[1].Fingerprints) != 1 {
		t.Errorf("hosts' keys: %q, %q %q", m.Hosts[0].KnownHosts, m.Hosts[1].KnownHosts, m.Hosts[1].Fingerprints)
	}
	if !strings.HasSuffix(m.SSH.KnownHostsFile, "/known_hosts") || !filepath.IsAbs(m.SSH.KnownHostsFile) {
		t.Errorf("SSH.KnownHostsFile = %q", m.SSH.KnownHostsFile)
	}

	path := manifest(t, "missing", false)
	_, err = Load(path)
	if err == nil || !strings.Contains(err.Error(), path+":6:25:") || strings.Contains(err.Error(), "hosts[0]") || !strings.Contains(err.Error(), "ssh.known_hosts_file") {
		t.Errorf("Load(missing known_hosts_file) = %v, want one error at 6:25", err)
	}
}
