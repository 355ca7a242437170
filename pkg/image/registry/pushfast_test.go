package registry

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/pkg/image/registry/internal/faultproxy"
)

// TestPushUnchangedAsksOnce: pushing an image again to where it already is
// asks the destination one HEAD of its tag (after the ping), as crane copy
// does: no blob, no manifest read or written, no second ping for the
// verification. The source is asked for its index only, not its other
// manifests nor its referrers (but for a destination without a tag), and
// the result says the push was unchanged and names the index's
// manifests. The first push, which did not find the image there, copied
// the source's evidence.
func TestPushUnchangedAsksOnce(t *testing.T) {
	t.Parallel()
	srcReg := memRegistry(t, true)
	dstReg := memRegistry(t, true)
	proxies := map[string]*faultproxy.Proxy{}
	for which, upstream := range map[string]string{"src": srcReg, "dst": dstReg} {
		p, err := faultproxy.New("http://" + upstream)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		proxies[which] = p
	}
	idx := twoPlatformIndex(t)
	want := mustDigest(t, idx)
	c := fastClient(t, &recorder{})
	staged, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, proxies["src"].Host+"/team/app:v1", WithEvidence(passing(want.String())))
	if err != nil {
		t.Fatalf("staging Push() = %v", err)
	}
	source := Source{Kind: SourceRegistry, Name: staged.Ref.String()}
	first, err := c.Push(ctx(t), source, proxies["dst"].Host+"/team/app:v1")
	if err != nil {
		t.Fatalf("first Push() = %v", err)
	}
	if len(first.Evidence) != 1 {
		t.Errorf("first Push() copied %d evidence, want the source's 1", len(first.Evidence))
	}

	manifests := 1 + len(mustIndexManifest(t, idx).Manifests)
	proxies["src"].ResetStats()
	proxies["dst"].ResetStats()
	dstRef := proxies["dst"].Host + "/team/app:v1"
	res, err := c.Push(ctx(t), source, dstRef)
	if err != nil {
		t.Fatalf("Push(%s) again = %v", dstRef, err)
	}
	// The ping is "other", and so would a listing of referrers be.
	if diff := cmp.Diff(map[string]int{faultproxy.ClassOther: 1, faultproxy.ClassManifestHead: 1}, proxies["dst"].Stats().Requests); diff != "" {
		t.Errorf("Push(%s) again: requests to the destination (-want +got):\n%s", dstRef, diff)
	}
	if diff := cmp.Diff(map[string]int{faultproxy.ClassOther: 1, faultproxy.ClassManifestGet: 1}, proxies["src"].Stats().Requests); diff != "" {
		t.Errorf("Push(%s) again: requests to the source (-want +got):\n%s", dstRef, diff)
	}
	if res.Digest != want || res.UploadedBlobs != 0 || len(res.Evidence) != 0 {
		t.Errorf("Push(%s) again = %s, %d blobs uploaded, %d evidence; want %s, none, none", dstRef, res.Digest, res.UploadedBlobs, len(res.Evidence), want)
	}
	if !res.Unchanged {
		t.Errorf("Push(%s) again: Unchanged = false", dstRef)
	}
	var platforms []string
	for _, p := range res.Platforms {
		platforms = append(platforms, p.Platform)
	}
	if len(platforms) != manifests-1 || !strings.HasPrefix(platforms[len(platforms)-1], "attestation ") {
		t.Errorf("Push(%s) again: platforms %q, want the index's %d manifests", dstRef, platforms, manifests-1)
	} else if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, platforms[:2]); diff != "" {
		t.Errorf("Push(%s) again: platforms (-want +got):\n%s", dstRef, diff)
	}

	// Without a tag, the digest being there does not tell a finished push
	// from one that stopped before the evidence: the source's evidence is
	// looked for, and copied again.
	dstRef = proxies["dst"].Host + "/team/app@" + want.String()
	res, err = c.Push(ctx(t), source, dstRef)
	if err != nil {
		t.Fatalf("Push(%s) again = %v", dstRef, err)
	}
	if res.UploadedBlobs != 0 || len(res.Evidence) != 1 || res.Unchanged {
		t.Errorf("Push(%s) again = %d blobs uploaded, %d evidence, unchanged %v; want none, the source's 1, false", dstRef, res.UploadedBlobs, len(res.Evidence), res.Unchanged)
	}
}

