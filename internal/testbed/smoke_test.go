package testbed_test

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestRegistryPushPull pushes a random image to each registry and pulls it
// back by digest.
func TestRegistryPushPull(t *testing.T) {
	tests := []struct {
		name string
		part testbed.Part
		reg  func(*testbed.Env) testbed.Registry
	}{
		{"plain", testbed.PartRegistry, func(e *testbed.Env) testbed.Registry { return e.Registry }},
		{"tls+auth", testbed.PartTLSRegistry, func(e *testbed.Env) testbed.Registry { return e.TLSRegistry }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reg := tc.reg(testbed.Need(t, tc.part))
			opts, err := reg.RemoteOptions()
			if err != nil {
				t.Fatal(err)
			}
			img, err := random.Image(1024, 2)
			if err != nil {
				t.Fatal(err)
			}
			want, err := img.Digest()
			if err != nil {
				t.Fatal(err)
			}
			tag, err := name.NewTag(reg.Host+"/xedgesim-smoke/random:"+unique(t), reg.NameOptions()...)
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(tag, img, opts...); err != nil {
				t.Fatalf("pushing %s: %v", tag, err)
			}
			byDigest := tag.Context().Digest(want.String())
			t.Cleanup(func() {
				if err := remote.Delete(byDigest, opts...); err != nil {
					t.Logf("deleting %s: %v", byDigest, err)
				}
			})
			for _, ref := range []name.Reference{tag, byDigest} {
				got, err := remote.Image(ref, opts...)
				if err != nil {
					t.Fatalf("pulling %s: %v", ref, err)
				}
				gotDigest, err := got.Digest()
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want.String(), gotDigest.String()); diff != "" {
					t.Errorf("digest of %s (-pushed +pulled):\n%s", ref, diff)
				}
				// Read every layer too: a registry that keeps manifests but
				// loses blobs must fail here.
				layers, err := got.Layers()
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range layers {
					rc, err := l.Compressed()
					if err != nil {
						t.Fatalf("fetching layer of %s: %v", ref, err)
					}
					_, err = io.Copy(io.Discard, rc)
					rc.Close()
					if err != nil {
						t.Fatalf("reading layer of %s: %v", ref, err)
					}
				}
			}
		})
	}
}

// TestTLSRegistryRefuses checks that the TLS registry really asks for the
// password and really uses the bed's CA.
func TestTLSRegistryRefuses(t *testing.T) {
	env := testbed.Need(t, testbed.PartTLSRegistry)
	reg := env.TLSRegistry
	trusting, err := reg.Transport()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		transport http.RoundTripper
		auth      authn.Authenticator
		check     func(error) bool
	}{
		{"anonymous push", trusting, authn.Anonymous, isUnauthorized},
		{"wrong password", trusting, &authn.Basic{Username: reg.Username, Password: reg.Password + "x"}, isUnauthorized},
		{"system roots only", remote.DefaultTransport, reg.Authenticator(), isUnknownAuthority},
	}
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tag, err := name.NewTag(reg.Host + "/xedgesim-smoke/refused:" + unique(t))
			if err != nil {
				t.Fatal(err)
			}
			err = remote.Write(tag, img, remote.WithTransport(tc.transport), remote.WithAuth(tc.auth))
			if err == nil {
				t.Fatalf("pushing %s succeeded, want it refused", tag)
			}
			if !tc.check(err) {
				t.Errorf("pushing %s: got %v, want it refused for %s", tag, err, tc.name)
			}
		})
	}
}

func isUnauthorized(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusUnauthorized
}

func isUnknownAuthority(err error) bool {
	return strings.Contains(err.Error(), "certificate signed by unknown authority")
}

// TestEdgeSSH logs in to each edge with strict host-key checking and checks
// that the session runs in the edge's namespace, against its own engine.
func TestEdgeSSH(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	for _, edge := range env.Edges {
		t.Run(edge.Name, func(t *testing.T) {
			t.Parallel()
			c := dialEdge(t, edge)
			got := mustRun(t, c, `echo "$DOCKER_HOST"; ip -4 -o addr show dev eth0 | awk '{print $4}'`, nil)
			want := edge.DockerHost + "\n" + edge.Addr + "/24"
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DOCKER_HOST and eth0 address on %s (-want +got):\n%s", edge.Name, diff)
			}
			// The engine the session talks to is the edge's own: its
			// bridge lives in the edge's namespace, not the host's.
			info := mustRun(t, c, `docker info --format '{{.DockerRootDir}}'`, nil)
			if !strings.Contains(info, "/"+edge.Name+"/") {
				t.Errorf("docker root dir on %s = %q, want the edge's own", edge.Name, info)
			}
			// Everything the edge runs, each login too, is below its
			// cgroup, where the bench gives it a share of the CPU.
			if cg, got := edgeCgroup(t, env, edge), mustRun(t, c, "cat /proc/self/cgroup", nil); !inCgroup(got, cg) {
				t.Errorf("a login on %s runs in\n%s\nwant the edge's cgroup %s", edge.Name, got, cg)
			}
		})
	}
}

