package build

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/image/provenance"
)

// repoRoot is the module root, where ./nodes/hello lives.
const repoRoot = "../../.."

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
	armv7 = v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
)

// buildHello builds nodes/hello with opts on top of reproducible defaults.
func buildHello(t *testing.T, opts ...Option) *Result {
	t.Helper()
	opts = append([]Option{WithDir(repoRoot), WithBuildVCS("false")}, opts...)
	b, err := NewGo("./nodes/hello", opts...)
	if err != nil {
		t.Fatalf("NewGo() = %v", err)
	}
	res, err := b.Build(context.Background())
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	return res
}

// newRegistry starts an in-memory registry and returns its host:port.
func newRegistry(t *testing.T) string {
	t.Helper()
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// files lists a layer's entries: path -> header.
func files(t *testing.T, l v1.Layer) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	hs, data := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs, data
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		hs[h.Name], data[h.Name] = h, b
	}
}

// elfMachine is the e_machine of an ELF binary: 62 amd64, 183 arm64, 40 arm.
func elfMachine(b []byte) int {
	if len(b) < 20 || string(b[:4]) != "\x7fELF" {
		return -1
	}
	return int(b[18]) | int(b[19])<<8
}

func TestGoBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"interval": 5}`), 0o640); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	res := buildHello(t,
		WithPlatforms(amd64, arm64, armv7),
		WithCreated(created),
		WithFiles(File{Src: filepath.Join(dir, "config.json"), Dst: "/etc/hello/config.json"}),
		WithEnv("MODE=edge"),
		WithPorts("8080"),
		WithUser("65532"),
		WithWorkdir("/srv"),
		WithCmd("-addr", ":8080"),
		WithLabels(map[string]string{"org.example.team": "edge"}),
		WithAnnotations(map[string]string{"org.opencontainers.image.title": "hello"}),
	)
	im, err := res.Index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index media type = %s, want %s", im.MediaType, types.OCIImageIndex)
	}
	if diff := cmp.Diff(map[string]string{"org.opencontainers.image.title": "hello"}, im.Annotations); diff != "" {
		t.Errorf("index annotations (-want +got):\n%s", diff)
	}
	wantMachine := map[string]int{"amd64": 62, "arm64": 183, "arm": 40}
	var got []string
	for i, d := range im.Manifests {
		got = append(got, PlatformString(*d.Platform))
		pi := res.Platforms[i]
		if pi.Digest != d.Digest || pi.Size != d.Size {
			t.Errorf("platform %d: result says %s/%d, index says %s/%d", i, pi.Digest, pi.Size, d.Digest, d.Size)
		}
		cf, err := pi.Image.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		wantCfg := v1.Config{
			Entrypoint:   []string{"/usr/local/bin/hello"},
			Cmd:          []string{"-addr", ":8080"},
			Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "MODE=edge"},
			ExposedPorts: map[string]struct{}{"8080/tcp": {}},
			User:         "65532",
			WorkingDir:   "/srv",
			Labels:       map[string]string{"org.example.team": "edge"},
		}
		if diff := cmp.Diff(wantCfg, cf.Config); diff != "" {
			t.Errorf("%s config (-want +got):\n%s", got[i], diff)
		}
		if cf.Architecture != d.Platform.Architecture || cf.Variant != d.Platform.Variant || !cf.Created.Time.Equal(created) {
			t.Errorf("%s config: arch %s variant %q created %v", got[i], cf.Architecture, cf.Variant, cf.Created)
		}
		layers, err := pi.Image.Layers()
		if err != nil || len(layers) != 2 {
			t.Fatalf("%s: %d layers, %v; want files and binary", got[i], len(layers), err)
		}
		hs, data := files(t, layers[0])
		if h := hs["etc/hello/config.json"]; h == nil || h.Mode != 0o640 || !h.ModTime.Equal(created) || h.Uid != 0 || string(data["etc/hello/config.json"]) != `{"interval": 5}` {
			t.Errorf("%s: files layer entry = %+v", got[i], h)
		}
		if hs["etc/"] == nil || hs["etc/hello/"] == nil {
			t.Errorf("%s: files layer lacks parent directories: %v", got[i], hs)
		}
		hs, data = files(t, layers[1])
		bin := data["usr/local/bin/hello"]
		if m := elfMachine(bin); m != wantMachine[d.Platform.Architecture] {
			t.Errorf("%s: binary ELF machine = %d, want %d", got[i], m, wantMachine[d.Platform.Architecture])
		}
		if h := hs["usr/local/bin/hello"]; h == nil || h.Mode != 0o755 || !h.ModTime.Equal(created) {
			t.Errorf("%s: binary entry = %+v", got[i], h)
		}
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64", "linux/arm/v7"}, got); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
}

// TestGoBuildReproducible builds twice, and into two outputs, and compares
// the digests and the bytes written.
func TestGoBuildReproducible(t *testing.T) {
	t.Parallel()
	var results [2]*Result
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i] = buildHello(t, WithCreated(time.Unix(1700000000, 0)), WithSBOM(true)) })
	}
	wg.Wait()
	if results[0] == nil || results[1] == nil {
		t.FailNow()
	}
	if results[0].Digest != results[1].Digest {
		t.Fatalf("two builds gave %s and %s", results[0].Digest, results[1].Digest)
	}
	dir := t.TempDir()
	var tars [2][]byte
	for i, res := range results {
		file := filepath.Join(dir, "out", "hello.tar")
		if _, err := Write(context.Background(), res, Output{Kind: OutputTar, Path: file}); err != nil {
			t.Fatalf("Write() = %v", err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		tars[i] = b
	}
	if !bytes.Equal(tars[0], tars[1]) {
		t.Error("two builds wrote different tar files")
	}
	// A different time is a different image.
	other := buildHello(t, WithCreated(time.Unix(1700000001, 0)))
	if other.Digest == results[0].Digest {
		t.Error("a build at another SOURCE_DATE_EPOCH has the same digest")
	}
}

func TestGoBuildOnBase(t *testing.T) {
	t.Parallel()
	host := newRegistry(t)
	// A two-platform base with two layers each and some config to keep.
	base := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range []v1.Platform{amd64, arm64} {
		img, err := random.Image(512, 2)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = p.OS, p.Architecture
		cf.Config.Env = []string{"PATH=/bin", "MODE=base"}
		cf.Config.Cmd = []string{"/bin/sh"}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		base = mutate.AppendManifests(base, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	ref := host + "/base/distroless:v1"
	tag, _ := name.NewTag(ref)
	if err := remote.WriteIndex(tag, base); err != nil {
		t.Fatal(err)
	}
	baseDigest, _ := base.Digest()

	res := buildHello(t, WithBase(ref), WithEnv("MODE=edge"))
	for _, pi := range res.Platforms {
		layers, _ := pi.Image.Layers()
		if len(layers) != 3 {
			t.Errorf("%s: %d layers, want the base's 2 and the binary", PlatformString(pi.Platform), len(layers))
		}
		cf, _ := pi.Image.ConfigFile()
		if diff := cmp.Diff([]string{"PATH=/bin", "MODE=edge"}, cf.Config.Env); diff != "" {
			t.Errorf("env (-want +got):\n%s", diff)
		}
		if cf.Config.Cmd != nil {
			t.Errorf("cmd = %q, want the base's dropped", cf.Config.Cmd)
		}
		m, _ := pi.Image.Manifest()
		want := map[string]string{"org.opencontainers.image.base.name": tag.String(), "org.opencontainers.image.base.digest": baseDigest.String()}
		if diff := cmp.Diff(want, m.Annotations); diff != "" {
			t.Errorf("manifest annotations (-want +got):\n%s", diff)
		}
	}

	// The same base from an OCI layout.
	lay := filepath.Join(t.TempDir(), "base")
	if err := writeLayoutDir(&Result{Index: base}, lay, nil); err != nil {
		t.Fatal(err)
	}
	res = buildHello(t, WithBase("oci:"+lay))
	if len(res.Platforms) != 2 {
		t.Errorf("build on oci: base has %d platforms, want 2", len(res.Platforms))
	}
}

func TestGoBuildErrors(t *testing.T) {
	t.Parallel()
	host := newRegistry(t)
	single, _ := name.NewTag(host + "/base/amd64-only:v1")
	img, _ := random.Image(64, 1)
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	img, _ = mutate.ConfigFile(img, cf)
	if err := remote.Write(single, img); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		pkg  string
		opts []Option
		want string
	}{
		{name: "not a main package", pkg: "./pkg/image/build", want: "Go package ./pkg/image/build is package build, not a main package"},
		{name: "no such package", pkg: "./nodes/nope", want: "Go package ./nodes/nope:"},
		{name: "base lacks a platform", pkg: "./nodes/hello", opts: []Option{WithBase(single.String()), WithPlatforms(amd64, arm64, armv7)},
			want: "base image " + single.String() + " has no linux/arm64, linux/arm/v7: it has linux/amd64"},
		{name: "base not in the registry", pkg: "./nodes/hello", opts: []Option{WithBase(host + "/base/missing:v1")}, want: "resolving base image " + host + "/base/missing:v1:"},
		{name: "base unreachable", pkg: "./nodes/hello", opts: []Option{WithBase("127.0.0.1:1/base:v1")}, want: "resolving base image 127.0.0.1:1/base:v1:"},
		{name: "base bad reference", pkg: "./nodes/hello", opts: []Option{WithBase("Not A Ref")}, want: `base "Not A Ref":`},
		{name: "base layout missing", pkg: "./nodes/hello", opts: []Option{WithBase("oci:/nonexistent/layout")}, want: "reading base image oci:/nonexistent/layout:"},
		{name: "missing file", pkg: "./nodes/hello", opts: []Option{WithFiles(File{Src: "/nonexistent/x", Dst: "/x"})}, want: "file /nonexistent/x:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := NewGo(tc.pkg, append([]Option{WithDir(repoRoot), WithBuildVCS("false")}, tc.opts...)...)
			if err != nil {
				t.Fatalf("NewGo() = %v", err)
			}
			_, err = b.Build(context.Background())
			var ie *InputError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ie) {
				t.Fatalf("Build() = %v, want an input error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Build() error has several lines: %q", err)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		new  func() error
		want string
	}{
		{"go without package", func() error { _, err := NewGo(""); return err }, "no Go package given"},
		{"go with a build arg", func() error { _, err := NewGo("./x", WithBuildArgs("A=1")); return err }, "build-arg applies to Dockerfile builds only"},
		{"go for windows", func() error {
			_, err := NewGo("./x", WithPlatforms(v1.Platform{OS: "windows", Architecture: "amd64"}))
			return err
		}, "Go images are built for linux only"},
		{"dockerfile with base", func() error { _, err := NewDockerfile("Dockerfile", WithBase("alpine")); return err }, "base applies to Go builds only"},
		{"bad env", func() error { _, err := NewGo("./x", WithEnv("NOVALUE")); return err }, `env "NOVALUE": want KEY=VALUE`},
		{"bad port", func() error { _, err := NewGo("./x", WithPorts("http")); return err }, `port "http"`},
		{"relative workdir", func() error { _, err := NewGo("./x", WithWorkdir("srv")); return err }, "want an absolute path"},
		{"several at once", func() error { _, err := NewGo("./x", WithEnv("A"), WithPorts("0")); return err }, `env "A"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.new()
			var ie *InputError
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ie) {
				t.Errorf("got %v, want an input error containing %q", err, tc.want)
			}
		})
	}
}

