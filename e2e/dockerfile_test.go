package e2e

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/internal/testbed"
)

// goBaseImage pushes a minimal golang-like image made from this machine's
// Go toolchain (GOROOT without its tests and docs, busybox for /bin/sh and
// the few commands the Dockerfile runs, CA certificates) to the bed's
// registry, and returns it by digest. No image can be pulled from Docker
// Hub here; this is what the Dockerfile's GO_IMAGE argument is for. The
// image is kept under a name made of the Go version and busybox's hash, so
// later runs reuse it.
func goBaseImage(t *testing.T, env *testbed.Env) string {
	t.Helper()
	goroot := strings.TrimSpace(goEnv(t, "GOROOT"))
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatalf("busybox (busybox-static, installed by scripts/testbed): %v", err)
	}
	bb, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append([]byte(runtime.Version()+goroot), bb...))
	repo, err := name.NewRepository(env.Registry.Host + "/e2e/xa-gobase")
	if err != nil {
		t.Fatal(err)
	}
	tag := repo.Tag(strings.TrimPrefix(runtime.Version(), "go") + "-" + hex.EncodeToString(sum[:6]))
	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	if desc, err := remote.Head(tag, opts...); err == nil {
		return repo.Digest(desc.Digest.String()).String()
	}

	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeGoBase(pw, goroot, bb)) }()
		return pr, nil
	}, tarball.WithCompressionLevel(gzip.BestSpeed))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		OS: "linux", Architecture: runtime.GOARCH,
		Config: v1.Config{Env: []string{
			"PATH=/usr/local/go/bin:/go/bin:/bin",
			"GOPATH=/go", "HOME=/root", "GOTOOLCHAIN=local",
			"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		}, WorkingDir: "/go"},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		t.Fatalf("pushing the Go base image: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return repo.Digest(d.String()).String()
}

// writeGoBase writes the base image's one layer.
func writeGoBase(w io.Writer, goroot string, busybox []byte) error {
	tw := tar.NewWriter(w)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	for _, d := range []string{"bin", "etc", "etc/ssl", "etc/ssl/certs", "go", "root", "usr", "usr/local"} {
		if err := dir(d, 0o755); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777}); err != nil {
		return err
	}
	if err := file("bin/busybox", 0o755, busybox); err != nil {
		return err
	}
	for _, applet := range []string{"sh", "mkdir", "cp", "chmod", "ls", "cat", "rm", "mv", "env"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + applet, Linkname: "busybox"}); err != nil {
			return err
		}
	}
	certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt")
	if err != nil {
		return err
	}
	if err := file("etc/ssl/certs/ca-certificates.crt", 0o644, certs); err != nil {
		return err
	}
	// GOROOT, less what building needs not: tests, test data and docs.
	return filepath.WalkDir(goroot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(goroot, p)
		if d.IsDir() && (rel == "test" || rel == "doc" || rel == "api" || rel == "misc" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, "_test.go") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if hdr.Linkname, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr.Name = filepath.ToSlash(filepath.Join("usr/local/go", rel))
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
}

// TestDockerfile builds the repository's Dockerfile for amd64 and arm64
// with our own build verb (docker buildx on the bed's BuildKit), from a Go
// base image made here, pushes it, and runs `xedgesim version` from each
// platform's image in the host's engine (arm64 through qemu). It also
// checks the image is what a container action needs: one binary as the
// entrypoint, no user, no working directory, CA certificates, and a
// world-writable /tmp.
func TestDockerfile(t *testing.T) {
	env := testbed.Need(t, testbed.PartBuildx, testbed.PartRegistry, testbed.PartDocker, testbed.PartArm64)
	root := repoRoot(t)
	base := goBaseImage(t, env)
	id := unique(t)
	repo := env.Registry.Host + "/e2e/xa-image-" + id
	t.Cleanup(func() { cleanupRegistry(t, env, repo) })

	bin := filepath.Join(t.TempDir(), "xedgesim")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/xedgesim").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	refs := filepath.Join(t.TempDir(), "refs")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "build", "--dockerfile", "Dockerfile", "--context", ".",
		"--builder", env.Builder.Name, "--platform", "linux/amd64,linux/arm64",
		"--build-arg", "GO_IMAGE="+base, "--build-arg", "VERSION=e2e-"+id,
		"--push", "--tag", repo+":e2e", "--image-refs", refs)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost, "SOURCE_DATE_EPOCH=1700000000")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xedgesim build --dockerfile Dockerfile: %v\n%s", err, out)
	}
	t.Logf("built for two platforms in %s", time.Since(start).Round(time.Second))
	ref := strings.TrimSpace(readFile(t, refs))
	if !digestRef.MatchString(ref) {
		t.Fatalf("image ref %q, want %s@sha256:...", ref, repo)
	}

	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	for _, platform := range []string{"linux/amd64", "linux/arm64"} {
		t.Run(platform, func(t *testing.T) {
			run := exec.Command(env.Docker, "run", "--rm", "--pull", "always", "--platform", platform, ref, "version")
			run.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
			out, err := run.Output()
			if err != nil || !strings.HasPrefix(string(out), "xedgesim e2e-"+id+" ") || !strings.Contains(string(out), platform) {
				t.Errorf("docker run %s version = %q, %v; want xedgesim e2e-%s ... %s", platform, out, err, id, platform)
			}
			rm := exec.Command(env.Docker, "image", "rm", "-f", ref)
			rm.Env = run.Env
			rm.Run()

			p, err := v1.ParsePlatform(platform)
			if err != nil {
				t.Fatal(err)
			}
			r, err := name.ParseReference(ref)
			if err != nil {
				t.Fatal(err)
			}
			img, err := remote.Image(r, append(opts, remote.WithPlatform(*p))...)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			// BuildKit writes "/" for a stage without WORKDIR, which is
			// what the runtime uses anyway; anything else would override
			// the workspace a container action is started in.
			if cf.Config.User != "" || (cf.Config.WorkingDir != "" && cf.Config.WorkingDir != "/") || strings.Join(cf.Config.Entrypoint, " ") != "/usr/local/bin/xedgesim" {
				t.Errorf("config: user %q, workdir %q, entrypoint %q; want none, none or /, /usr/local/bin/xedgesim", cf.Config.User, cf.Config.WorkingDir, cf.Config.Entrypoint)
			}
			files := imageFiles(t, img)
			want := map[string]int64{"usr/local/bin/xedgesim": 0o755, "etc/ssl/certs/ca-certificates.crt": 0o644, "tmp": 0o1777}
			for f, mode := range want {
				if got, ok := files[f]; !ok || got != mode {
					t.Errorf("%s in the image: mode %o (present: %v), want %o", f, got, ok, mode)
				}
			}
		})
	}
}

// imageFiles lists an image's files (without a leading / or trailing /)
// with their permission bits, sticky bit included.
func imageFiles(t *testing.T, img v1.Image) map[string]int64 {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]int64{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		files[strings.Trim(hdr.Name, "/")] = hdr.Mode & 0o7777
	}
}
