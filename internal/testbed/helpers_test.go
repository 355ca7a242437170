package testbed_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/crypto/ssh"

	"github.com/xedgesim/simulate/internal/testbed"
)

// smokeLabel marks every container the smoke tests start.
const smokeLabel = "xedgesim.testbed=smoke"

var (
	// binDir holds the test programs built for the run; TestMain removes it.
	binDir   string
	buildMu  sync.Mutex
	binaries = map[string]*build{}
)

// build is one program for one architecture, built once per run.
type build struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "xedgesim-testbed-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating the build dir:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildProgram cross-compiles ./testdata/<prog> as a static linux binary for
// goarch, once per run.
func buildProgram(t *testing.T, prog, goarch string) string {
	t.Helper()
	key := prog + "-" + goarch
	buildMu.Lock()
	b, ok := binaries[key]
	if !ok {
		b = &build{}
		binaries[key] = b
	}
	buildMu.Unlock()
	b.once.Do(func() {
		b.path = filepath.Join(binDir, key)
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", b.path, "./testdata/"+prog)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("building testdata/%s for %s: %v\n%s", prog, goarch, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// goarch is the architecture part of a platform such as linux/arm64.
func goarch(t *testing.T, platform string) string {
	t.Helper()
	goos, arch, ok := strings.Cut(platform, "/")
	if !ok || goos != "linux" || arch == "" {
		t.Fatalf("platform %q: want linux/<arch>", platform)
	}
	return arch
}

// helloImage is scratch plus the hello server built for goarch.
func helloImage(t *testing.T, goarch string) v1.Image {
	t.Helper()
	bin, err := os.ReadFile(buildProgram(t, "hello", goarch))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o755, Size: int64(len(bin)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(bin); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf.Bytes())), nil
	})
	if err != nil {
		t.Fatalf("creating layer: %v", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatalf("appending layer: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", goarch
	cf.Config.Entrypoint = []string{"/hello"}
	cf.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}}
	cf.Config.Labels = map[string]string{"xedgesim.testbed": "smoke"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatalf("setting config: %v", err)
	}
	return img
}

// unique is a fresh suffix for tags and names, so parallel and repeated runs
// never collide.
func unique(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// dialEdge opens an SSH connection with strict host-key checking; it is
// closed when the test ends.
func dialEdge(t *testing.T, edge testbed.Edge) *ssh.Client {
	t.Helper()
	cfg, err := edge.SSHConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ssh.Dial("tcp", edge.SSHAddr(), cfg)
	if err != nil {
		t.Fatalf("dialing %s at %s: %v", edge.Name, edge.SSHAddr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sshRun runs cmd on the edge with stdin and returns its stdout; stderr goes
// into the error.
func sshRun(c *ssh.Client, cmd string, stdin io.Reader) (string, error) {
	s, err := c.NewSession()
	if err != nil {
		return "", fmt.Errorf("opening session: %w", err)
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdin, s.Stdout, s.Stderr = stdin, &stdout, &stderr
	if err := s.Run(cmd); err != nil {
		return stdout.String(), fmt.Errorf("running %q: %w: %s", cmd, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// mustRun is sshRun that fails the test.
func mustRun(t *testing.T, c *ssh.Client, cmd string, stdin io.Reader) string {
	t.Helper()
	out, err := sshRun(c, cmd, stdin)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// cleanupRun runs cmd on the edge when the test ends, over a connection of
// its own, and reports (without failing) what it could not remove.
func cleanupRun(t *testing.T, edge testbed.Edge, cmd string) {
	t.Cleanup(func() {
		cfg, err := edge.SSHConfig()
		if err != nil {
			t.Logf("cleaning up on %s: %v", edge.Name, err)
			return
		}
		c, err := ssh.Dial("tcp", edge.SSHAddr(), cfg)
		if err != nil {
			t.Logf("cleaning up on %s: %v", edge.Name, err)
			return
		}
		defer c.Close()
		if _, err := sshRun(c, cmd, nil); err != nil {
			t.Logf("cleaning up on %s: %v", edge.Name, err)
		}
	})
}

// testContext ends with the test or after d.
func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