// TestGoBuildProvenance attaches signed provenance to the index: one
// bundle artifact whose subject is the index, and whose statement names the
// index and every platform's manifest and the Go toolchain that built them.
func TestGoBuildProvenance(t *testing.T) {
	t.Parallel()
	key, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var signed []byte
	res := buildHello(t, WithPlatforms(amd64, arm64), WithProvenance(Provenance{
		Sign: func(_ context.Context, payload []byte) ([]byte, error) {
			signed = payload
			return evidence.SignPayload(payload, key)
		},
		ToolVersion: "test",
		Getenv:      func(string) string { return "" },
	}))
	if len(res.Referrers) != 1 {
		t.Fatalf("referrers = %d, want 1", len(res.Referrers))
	}
	r := res.Referrers[0]
	if r.ArtifactType != evidence.BundleMediaType || r.Subject.Digest != res.Digest {
		t.Errorf("referrer %s of %s, want %s of the index %s", r.ArtifactType, r.Subject.Digest, evidence.BundleMediaType, res.Digest)
	}
	m, err := r.Image.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Annotations["dev.sigstore.bundle.predicateType"]; got != provenance.PredicateType {
		t.Errorf("predicate type annotation = %q, want %q", got, provenance.PredicateType)
	}
	layer, err := r.Image.LayerByDigest(m.Layers[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	bu, err := evidence.ParseBundle(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bu.DSSEEnvelope.Payload, signed) {
		t.Error("the bundle does not carry the statement that was signed")
	}
	var st provenance.Statement
	if err := json.Unmarshal(signed, &st); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, s := range st.Subject {
		subjects = append(subjects, "sha256:"+s.Digest["sha256"])
	}
	want := []string{res.Digest.String(), res.Platforms[0].Digest.String(), res.Platforms[1].Digest.String()}
	if d := cmp.Diff(want, subjects); d != "" {
		t.Errorf("subjects (-want +got):\n%s", d)
	}
	deps := st.Predicate.BuildDefinition.ResolvedDependencies
	if len(deps) == 0 || deps[0].URI != "pkg:golang/stdlib@"+res.Platforms[0].BuildInfo.GoVersion {
		t.Errorf("resolved dependencies = %+v, want the Go toolchain first", deps)
	}
	if st.Predicate.BuildDefinition.ExternalParameters["package"] != "github.com/xedgesim/simulate/nodes/hello" || st.Predicate.RunDetails.Builder.ID != provenance.LocalBuilder {
		t.Errorf("parameters %v, builder %q", st.Predicate.BuildDefinition.ExternalParameters, st.Predicate.RunDetails.Builder.ID)
	}
}