// TestEdgeRejectsWrongHostKey checks that host-key checking is strict: a
// known_hosts file without the edge's real key refuses the connection.
func TestEdgeRejectsWrongHostKey(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	edge, other := env.Edges[0], env.Edges[len(env.Edges)-1]
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	_, _, otherKey, _, _, err := ssh.ParseKnownHosts([]byte(other.KnownHosts))
	if err != nil {
		t.Fatalf("parsing %s's known_hosts line: %v", other.Name, err)
	}
	tests := []struct {
		name       string
		knownHosts string
		wantKnown  bool // the host is listed, with another key
	}{
		{"fresh key of the same type", knownhosts.Line([]string{edge.Addr}, fresh.PublicKey()), true},
		{"another edge's key", knownhosts.Line([]string{edge.Addr}, otherKey), true},
		{"host not listed", other.KnownHosts, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "known_hosts")
			if err := os.WriteFile(file, []byte(tc.knownHosts+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			e := edge
			e.KnownHostsFile = file
			cfg, err := e.SSHConfig()
			if err != nil {
				t.Fatal(err)
			}
			c, err := ssh.Dial("tcp", e.SSHAddr(), cfg)
			if err == nil {
				c.Close()
				t.Fatalf("dialing %s succeeded with a wrong known_hosts", e.Name)
			}
			var keyErr *knownhosts.KeyError
			if !errors.As(err, &keyErr) {
				t.Fatalf("dialing %s: got %v, want a knownhosts.KeyError", e.Name, err)
			}
			if got := len(keyErr.Want) > 0; got != tc.wantKnown {
				t.Errorf("host listed with another key = %v, want %v (%v)", got, tc.wantKnown, err)
			}
		})
	}
}

// TestEdgeRunsContainer loads a scratch image through the SSH session's
// stdin into each edge's engine, runs it with a published port and reaches
// the port from the host. On the arm64 edge the image is arm64 and runs
// through qemu.
func TestEdgeRunsContainer(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	for _, edge := range env.Edges {
		t.Run(edge.Name, func(t *testing.T) {
			t.Parallel()
			arch := goarch(t, edge.Platform)
			img := helloImage(t, arch)
			id, err := img.ConfigName()
			if err != nil {
				t.Fatal(err)
			}
			tag, err := name.NewTag("xedgesim-smoke/hello:" + unique(t))
			if err != nil {
				t.Fatal(err)
			}
			var tarBuf bytes.Buffer
			if err := tarball.Write(tag, img, &tarBuf); err != nil {
				t.Fatalf("writing image tarball: %v", err)
			}
			c := dialEdge(t, edge)
			cleanupRun(t, edge, "docker image rm -f "+id.String())
			mustRun(t, c, "docker load", &tarBuf)
			gotID := mustRun(t, c, "docker image inspect --format '{{.Id}}' "+tag.RepositoryStr()+":"+tag.TagStr(), nil)
			if diff := cmp.Diff(id.String(), gotID); diff != "" {
				t.Fatalf("image id after docker load on %s (-want +got):\n%s", edge.Name, diff)
			}
			ctr := mustRun(t, c, fmt.Sprintf("docker run -d --label %s --platform %s -p 8080 %s", smokeLabel, edge.Platform, id), nil)
			cleanupRun(t, edge, "docker rm -f "+ctr)
			pid := mustRun(t, c, "docker inspect -f '{{.State.Pid}}' "+ctr, nil)
			cgs, err := os.ReadFile("/proc/" + pid + "/cgroup")
			if err != nil {
				t.Fatal(err)
			}
			if cg := edgeCgroup(t, env, edge); !inCgroup(string(cgs), cg) || !strings.Contains(string(cgs), "/"+ctr) {
				t.Errorf("the container on %s runs in\n%s\nwant the container's own below the edge's cgroup %s", edge.Name, cgs, cg)
			}
			port := publishedPort(t, mustRun(t, c, "docker port "+ctr+" 8080/tcp", nil))
			body := httpGet(t, "http://"+net.JoinHostPort(edge.Addr, port)+"/")
			if want := "hello from xedgesim-smoke on " + arch + "\n"; body != want {
				t.Errorf("GET from %s's container = %q, want %q", edge.Name, body, want)
			}
		})
	}
}

