package build

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/ssh"

	"github.com/xedgesim/simulate/internal/testbed"
)

// The tests in this file use the real test bed (scripts/testbed up): they
// skip without it, and fail without it under XEDGESIM_TESTBED=1.

func unique(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// edgeRun runs cmd on an edge over SSH with strict host-key checking.
func edgeRun(t *testing.T, edge testbed.Edge, cmd string) (string, error) {
	t.Helper()
	cfg, err := edge.SSHConfig()
	if err != nil {
		return "", err
	}
	c, err := ssh.Dial("tcp", edge.SSHAddr(), cfg)
	if err != nil {
		return "", fmt.Errorf("dialing %s: %w", edge.Name, err)
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr = &stdout, &stderr
	if err := s.Run(cmd); err != nil {
		return stdout.String(), fmt.Errorf("running %q on %s: %w: %s", cmd, edge.Name, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// pushToBed pushes a result to the bed's plain registry and removes it when
// the test ends; it returns the repository as the edges reach it.
func pushToBed(t *testing.T, env *testbed.Env, res *Result, repo string) string {
	t.Helper()
	reg := env.Registry
	opts, err := reg.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(reg.Host+"/"+repo+":"+unique(t), reg.NameOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Write(context.Background(), res, Output{Kind: OutputRegistry}, WithTags(tag), WithPublisher(&RemotePublisher{Options: opts}))
	if err != nil {
		t.Fatalf("pushing to the bed's registry: %v", err)
	}
	if want := tag.Context().Digest(res.Digest.String()).String(); len(w.Refs) != 1 || w.Refs[0] != want {
		t.Errorf("pushed %q, want %q", w.Refs, want)
	}
	t.Cleanup(func() {
		if err := remote.Delete(tag.Context().Digest(res.Digest.String()), opts...); err != nil {
			t.Logf("deleting %s: %v", tag, err)
		}
	})
	got, err := remote.Head(tag, opts...)
	if err != nil || got.Digest != res.Digest {
		t.Fatalf("the registry has %v (%v) for %s, want %s", got, err, tag, res.Digest)
	}
	return reg.EdgeHost + "/" + repo
}

// TestBedGoBuildRunsOnEdges builds nodes/hello for amd64 and arm64 into an
// OCI layout and into the bed's registry, then pulls it by digest on an
// amd64 edge and on the arm64 edge (qemu) and runs it: each prints its
// own platform.
func TestBedGoBuildRunsOnEdges(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges, testbed.PartArm64)
	res := buildHello(t, WithCreated(time.Unix(1700000000, 0)))
	again := buildHello(t, WithCreated(time.Unix(1700000000, 0)))
	if again.Digest != res.Digest {
		t.Fatalf("two builds gave %s and %s", res.Digest, again.Digest)
	}

	lay := filepath.Join(t.TempDir(), "hello")
	if _, err := Write(context.Background(), res, Output{Kind: OutputOCI, Path: lay}); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != res.Digest {
		t.Fatalf("layout index.json = %+v, want the index %s", im.Manifests, res.Digest)
	}

	repo := pushToBed(t, env, res, "xedgesim-build/hello")
	ref := repo + "@" + res.Digest.String()
	edges := []testbed.Edge{env.Edges[0]}
	arm, _ := env.EdgeFor("linux/arm64")
	edges = append(edges, arm)
	for _, edge := range edges {
		t.Run(edge.Name, func(t *testing.T) {
			t.Parallel()
			if _, err := edgeRun(t, edge, "docker pull -q --platform "+edge.Platform+" "+ref); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := edgeRun(t, edge, "docker image rm -f "+ref); err != nil {
					t.Logf("cleaning up: %v", err)
				}
			})
			got, err := edgeRun(t, edge, "docker run --rm --label xedgesim.test=build --platform "+edge.Platform+" "+ref+" -once")
			if err != nil {
				t.Fatal(err)
			}
			if got != edge.Platform {
				t.Errorf("the image on %s printed %q, want %q", edge.Name, got, edge.Platform)
			}
		})
	}
}

// TestBedDockerfileBuild builds the same program with a Dockerfile on the
// bed's BuildKit and checks the index has the Go build's platforms, and
// that it is reproducible too.
func TestBedDockerfileBuild(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartBuildx, testbed.PartRegistry)
	platforms := []string{"linux/amd64", "linux/arm64"}
	dir := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", filepath.Join(dir, "hello-"+arch), "./nodes/hello")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	dockerfile := "FROM scratch\nARG TARGETARCH\nCOPY hello-${TARGETARCH} /usr/local/bin/hello\nENTRYPOINT [\"/usr/local/bin/hello\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	newDF := func() *Result {
		b, err := NewDockerfile("Dockerfile", WithDir(dir), WithBuilder(env.Builder.Name), WithDocker(env.Docker),
			WithPlatforms(amd64, arm64), WithCreated(time.Unix(1700000000, 0)), WithLabels(map[string]string{"xedgesim.test": "build"}))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		res, err := b.Build(ctx)
		if err != nil {
			t.Fatalf("Dockerfile build: %v", err)
		}
		return res
	}
	res := newDF()
	goRes := buildHello(t)
	if diff := cmp.Diff(goRes.PlatformStrings(), res.PlatformStrings()); diff != "" {
		t.Errorf("platforms of the Dockerfile build vs the Go build (-go +dockerfile):\n%s", diff)
	}
	if diff := cmp.Diff(platforms, res.PlatformStrings()); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
	for _, pi := range res.Platforms {
		cf, err := pi.Image.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if cf.Architecture != pi.Platform.Architecture || cf.Config.Labels["xedgesim.test"] != "build" {
			t.Errorf("%s: config architecture %s, labels %v", PlatformString(pi.Platform), cf.Architecture, cf.Config.Labels)
		}
		if !cf.Created.Time.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("%s: created %v, want SOURCE_DATE_EPOCH", PlatformString(pi.Platform), cf.Created)
		}
	}
	if again := newDF(); again.Digest != res.Digest {
		t.Errorf("two Dockerfile builds gave %s and %s", res.Digest, again.Digest)
	}
	// The same outputs as a Go build: push it.
	pushToBed(t, env, res, "xedgesim-build/hello-dockerfile")
}
