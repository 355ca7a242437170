package main

import (
	"io"
	"log"
	"net/http/httptest"

	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/ssh"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// testKey returns a new ed25519 private key in OpenSSH format, encrypted
// when passphrase is not empty.
func testKey(t *testing.T, passphrase string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(priv, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

const actionKnownHosts = "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIVe0h+nseKdDLjp3ox07uTjMoXW7IA4mOSTlNqSbc4c"

// TestGHADeploySecrets runs the deploy and verify actions' verbs as the
// runner does, with the SSH key, its passphrase and known_hosts as inputs,
// against a host that does not answer. Each secret line is masked before
// anything else is printed, no other line shows it, and no file the run
// could write (its temporary directory, the workspace) ever holds the key.
func TestGHADeploySecrets(t *testing.T) {
	t.Parallel()
	const passphrase = "correct horse battery staple"
	key := testKey(t, passphrase)
	for _, verb := range []string{"deploy", "verify", "undeploy"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			ws, tmp := t.TempDir(), t.TempDir()
			manifestFile := filepath.Join(ws, "deploy.yaml")
			m := "image: " + testRegistryImage(t) + "\nservice: {name: xa-secrets, health: {tcp: 8080}}\nhosts:\n  - {name: edge1, address: 127.0.0.1, port: " + strconv.Itoa(closedPort(t)) + ", user: pi}\nssh: {timeout: 2s}\n"
			if err := os.WriteFile(manifestFile, []byte(m), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(ws, "out")
			r := runEnvDir(t, ws, []string{
				"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + out, "GITHUB_STEP_SUMMARY=" + filepath.Join(ws, "summary"),
				"GITHUB_WORKSPACE=" + ws, "TMPDIR=" + tmp, "RUNNER_TEMP=" + tmp,
				"INPUT_MANIFEST=deploy.yaml", "INPUT_SSH-KEY=" + key, "INPUT_PASSPHRASE=" + passphrase,
				"INPUT_KNOWN-HOSTS=" + actionKnownHosts, "INPUT_INSECURE=true", "INPUT_REPORT=", "INPUT_ALL-HOSTS=true",
			}, "gha", verb)
			if r.code != 1 || !strings.Contains(r.stderr+r.stdout, "connection refused") || !strings.Contains(r.stderr+r.stdout, "edge1") {
				t.Fatalf("gha %s: exit %d, want 1 (host not reached)\n%s%s", verb, r.code, r.stdout, r.stderr)
			}
			// The masks come first, one per line of each secret.
			var masks []string
			for line := range strings.Lines(r.stdout) {
				if !strings.HasPrefix(line, "::add-mask::") {
					break
				}
				masks = append(masks, strings.TrimSpace(strings.TrimPrefix(line, "::add-mask::")))
			}
			var want []string
			for _, s := range []string{key, passphrase, actionKnownHosts} {
				for line := range strings.Lines(s) {
					if line = strings.TrimSpace(line); line != "" {
						want = append(want, line)
					}
				}
			}
			if diff := cmp.Diff(want, masks); diff != "" {
				t.Errorf("mask lines at the start of stdout (-want +got):\n%s", diff)
			}
			rest := strings.TrimPrefix(r.stdout, strings.Join(prefixAll("::add-mask::", masks), ""))
			for _, secret := range append(keyLines(key), passphrase) {
				if strings.Contains(rest, secret) || strings.Contains(r.stderr, secret) {
					t.Errorf("a secret line %q shows in the output after its mask", secret)
				}
			}
			// Nothing on disk holds the key: the temporary directory is
			// empty and no file of the workspace has a line of it.
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Errorf("the temporary directory holds %d entries after the run, want none", len(entries))
			}
			filepath.WalkDir(ws, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, _ := os.ReadFile(p)
				for _, line := range keyLines(key)[1:2] {
					if strings.Contains(string(b), line) {
						t.Errorf("%s holds the key", p)
					}
				}
				return nil
			})
		})
	}
}

func prefixAll(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s + "\n"
	}
	return out
}