// TestEdgePullsByDigest pushes an image to the plain registry from the host
// and pulls it by digest on each edge, through the edges' address of the
// registry.
func TestEdgePullsByDigest(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges, testbed.PartRegistry)
	reg := env.Registry
	opts, err := reg.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	for _, edge := range env.Edges {
		t.Run(edge.Name, func(t *testing.T) {
			t.Parallel()
			img := helloImage(t, goarch(t, edge.Platform))
			digest, err := img.Digest()
			if err != nil {
				t.Fatal(err)
			}
			id, err := img.ConfigName()
			if err != nil {
				t.Fatal(err)
			}
			repo := "xedgesim-smoke/pull-" + edge.Name
			tag, err := name.NewTag(reg.Host+"/"+repo+":"+unique(t), reg.NameOptions()...)
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(tag, img, opts...); err != nil {
				t.Fatalf("pushing %s: %v", tag, err)
			}
			t.Cleanup(func() {
				if err := remote.Delete(tag.Context().Digest(digest.String()), opts...); err != nil {
					t.Logf("deleting %s@%s: %v", tag.Context(), digest, err)
				}
			})
			c := dialEdge(t, edge)
			ref := reg.EdgeHost + "/" + repo + "@" + digest.String()
			cleanupRun(t, edge, "docker image rm -f "+id.String())
			mustRun(t, c, "docker pull -q --platform "+edge.Platform+" "+ref, nil)
			gotID := mustRun(t, c, "docker image inspect --format '{{.Id}}' "+ref, nil)
			if diff := cmp.Diff(id.String(), gotID); diff != "" {
				t.Errorf("image id of %s on %s (-want +got):\n%s", ref, edge.Name, diff)
			}
		})
	}
}

// TestArm64Binary copies an arm64 binary to the arm64 edge over SSH and
// runs it there.
func TestArm64Binary(t *testing.T) {
	env := testbed.Need(t, testbed.PartArm64)
	edge, _ := env.EdgeFor("linux/arm64")
	bin, err := os.ReadFile(buildProgram(t, "arch", "arm64"))
	if err != nil {
		t.Fatal(err)
	}
	if !isELF(bin, 183) { // EM_AARCH64: the test must not pass on an amd64 binary
		t.Fatal("the cross-compiled binary is not an aarch64 ELF")
	}
	c := dialEdge(t, edge)
	// Copy through stdin, run, and remove it whatever happens.
	got := mustRun(t, c, `f=$(mktemp /tmp/xedgesim-arch.XXXXXX) && trap 'rm -f "$f"' EXIT && cat >"$f" && chmod 755 "$f" && "$f"`, bytes.NewReader(bin))
	if got != "arm64" {
		t.Errorf("arm64 binary on %s printed %q, want %q", edge.Name, got, "arm64")
	}
}

// isELF reports whether b is a 64-bit little-endian ELF for machine.
func isELF(b []byte, machine uint16) bool {
	return len(b) > 20 && string(b[:4]) == "\x7fELF" && b[4] == 2 && b[5] == 1 &&
		uint16(b[18])|uint16(b[19])<<8 == machine
}

// TestBuildxTwoPlatforms builds a two-platform image on the bed's BuildKit
// builder, with a RUN step that executes under emulation for arm64, and
// pushes it to the plain registry.
func TestBuildxTwoPlatforms(t *testing.T) {
	env := testbed.Need(t, testbed.PartBuildx, testbed.PartRegistry)
	reg := env.Registry
	dir := t.TempDir()
	platforms := []string{"linux/amd64", "linux/arm64"}
	for _, p := range platforms {
		arch := goarch(t, p)
		bin, err := os.ReadFile(buildProgram(t, "arch", arch))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "arch-"+arch), bin, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// No base image can be pulled here: scratch plus a static binary, and an
	// exec-form RUN that needs no shell.
	dockerfile := "FROM scratch\nARG TARGETARCH\nCOPY arch-${TARGETARCH} /arch\nRUN [\"/arch\", \"-o\", \"/arch.txt\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	tag := reg.Host + "/xedgesim-smoke/buildx:" + unique(t)
	meta := filepath.Join(t.TempDir(), "metadata.json")
	cmd := exec.CommandContext(testContext(t, 10*time.Minute), env.Docker, "buildx", "build",
		"--builder", env.Builder.Name,
		"--platform", strings.Join(platforms, ","),
		"--provenance=false", "--sbom=false",
		// The RUN step must execute, under emulation for arm64, on every run.
		"--no-cache",
		"--metadata-file", meta,
		"--push", "-t", tag, dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker buildx build: %v\n%s", err, out)
	}

	opts, err := reg.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(tag, reg.NameOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref, opts...)
	if err != nil {
		t.Fatalf("pulling the index of %s: %v", tag, err)
	}
	digest, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := remote.Delete(ref.Context().Digest(digest.String()), opts...); err != nil {
			t.Logf("deleting %s@%s: %v", ref.Context(), digest, err)
		}
	})
	if got := buildxDigest(t, meta); got != digest.String() {
		t.Errorf("buildx reported digest %s, the registry has %s", got, digest)
	}
	manifest, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, desc := range manifest.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform", desc.Digest)
		}
		p := desc.Platform.OS + "/" + desc.Platform.Architecture
		got = append(got, p)
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatalf("pulling the %s image: %v", p, err)
		}
		// The RUN step wrote the architecture it ran as: arm64 proves
		// emulation inside BuildKit.
		if content := fileInImage(t, img, "arch.txt"); content != desc.Platform.Architecture+"\n" {
			t.Errorf("/arch.txt in the %s image = %q, want %q", p, content, desc.Platform.Architecture+"\n")
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(platforms, got); diff != "" {
		t.Errorf("platforms in the pushed index (-want +got):\n%s", diff)
	}
}

