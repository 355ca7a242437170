package registry

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/pkg/image/registry/internal/faultproxy"
)

// TestPushUnchangedAsksOnce: pushing an image again to where it already is
// asks the destination one HEAD of its tag (after the ping), as crane copy
// does: no blob, no manifest read or written, no second ping for the
// verification, and the result says every blob was there.
func TestPushUnchangedAsksOnce(t *testing.T) {
	t.Parallel()
	src := memRegistry(t, true)
	dst := memRegistry(t, true)
	proxy, err := faultproxy.New("http://" + dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	idx := twoPlatformIndex(t)
	want := mustDigest(t, idx)
	tag, err := name.NewTag(src + "/team/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx); err != nil {
		t.Fatal(err)
	}
	source := Source{Kind: SourceRegistry, Name: src + "/team/app@" + want.String()}
	c := fastClient(t, &recorder{})
	if _, err := c.Push(ctx(t), source, proxy.Host+"/team/app:v1"); err != nil {
		t.Fatalf("first Push() = %v", err)
	}

	for _, dstRef := range []string{proxy.Host + "/team/app:v1", proxy.Host + "/team/app@" + want.String()} {
		proxy.ResetStats()
		res, err := c.Push(ctx(t), source, dstRef)
		if err != nil {
			t.Fatalf("Push(%s) again = %v", dstRef, err)
		}
		got := proxy.Stats().Requests
		// The ping is "other".
		if diff := cmp.Diff(map[string]int{faultproxy.ClassOther: 1, faultproxy.ClassManifestHead: 1}, got); diff != "" {
			t.Errorf("Push(%s) again: requests to the destination (-want +got):\n%s", dstRef, diff)
		}
		if res.Digest != want || res.UploadedBlobs != 0 {
			t.Errorf("Push(%s) again = %s, %d blobs uploaded; want %s, none", dstRef, res.Digest, res.UploadedBlobs, want)
		}
		for _, p := range res.Platforms {
			if p.Existing != p.Blobs {
				t.Errorf("Push(%s) again: %s has %d of %d blobs there", dstRef, p.Platform, p.Existing, p.Blobs)
			}
		}
	}
}