// keyLines are the lines of a PEM key, the BEGIN line first.
func keyLines(key string) []string {
	var out []string
	for line := range strings.Lines(key) {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// TestGHADeployKeyErrors checks that a key the action cannot use is a bad
// input (exit 3) whose message names the problem and never the key.
func TestGHADeployKeyErrors(t *testing.T) {
	t.Parallel()
	encrypted := testKey(t, "secret")
	tests := []struct {
		name, key, passphrase, want string
	}{
		{"encrypted without passphrase", encrypted, "", "input ssh-key is encrypted; give its passphrase in the passphrase input"},
		{"wrong passphrase", encrypted, "wrong", "parsing input ssh-key: x509: decryption password incorrect"},
		{"not a key", "hello", "", "parsing input ssh-key: ssh: no key found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := t.TempDir()
			m := "image: 127.0.0.1:1/app@sha256:" + strings.Repeat("a", 64) + "\nservice: {name: xa-keys, health: {tcp: 8080}}\nhosts:\n  - {name: edge1, address: 127.0.0.1, port: 1, user: pi, known_hosts: '" + actionKnownHosts + "'}\n"
			if err := os.WriteFile(filepath.Join(ws, "deploy.yaml"), []byte(m), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runEnvDir(t, ws, []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + filepath.Join(ws, "out"), "GITHUB_STEP_SUMMARY=" + filepath.Join(ws, "sum"),
				"INPUT_SSH-KEY=" + tc.key, "INPUT_PASSPHRASE=" + tc.passphrase, "INPUT_KNOWN-HOSTS=", "INPUT_MANIFEST=", "INPUT_REPORT="}, "gha", "deploy")
			if r.code != 3 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, want 3 and %q\n%s%s", r.code, tc.want, r.stdout, r.stderr)
			}
			if lines := keyLines(tc.key); len(lines) > 2 && strings.Contains(r.stderr, lines[1]) {
				t.Errorf("the error shows the key")
			}
		})
	}
}

// TestGHADeployKnownHosts checks the known-hosts input: it fills in the
// hosts the manifest gives no key for (the dry run then passes), it leaves
// a host's own key alone, and any other mistake is still reported at its
// line in the file as written.
func TestGHADeployKnownHosts(t *testing.T) {
	t.Parallel()
	digest := "127.0.0.1:5010/app@sha256:" + strings.Repeat("b", 64)
	tests := []struct {
		name, manifest, knownHosts string
		code                       int
		want                       string
	}{
		{"filled in", "service: {name: xa-kh, health: {tcp: 80}}\nhosts:\n  - {name: a, address: 10.0.0.1, user: pi}\n  - name: b\n    address: 10.0.0.2\n    user: pi\n", actionKnownHosts, 0, "deploy.yaml: valid; dry run"},
		{"missing without the input", "service: {name: xa-kh, health: {tcp: 80}}\nhosts:\n  - {name: a, address: 10.0.0.1, user: pi}\n", "", 3, "deploy.yaml:3:5"},
		{"other mistake keeps its line", "service: {name: xa-kh, health: {tcp: 80}}\nhosts:\n  - {name: a, address: 10.0.0.1, user: pi}\nrollout: {canary: x}\n", actionKnownHosts, 3, "deploy.yaml:4:"},
		{"bad input", "service: {name: xa-kh, health: {tcp: 80}}\nhosts:\n  - {name: a, address: 10.0.0.1, user: pi}\n", "not a known_hosts line", 3, `input "known-hosts"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := t.TempDir()
			if err := os.WriteFile(filepath.Join(ws, "deploy.yaml"), []byte(tc.manifest), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runEnvDir(t, ws, []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + filepath.Join(ws, "out"), "GITHUB_STEP_SUMMARY=" + filepath.Join(ws, "sum"),
				"INPUT_KNOWN-HOSTS=" + tc.knownHosts, "INPUT_DRY-RUN=true", "INPUT_IMAGE=" + digest, "INPUT_MANIFEST=", "INPUT_SSH-KEY=", "INPUT_PASSPHRASE="}, "gha", "deploy")
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Fatalf("exit %d, want %d and %q\n%s%s", r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
			if tc.code == 0 {
				b, _ := os.ReadFile(filepath.Join(ws, "out"))
				if !strings.Contains(string(b), "sha256:"+strings.Repeat("b", 64)) {
					t.Errorf("outputs = %q, want the digest", b)
				}
			}
		})
	}
}

// TestWithKnownHosts checks that only hosts without a key of their own get
// the lines.
func TestWithKnownHosts(t *testing.T) {
	t.Parallel()
	in := "service: {name: s, health: {tcp: 80}}\nhosts:\n  - {name: a, address: 10.0.0.1, user: pi}\n  - {name: b, address: 10.0.0.2, user: pi, fingerprint: 'SHA256:" + strings.Repeat("A", 43) + "'}\n"
	out, err := withKnownHosts([]byte(in), actionKnownHosts)
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(out, "deploy.yaml")
	if err != nil {
		t.Fatalf("Parse(patched) = %v\n%s", err, out)
	}
	got := [][2]string{{m.Hosts[0].KnownHosts, strings.Join(m.Hosts[0].Fingerprints, ",")}, {m.Hosts[1].KnownHosts, strings.Join(m.Hosts[1].Fingerprints, ",")}}
	want := [][2]string{{actionKnownHosts, ""}, {"", "SHA256:" + strings.Repeat("A", 43)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hosts' keys (-want +got):\n%s", diff)
	}
}

// runEnvDir is runEnv in directory dir, with only the given INPUT_*
// variables of the test's own environment.
func runEnvDir(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(xedgesim, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INPUT_") && !strings.HasPrefix(kv, "GITHUB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// testRegistryImage pushes a random image to an in-process registry and
// returns it by digest.
func testRegistryImage(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/app:t")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(d.String()).String()
}
