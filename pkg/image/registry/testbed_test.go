package registry

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/internal/engine"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/image/registry/internal/faultproxy"
)

// bedClient trusts the TLS registry's CA and logs in to it with the bed's
// htpasswd credentials; the plain registry needs neither.
func bedClient(t *testing.T, env *testbed.Env, rec Reporter) *Client {
	t.Helper()
	tls := env.TLSRegistry
	return fastClient(t, rec,
		WithCAFile(tls.CAFile),
		WithCredentials(tls.Host, tls.Username, tls.Password),
		WithKeychain(emptyKeychain{}),
	)
}

// TestBedPromotion is the release path on the real registries: a
// two-platform image from an OCI layout to the plain registry, a second
// push that uploads nothing, promotions refused without and with failing
// evidence (exit 2), and the promotion with passing evidence to the TLS +
// basic auth registry, same digest, both platforms.
func TestBedPromotion(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartTLSRegistry)
	proxy, err := faultproxy.New(env.Registry.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	rec := &recorder{}
	c := bedClient(t, env, rec)
	idx := twoPlatformIndex(t)
	want := mustDigest(t, idx)
	dir := writeLayout(t, idx)
	repo := "xedgesim-test/push-" + want.Hex[:12]

	// Through the counting proxy in front of the plain registry.
	staged, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: dir}, proxy.Host+"/"+repo+":staged")
	if err != nil {
		t.Fatalf("Push(layout -> plain registry) = %v", err)
	}
	if staged.Digest != want {
		t.Fatalf("Push() = %s, want %s", staged.Digest, want)
	}
	if got := proxy.Stats().BlobsUploaded; got != 7 {
		t.Errorf("first push uploaded %d blobs, want 7", got)
	}
	proxy.ResetStats()
	if _, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: dir}, proxy.Host+"/"+repo+":staged"); err != nil {
		t.Fatalf("second Push() = %v", err)
	}
	if st := proxy.Stats(); st.BlobsUploaded != 0 || st.UploadedBytes != 0 || st.Requests[faultproxy.ClassUploadStart] != 0 {
		t.Errorf("second push: %d blobs, %d bytes, %d upload sessions; want none", st.BlobsUploaded, st.UploadedBytes, st.Requests[faultproxy.ClassUploadStart])
	}

	// Within one registry, a copy to another repository mounts every blob.
	proxy.ResetStats()
	staging := env.Registry.Host + "/" + repo + "@" + want.String()
	if _, err := c.Push(ctx(t), Source{Kind: SourceRegistry, Name: proxy.Host + "/" + repo + "@" + want.String()}, proxy.Host+"/"+repo+"-copy"); err != nil {
		t.Fatalf("Push(copy within the registry) = %v", err)
	}
	if st := proxy.Stats(); st.BlobsUploaded != 0 || st.BlobsMounted != 7 {
		t.Errorf("copy within the registry: %d uploaded, %d mounted; want 0 and 7", st.BlobsUploaded, st.BlobsMounted)
	}

	src := Source{Kind: SourceRegistry, Name: staging}
	prod := env.TLSRegistry.Host + "/" + repo + ":v1"
	_, err = c.Push(ctx(t), src, prod, RequireEvidence())
	assertRefusal(t, err, "no simulation ran")

	if _, err := c.Attach(ctx(t), staging, failing(want.String())); err != nil {
		t.Fatalf("Attach(failing) = %v", err)
	}
	_, err = c.Push(ctx(t), src, prod, RequireEvidence())
	assertRefusal(t, err, "gate_fleet")

	// A fresh digest with passing evidence (the referrers tag fallback:
	// distribution 2.8 has no referrers API) is promoted.
	idx2 := twoPlatformIndex(t)
	want2 := mustDigest(t, idx2)
	staged2, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx2)}, env.Registry.Host+"/"+repo+":rc", WithEvidence(passing(want2.String())))
	if err != nil {
		t.Fatalf("Push(--evidence) = %v", err)
	}
	if _, err := remote.Head(staged2.Ref.Context().Tag(strings.Replace(want2.String(), ":", "-", 1))); err != nil {
		t.Errorf("no referrers tag for %s: %v", want2, err)
	}
	res, err := c.Push(ctx(t), Source{Kind: SourceRegistry, Name: staged2.Ref.String()}, prod, RequireEvidence())
	if err != nil {
		t.Fatalf("promotion to the TLS registry = %v", err)
	}
	if res.Digest != want2 {
		t.Errorf("promoted %s, want %s", res.Digest, want2)
	}
	var platforms []string
	for _, p := range res.Platforms {
		platforms = append(platforms, p.Platform)
	}
	if len(platforms) != 3 || platforms[0] != "linux/amd64" || platforms[1] != "linux/arm64" {
		t.Errorf("promoted platforms %v, want linux/amd64, linux/arm64 and the attestation", platforms)
	}
	// What the TLS registry serves, read with a fresh client.
	ropts, err := env.TLSRegistry.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Index(res.Ref, ropts...)
	if err != nil {
		t.Fatalf("reading the promoted index: %v", err)
	}
	if d := mustDigest(t, got); d != want2 {
		t.Errorf("TLS registry serves %s, want %s", d, want2)
	}
	found, err := c.Evidence(ctx(t), res.Ref.String())
	if err != nil || len(found) != 1 || found[0].Evidence.Verdict != evidence.Pass {
		t.Errorf("evidence at the TLS registry = %v, %v; want the passing one", found, err)
	}

	// Without credentials the TLS registry refuses.
	anon := fastClient(t, nil, WithCAFile(env.TLSRegistry.CAFile), WithKeychain(emptyKeychain{}))
	_, err = anon.Push(ctx(t), Source{Kind: SourceOCI, Path: dir}, env.TLSRegistry.Host+"/"+repo+":anon")
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "unauthorized") {
		t.Errorf("anonymous push to the auth registry = %v, want unauthorized", err)
	}
}