// TestPushStoppedBeforeEvidenceGoesAgain: a push that could not copy the
// source's evidence has not moved its tag, so the next run is no no-op and
// copies the evidence.
func TestPushStoppedBeforeEvidenceGoesAgain(t *testing.T) {
	t.Parallel()
	src := memRegistry(t, true)
	dstReg := memRegistry(t, true)
	idx := twoPlatformIndex(t)
	want := mustDigest(t, idx)
	c := fastClient(t, nil)
	staged, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, src+"/team/app:v1", WithEvidence(passing(want.String())))
	if err != nil {
		t.Fatalf("staging Push() = %v", err)
	}
	if len(staged.Evidence) != 1 {
		t.Fatalf("staging Push() attached %d evidence, want 1", len(staged.Evidence))
	}
	// The destination refuses the evidence's manifest, and only it.
	evPath := "/manifests/" + staged.Evidence[0].DigestStr()
	dst, err := faultproxy.New("http://"+dstReg, faultproxy.Rule{
		Match: func(r *http.Request) bool { return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, evPath) },
		Fault: faultproxy.Unavailable,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dst.Close)
	source := Source{Kind: SourceRegistry, Name: staged.Ref.String()}
	failing := fastClient(t, nil, WithRetry(WithMaxAttempts(1)))
	if _, err := failing.Push(ctx(t), source, dst.Host+"/team/app:v1"); err == nil {
		t.Fatal("Push() with the evidence refused = nil, want an error")
	}
	if _, err := remote.Head(mustTag(t, dstReg+"/team/app:v1")); err == nil {
		t.Error("the push that failed on the evidence moved the tag")
	}
	dst.SetRules()
	res, err := c.Push(ctx(t), source, dst.Host+"/team/app:v1")
	if err != nil {
		t.Fatalf("Push() again = %v", err)
	}
	if len(res.Evidence) != 1 || len(res.Tags) != 1 {
		t.Errorf("Push() again = %d evidence, tags %v; want the source's 1 and the tag", len(res.Evidence), res.Tags)
	}
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

