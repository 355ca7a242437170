package registry

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// memRegistry starts an in-memory registry and returns its host:port.
func memRegistry(t *testing.T, referrers bool) string {
	t.Helper()
	s := httptest.NewServer(ggcrregistry.New(
		ggcrregistry.Logger(log.New(io.Discard, "", 0)),
		ggcrregistry.WithReferrersSupport(referrers),
	))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// twoPlatformIndex is an OCI index with linux/amd64 and linux/arm64
// images that share a base layer, plus a BuildKit-style attestation
// manifest for the amd64 image.
func twoPlatformIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	base, err := random.Layer(2048, types.OCILayer)
	if err != nil {
		t.Fatalf("random.Layer() = %v", err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var amd64 v1.Hash
	for _, arch := range []string{"amd64", "arm64"} {
		img := platformImage(t, base, arch)
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if arch == "amd64" {
			amd64 = d
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	att, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	att = mutate.MediaType(att, types.OCIManifestSchema1)
	att = mutate.ConfigMediaType(att, types.OCIConfigJSON)
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
		Add: att,
		Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: "unknown", Architecture: "unknown"},
			Annotations: map[string]string{
				"vnd.docker.reference.type":   "attestation-manifest",
				"vnd.docker.reference.digest": amd64.String(),
			},
		},
	})
	return idx
}

func platformImage(t *testing.T, base v1.Layer, arch string) v1.Image {
	t.Helper()
	top, err := random.Layer(4096, types.OCILayer)
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, base, top)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// writeLayout writes idx as the one manifest of a new OCI layout.
func writeLayout(t *testing.T, idx v1.ImageIndex) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatalf("layout.Write() = %v", err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatalf("AppendIndex() = %v", err)
	}
	return dir
}

// recorder is a Reporter that keeps what it hears.
type recorder struct {
	mu      sync.Mutex
	retries []Retry
	blobs   []BlobEvent
}

func (r *recorder) Retrying(x Retry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, x)
}

func (r *recorder) Blob(b BlobEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blobs = append(r.blobs, b)
}

func (r *recorder) reasons() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, x := range r.retries {
		out = append(out, x.String())
	}
	return out
}

// fastClient is a client whose retries wait milliseconds, so faults do
// not slow the tests down (Retry-After is still honoured, in seconds).
func fastClient(t *testing.T, rec Reporter, opts ...Option) *Client {
	t.Helper()
	if rec == nil {
		rec = nopReporter{}
	}
	opts = append([]Option{
		WithReporter(rec),
		WithRetry(WithBackoff(time.Millisecond, 20*time.Millisecond), WithMaxElapsed(time.Minute)),
		withUploadBackoff(remote.Backoff{Duration: time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 5}),
	}, opts...)
	c, err := New(opts...)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return c
}

// passing is evidence that the simulation ran digests and passed.
func passing(digests ...string) evidence.Evidence {
	var images []evidence.Image
	for _, d := range digests {
		images = append(images, evidence.Image{Node: "gateway", Ref: "app", Digest: d})
	}
	return evidence.New(evidence.Pass, []evidence.Run{
		{Scenario: "m0_baseline", File: "scenarios/m0_baseline.yaml", SHA256: strings.Repeat("ab", 32), Seed: 42, Verdict: evidence.Pass},
	}, images)
}

// failing is evidence of a failed run of gate_fleet with seed 7.
func failing(digests ...string) evidence.Evidence {
	var images []evidence.Image
	for _, d := range digests {
		images = append(images, evidence.Image{Ref: "app", Digest: d})
	}
	return evidence.New(evidence.Fail, []evidence.Run{
		{Scenario: "m0_baseline", File: "scenarios/m0_baseline.yaml", SHA256: strings.Repeat("ab", 32), Seed: 42, Verdict: evidence.Pass},
		{Scenario: "gate_fleet", File: "scenarios/gate_fleet.yaml", SHA256: strings.Repeat("cd", 32), Seed: 7, Verdict: evidence.Fail, Failures: []string{"delivery_ratio >= 0.99: actual 0.91"}},
	}, images)
}

func mustDigest(t *testing.T, d interface{ Digest() (v1.Hash, error) }) v1.Hash {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

var _ = name.Insecure

func layoutPath(dir string) (layout.Path, error) { return layout.FromPath(dir) }