// TestBedFaults pushes through the fault proxy in front of the test bed's
// registry: every fault is injected, the push completes and verifies.
func TestBedFaults(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartRegistry)
	proxy, err := faultproxy.New(env.Registry.URL(), faultRules()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	rec := &recorder{}
	c := fastClient(t, rec)
	idx := twoPlatformIndex(t)
	want := mustDigest(t, idx)
	repo := proxy.Host + "/xedgesim-test/faults-" + want.Hex[:12]
	staged, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, repo+":rc", WithEvidence(passing(want.String())))
	if err != nil {
		t.Fatalf("Push() through faults = %v\nretries:\n%s", err, strings.Join(rec.reasons(), "\n"))
	}
	// Copy to another repository through the faults: blobs are read back
	// (truncated, dropped) where the registry cannot mount them.
	res, err := c.Push(ctx(t), Source{Kind: SourceRegistry, Name: staged.Ref.String()}, repo+"-promoted:v1", RequireEvidence())
	if err != nil {
		t.Fatalf("promotion through faults = %v\nretries:\n%s", err, strings.Join(rec.reasons(), "\n"))
	}
	if res.Digest != want {
		t.Errorf("promoted %s, want %s", res.Digest, want)
	}
	if err := c.Verify(ctx(t), res.Ref); err != nil {
		t.Errorf("Verify() = %v", err)
	}
	st := proxy.Stats()
	for _, f := range []faultproxy.Fault{faultproxy.DropBeforeForward, faultproxy.DropAfterForward, faultproxy.TooManyRequests, faultproxy.Unavailable, faultproxy.SecondaryRateLimit, faultproxy.TruncateBody} {
		if st.Faults[f.String()] == 0 {
			t.Errorf("no %s injected (faults %v)", f, st.Faults)
		}
	}
	t.Logf("faults %v; %d retries reported", st.Faults, len(rec.retries))
}

// emptyKeychain ignores the machine's Docker config.
type emptyKeychain struct{}

func (emptyKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.Anonymous, nil
}

// TestBedPushFromDocker pushes an image the Docker engine holds (docker:
// source): the engine's archive is read through a temporary file, which is
// gone after the push, and the image that lands is the engine's (same
// config, same layers).
func TestBedPushFromDocker(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartDocker)
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	tagName := "xedgesim-test/docker-src:" + mustDigest(t, img).Hex[:12]
	tag, err := name.NewTag(tagName)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.Write(tag, img, pw)) }()
	loaded, err := eng.ImageLoad(ctx(t), pr)
	if err != nil {
		t.Fatalf("loading the image into the engine: %v", err)
	}
	if _, err := io.Copy(io.Discard, loaded); err != nil {
		t.Fatal(err)
	}
	loaded.Close()
	t.Cleanup(func() { eng.ImageRemove(context.Background(), tagName) })

	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	c := fastClient(t, nil)
	res, err := c.Push(ctx(t), Source{Kind: SourceDocker, Name: tagName}, env.Registry.Host+"/xedgesim-test/docker-src")
	if err != nil {
		t.Fatalf("Push(docker:) = %v", err)
	}
	left, _ := os.ReadDir(tmp)
	if len(left) != 0 {
		t.Errorf("the push left %d files in TMPDIR, want none", len(left))
	}
	ref, err := name.ParseReference(env.Registry.Host+"/xedgesim-test/docker-src@"+res.Digest.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("reading the pushed image: %v", err)
	}
	gotCfg, _ := pushed.ConfigName()
	wantCfg, _ := img.ConfigName()
	if gotCfg != wantCfg {
		t.Errorf("pushed config %s, want the engine's %s", gotCfg, wantCfg)
	}
	gotLayers, _ := pushed.Layers()
	if len(gotLayers) != 2 {
		t.Errorf("pushed %d layers, want 2", len(gotLayers))
	}
}