func mustIndexManifest(t *testing.T, idx v1.ImageIndex) *v1.IndexManifest {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// TestPushFreshAsksOnce: a first push pings the destination once for its
// reads and once for its writes, asks for the tag once and for each
// manifest once before writing it, puts the index once, under the tag,
// and reads it back under the tag to verify both the digest and the tag.
// Before, each kind of read pinged again, the pusher asked for the tag
// (or the index) again, the index was put under its digest as well as
// the tag, and the verification asked for every manifest the push had
// just written: 49 requests, then 45, where 39 do.
func TestPushFreshAsksOnce(t *testing.T) {
	t.Parallel()
	dst, err := faultproxy.New("http://" + memRegistry(t, true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dst.Close)
	idx := twoPlatformIndex(t)
	children := len(mustIndexManifest(t, idx).Manifests)
	_, blobs, err := describe(ctx(t), &artifact{index: idx}) // each blob once: platforms may share one
	if err != nil {
		t.Fatal(err)
	}
	c := fastClient(t, nil)
	if _, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, dst.Host+"/team/app:v1"); err != nil {
		t.Fatalf("Push() = %v", err)
	}
	want := map[string]int{
		faultproxy.ClassOther: 2, // the reads' ping and the writes'
		// The tag before the source is read; each child before it is
		// written.
		faultproxy.ClassManifestHead: 1 + children,
		faultproxy.ClassManifestGet:  1, // the index, read back under the tag
		faultproxy.ClassManifestPut:  children + 1,
		faultproxy.ClassBlobHead:     len(blobs),
		faultproxy.ClassUploadStart:  len(blobs),
		faultproxy.ClassUploadPatch:  len(blobs),
		faultproxy.ClassUploadPut:    len(blobs),
	}
	if diff := cmp.Diff(want, dst.Stats().Requests); diff != "" {
		t.Errorf("Push(): requests to the destination (-want +got):\n%s", diff)
	}
}

// TestPushLeavesTagsThatAreThere: a tag the destination has at the digest
// is not put again, as a registry with immutable tags refuses even the
// same digest under a tag it has; a new tag beside it is put.
func TestPushLeavesTagsThatAreThere(t *testing.T) {
	t.Parallel()
	reg := memRegistry(t, true)
	idx := twoPlatformIndex(t)
	c := fastClient(t, nil)
	src := Source{Kind: SourceOCI, Path: writeLayout(t, idx)}
	if _, err := c.Push(ctx(t), src, reg+"/team/app:v1"); err != nil {
		t.Fatalf("first Push() = %v", err)
	}
	// v1 is immutable now: a PUT of it fails.
	dst, err := faultproxy.New("http://"+reg, faultproxy.Rule{
		Match: func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/manifests/v1")
		},
		Fault: faultproxy.Unavailable,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dst.Close)
	failing := fastClient(t, nil, WithRetry(WithMaxAttempts(1)))
	res, err := failing.Push(ctx(t), src, dst.Host+"/team/app:v1", WithTags("v2"))
	if err != nil {
		t.Fatalf("Push(v1, v2) with v1 there = %v", err)
	}
	if len(res.Tags) != 2 {
		t.Errorf("Push() tags = %v, want v1 and v2", res.Tags)
	}
	if h, err := remote.Head(mustTag(t, reg+"/team/app:v2")); err != nil || h.Digest != mustDigest(t, idx) {
		t.Errorf("v2 = %v, %v; want the index", h, err)
	}
}

// TestPushReadsSourceOnce: a first push from a registry reads the index
// and each of its manifests once from the source, though it describes
// them before the pusher copies them.
func TestPushReadsSourceOnce(t *testing.T) {
	t.Parallel()
	srcReg := memRegistry(t, true)
	src, err := faultproxy.New("http://" + srcReg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	idx := twoPlatformIndex(t)
	c := fastClient(t, nil)
	staged, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, src.Host+"/team/app:v1")
	if err != nil {
		t.Fatalf("staging Push() = %v", err)
	}
	src.ResetStats()
	if _, err := c.Push(ctx(t), Source{Kind: SourceRegistry, Name: staged.Ref.String()}, memRegistry(t, true)+"/team/app:v1"); err != nil {
		t.Fatalf("Push() = %v", err)
	}
	if got, want := src.Stats().Requests[faultproxy.ClassManifestGet], 1+len(mustIndexManifest(t, idx).Manifests); got != want {
		t.Errorf("Push() read %d manifests from the source, want %d: the index and each of its manifests once", got, want)
	}
}

// TestWarmOnlyPings: warming the pusher pings the registry and uploads
// nothing, and the push after it pings no more.
func TestWarmOnlyPings(t *testing.T) {
	t.Parallel()
	dst, err := faultproxy.New("http://" + memRegistry(t, true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dst.Close)
	c := fastClient(t, nil)
	pusher, err := remote.NewPusher(c.RemoteOptions(ctx(t))...)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(dst.Host + "/team/app")
	if err != nil {
		t.Fatal(err)
	}
	warm(ctx(t), pusher, repo)
	if diff := cmp.Diff(map[string]int{faultproxy.ClassOther: 1}, dst.Stats().Requests); diff != "" {
		t.Errorf("warm(): requests (-want +got):\n%s", diff)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	dst.ResetStats()
	if err := pusher.Push(ctx(t), repo.Tag("v1"), img); err != nil {
		t.Fatalf("Push() after warm() = %v", err)
	}
	if n := dst.Stats().Requests[faultproxy.ClassOther]; n != 0 {
		t.Errorf("Push() after warm() pinged %d times, want none", n)
	}
}