// buildxDigest reads the image digest from a buildx metadata file.
func buildxDigest(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("reading buildx metadata: %v", err)
	}
	var meta struct {
		Digest string `json:"containerimage.digest"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatalf("parsing buildx metadata: %v", err)
	}
	return meta.Digest
}

// fileInImage returns a file of the image's flattened filesystem.
func fileInImage(t *testing.T, img v1.Image, path string) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("no %s in the image", path)
		}
		if err != nil {
			t.Fatalf("reading the image's filesystem: %v", err)
		}
		if strings.TrimPrefix(h.Name, "/") == path {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

// publishedPort is the host port from `docker port` output such as
// "0.0.0.0:49153" (one line per address family).
func publishedPort(t *testing.T, out string) string {
	t.Helper()
	first, _, _ := strings.Cut(out, "\n")
	i := strings.LastIndex(first, ":")
	if i < 0 || i == len(first)-1 {
		t.Fatalf("docker port printed %q, want address:port", out)
	}
	return first[i+1:]
}

// httpGet retries for a while: the server needs a moment to start, longer
// under emulation.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 3 * time.Second}
	var last error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		resp, err := client.Get(url)
		if err != nil {
			last = err
			continue
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			last = err
			continue
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
		}
		return string(b)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

// TestActRunsWorkflow runs a local workflow with act in host mode.
func TestActRunsWorkflow(t *testing.T) {
	env := testbed.Need(t, testbed.PartAct)
	dir := t.TempDir()
	workflow := `name: smoke
on: push
jobs:
  smoke:
    runs-on: ubuntu-latest
    steps:
      - name: say the answer
        run: echo "xedgesim-act-smoke $((6 * 7))"
`
	wf := filepath.Join(dir, ".github", "workflows", "smoke.yml")
	if err := os.MkdirAll(filepath.Dir(wf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(wf, []byte(workflow), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(testContext(t, 5*time.Minute), env.Act, "push",
		"-P", "ubuntu-latest=-self-hosted", "--no-cache-server", "-W", wf)
	cmd.Dir = dir
	// act keeps its caches and host-mode work dirs under these.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("act: %v\n%s", err, out)
	}
	// 42 only appears if a shell ran the step; the workflow text has 6 * 7.
	if !bytes.Contains(out, []byte("xedgesim-act-smoke 42")) {
		t.Errorf("act output lacks the step's output %q:\n%s", "xedgesim-act-smoke 42", out)
	}
	if !bytes.Contains(out, []byte("Success - Main say the answer")) {
		t.Errorf("act output does not report the step's success:\n%s", out)
	}
}

// edgeCgroup is the path of edge's cgroup, as /proc/PID/cgroup names it:
// its CPU cgroup's directory below the hierarchy's mount.
func edgeCgroup(t *testing.T, env *testbed.Env, edge testbed.Edge) string {
	t.Helper()
	dir := env.Var(strings.ToUpper(edge.Name) + "_CPU_CGROUP")
	if dir == "" {
		t.Fatalf("the env file names no CPU cgroup for %s", edge.Name)
	}
	return "/" + filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
}

// inCgroup reports whether a /proc/PID/cgroup text puts the process in cg
// or below it, in the cpu hierarchy (cgroup v1) or the unified one (v2).
func inCgroup(procCgroup, cg string) bool {
	for _, l := range strings.Split(strings.TrimSpace(procCgroup), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 && strings.HasPrefix(f[2]+"/", cg+"/") && (f[0] == "0" && f[1] == "" || slices.Contains(strings.Split(f[1], ","), "cpu")) {
			return true
		}
	}
	return false
}
