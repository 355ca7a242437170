package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/image/registry/internal/faultproxy"
)

func TestParseSource(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("a", 64)
	cases := []struct {
		in      string
		want    Source
		wantErr string
	}{
		{in: "oci:out/image", want: Source{Kind: SourceOCI, Path: "out/image"}},
		{in: "oci:out/image@" + digest, want: Source{Kind: SourceOCI, Path: "out/image", Digest: digest}},
		{in: "tar:image.tar", want: Source{Kind: SourceTar, Path: "image.tar"}},
		{in: "docker:app:dev", want: Source{Kind: SourceDocker, Name: "app:dev"}},
		{in: "127.0.0.1:5010/app@" + digest, want: Source{Kind: SourceRegistry, Name: "127.0.0.1:5010/app@" + digest}},
		{in: "ghcr.io/o/app:v1", want: Source{Kind: SourceRegistry, Name: "ghcr.io/o/app:v1"}},
		{in: "oci:", wantErr: "needs a directory"},
		{in: "tar:", wantErr: "needs a file"},
		{in: "./out", wantErr: "looks like a path"},
		{in: "oci:x@sha256:12", wantErr: "parsing digest"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSource(tc.in)
			if tc.wantErr != "" {
				var ie *InputError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ie) {
					t.Fatalf("ParseSource(%q) = %v, want an InputError with %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSource(%q) = %v", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSource(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestParseDestination(t *testing.T) {
	t.Parallel()
	c := fastClient(t, nil)
	digest := "sha256:" + strings.Repeat("b", 64)
	cases := []struct {
		in                string
		repo, tag, digest string
	}{
		{in: "127.0.0.1:5010/team/app", repo: "127.0.0.1:5010/team/app"},
		{in: "127.0.0.1:5010/team/app:v1", repo: "127.0.0.1:5010/team/app", tag: "v1"},
		{in: "127.0.0.1:5010/team/app@" + digest, repo: "127.0.0.1:5010/team/app", digest: digest},
		{in: "ghcr.io/o/app", repo: "ghcr.io/o/app"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			repo, tag, d, err := c.parseDestination(tc.in)
			if err != nil {
				t.Fatalf("parseDestination(%q) = %v", tc.in, err)
			}
			got := []string{repo.String(), tag, d}
			if diff := cmp.Diff([]string{tc.repo, tc.tag, tc.digest}, got); diff != "" {
				t.Errorf("parseDestination(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// TestPushLayoutIndex pushes a two-platform index with an attestation from
// an OCI layout: same digest, every manifest there, tags, and a second push
// that uploads nothing.
func TestPushLayoutIndex(t *testing.T) {
	t.Parallel()
	reg := memRegistry(t, true)
	proxy, err := faultproxy.New("http://" + reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	idx := twoPlatformIndex(t)
	want := mustDigest(t, idx)
	dir := writeLayout(t, idx)
	rec := &recorder{}
	c := fastClient(t, rec)

	res, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: dir}, proxy.Host+"/team/app:v1", WithTags("latest"))
	if err != nil {
		t.Fatalf("Push() = %v", err)
	}
	if res.Digest != want || res.Ref.String() != proxy.Host+"/team/app@"+want.String() {
		t.Errorf("Push() = %s (%s), want digest %s", res.Ref, res.Digest, want)
	}
	if diff := cmp.Diff([]string{proxy.Host + "/team/app:v1", proxy.Host + "/team/app:latest"}, res.Tags); diff != "" {
		t.Errorf("Tags mismatch (-want +got):\n%s", diff)
	}
	var platforms []string
	for _, p := range res.Platforms {
		platforms = append(platforms, p.Platform)
		if p.Uploaded+p.Existing+p.Mounted != p.Blobs {
			t.Errorf("%s: %d uploaded + %d existing + %d mounted != %d blobs", p.Platform, p.Uploaded, p.Existing, p.Mounted, p.Blobs)
		}
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64", "attestation " + res.Platforms[0].Digest.String()[:19]}, platforms); diff != "" {
		t.Errorf("Platforms mismatch (-want +got):\n%s", diff)
	}
	// Two configs and two top layers, one shared base, the attestation's
	// config and layer: 7 blobs, each uploaded once.
	if got := proxy.Stats().BlobsUploaded; got != 7 || res.UploadedBlobs != 7 {
		t.Errorf("first push uploaded %d blobs (result says %d), want 7", got, res.UploadedBlobs)
	}
	if len(rec.blobs) != 7 {
		t.Errorf("reporter heard %d blobs, want 7", len(rec.blobs))
	}

	// What the registry holds is the same index, platform for platform.
	got, err := remote.Index(res.Ref)
	if err != nil {
		t.Fatal(err)
	}
	wantIM, _ := idx.IndexManifest()
	gotIM, _ := got.IndexManifest()
	if diff := cmp.Diff(wantIM, gotIM); diff != "" {
		t.Errorf("pushed index mismatch (-want +got):\n%s", diff)
	}

	proxy.ResetStats()
	res2, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: dir}, proxy.Host+"/team/app:v1")
	if err != nil {
		t.Fatalf("second Push() = %v", err)
	}
	st := proxy.Stats()
	if st.BlobsUploaded != 0 || st.Requests[faultproxy.ClassUploadStart] != 0 || st.UploadedBytes != 0 || res2.UploadedBlobs != 0 {
		t.Errorf("second push: %d blobs uploaded, %d upload sessions, %d bytes, result %d; want none", st.BlobsUploaded, st.Requests[faultproxy.ClassUploadStart], st.UploadedBytes, res2.UploadedBlobs)
	}
	if res2.Digest != want {
		t.Errorf("second push digest %s, want %s", res2.Digest, want)
	}
}

// TestPushMountsWithinRegistry copies between two repositories of one
// registry: no blob is uploaded again. (The in-memory registry shares
// blobs between repositories, so they are found by HEAD; the test bed's
// registry, which does not, shows the mounts.)
func TestPushMountsWithinRegistry(t *testing.T) {
	t.Parallel()
	reg := memRegistry(t, true)
	proxy, err := faultproxy.New("http://" + reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	idx := twoPlatformIndex(t)
	c := fastClient(t, nil)
	first, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, proxy.Host+"/a/app")
	if err != nil {
		t.Fatalf("Push() = %v", err)
	}
	proxy.ResetStats()
	res, err := c.Push(ctx(t), Source{Kind: SourceRegistry, Name: first.Ref.String()}, proxy.Host+"/b/app:copy")
	if err != nil {
		t.Fatalf("Push() from the registry = %v", err)
	}
	st := proxy.Stats()
	if st.BlobsUploaded != 0 || st.UploadedBytes != 0 {
		t.Errorf("copy within a registry: %d blobs, %d bytes uploaded; want none", st.BlobsUploaded, st.UploadedBytes)
	}
	if res.Digest != first.Digest {
		t.Errorf("copy digest %s, want %s", res.Digest, first.Digest)
	}
}

func TestPushSingleImageSources(t *testing.T) {
	t.Parallel()
	reg := memRegistry(t, false)
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "image.tar")
	tag, _ := name.NewTag("example.invalid/app:dev")
	if err := tarball.WriteToFile(tarPath, tag, img); err != nil {
		t.Fatal(err)
	}
	want := mustDigest(t, img)
	c := fastClient(t, nil)
	res, err := c.Push(ctx(t), Source{Kind: SourceTar, Path: tarPath}, reg+"/app")
	if err != nil {
		t.Fatalf("Push(tar) = %v", err)
	}
	if res.Digest != want || len(res.Platforms) != 1 {
		t.Errorf("Push(tar) = %s with %d platforms, want %s and 1", res.Digest, len(res.Platforms), want)
	}
}

func TestPushRefusesMismatchedDigest(t *testing.T) {
	t.Parallel()
	reg := memRegistry(t, false)
	dir := writeLayout(t, twoPlatformIndex(t))
	c := fastClient(t, nil)
	_, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: dir}, reg+"/app@sha256:"+strings.Repeat("0", 64))
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "but the source is") {
		t.Fatalf("Push() = %v, want an InputError about the digest", err)
	}
}

func TestLayoutWithSeveralManifests(t *testing.T) {
	t.Parallel()
	dir := writeLayout(t, twoPlatformIndex(t))
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		t.Fatal(err)
	}
	// A second index in the same layout makes the choice ambiguous.
	p, _ := layoutPath(dir)
	if err := p.AppendIndex(twoPlatformIndex(t)); err != nil {
		t.Fatal(err)
	}
	_, err := openLayout(dir, "")
	if err == nil || !strings.Contains(err.Error(), "choose one with oci:") {
		t.Fatalf("openLayout() = %v, want a request to choose", err)
	}
}

// TestPromotion runs the gate: no evidence and failing evidence are
// refused with exit code 2, passing evidence lets the digest through and
// goes along with it.
func TestPromotion(t *testing.T) {
	t.Parallel()
	for _, referrers := range []bool{true, false} {
		referrers := referrers
		t.Run(map[bool]string{true: "referrers API", false: "referrers tag"}[referrers], func(t *testing.T) {
			t.Parallel()
			reg := memRegistry(t, referrers)
			prod := memRegistry(t, referrers)
			c := fastClient(t, nil)
			idx := twoPlatformIndex(t)
			staged, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, reg+"/staging/app")
			if err != nil {
				t.Fatalf("Push() = %v", err)
			}
			src := Source{Kind: SourceRegistry, Name: staged.Ref.String()}
			digest := staged.Digest.String()

			// No evidence: refused, exit 2, says none ran.
			_, err = c.Push(ctx(t), src, prod+"/app:v1", RequireEvidence())
			assertRefusal(t, err, "no simulation ran")

			// Failing evidence: refused, names the scenario and seed.
			if _, err := c.Attach(ctx(t), staged.Ref.String(), failing(digest)); err != nil {
				t.Fatalf("Attach(failing) = %v", err)
			}
			_, err = c.Push(ctx(t), src, prod+"/app:v1", RequireEvidence())
			assertRefusal(t, err, "gate_fleet (scenarios/gate_fleet.yaml) (seed 7) did not pass")

			// Passing evidence on a fresh digest: promoted with it.
			idx2 := twoPlatformIndex(t)
			staged2, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx2)}, reg+"/staging/app", WithEvidence(passing(mustDigest(t, idx2).String())))
			if err != nil {
				t.Fatalf("Push(--evidence) = %v", err)
			}
			res, err := c.Push(ctx(t), Source{Kind: SourceRegistry, Name: staged2.Ref.String()}, prod+"/app:v1", RequireEvidence())
			if err != nil {
				t.Fatalf("promotion = %v", err)
			}
			if res.Digest != staged2.Digest || res.EvidenceChecked != 1 || len(res.Evidence) != 1 {
				t.Errorf("promotion = %s, %d checked, %d copied; want %s, 1, 1", res.Digest, res.EvidenceChecked, len(res.Evidence), staged2.Digest)
			}
			// The evidence is now at the destination too.
			found, err := c.Evidence(ctx(t), res.Ref.String())
			if err != nil || len(found) != 1 || found[0].Evidence.Verdict != evidence.Pass {
				t.Fatalf("Evidence(promoted) = %v, %v; want one passing", found, err)
			}
			// A tag is not a digest: promotion needs the digest.
			_, err = c.Push(ctx(t), Source{Kind: SourceRegistry, Name: reg + "/staging/app:latest"}, prod+"/app", RequireEvidence())
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("promotion of a tag = %v, want an InputError", err)
			}
		})
	}
}

// TestEvidenceForAnotherDigest refuses evidence that ran other images.
func TestEvidenceForAnotherDigest(t *testing.T) {
	t.Parallel()
	reg := memRegistry(t, true)
	c := fastClient(t, nil)
	other := "sha256:" + strings.Repeat("e", 64)
	staged, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, twoPlatformIndex(t))}, reg+"/app", WithEvidence(passing(other)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Push(ctx(t), Source{Kind: SourceRegistry, Name: staged.Ref.String()}, reg+"/prod", RequireEvidence())
	assertRefusal(t, err, "not this digest")
}

func assertRefusal(t *testing.T, err error, want string) {
	t.Helper()
	var r *evidence.Refusal
	if !errors.As(err, &r) {
		t.Fatalf("Push() = %v, want a refusal", err)
	}
	if r.ExitCode() != 2 {
		t.Errorf("ExitCode() = %d, want 2", r.ExitCode())
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("refusal %q does not say %q", err, want)
	}
}

var _ v1.Hash
