package registry

import (
	"errors"
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

// TestVerify: the manifest is read back under the first tag, or the
// digest without one; every other tag must name the digest; an index's
// manifests are asked for only when children is set.
func TestVerify(t *testing.T) {
	t.Parallel()
	reg := memRegistry(t, true)
	repo := reg + "/team/app"
	idx := twoPlatformIndex(t)
	want := mustDigest(t, idx)
	if err := remote.WriteIndex(mustTag(t, repo+":good"), idx); err != nil {
		t.Fatal(err)
	}
	other, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(mustTag(t, repo+":moved"), other); err != nil {
		t.Fatal(err)
	}
	// The registry fails to answer for the index's first manifest.
	child := mustIndexManifest(t, idx).Manifests[0].Digest.String()
	proxy, err := faultproxy.New("http://"+reg, faultproxy.Rule{
		Match: func(r *http.Request) bool {
			return r.Method == http.MethodHead && strings.HasSuffix(r.URL.Path, "/manifests/"+child)
		},
		Fault: faultproxy.Unavailable,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	repo = proxy.Host + "/team/app"
	c := fastClient(t, nil, WithRetry(WithMaxAttempts(1)))
	cases := []struct {
		name     string
		repo     string
		tags     []string
		children bool
		// want is "" for no error, else the reference a VerifyError
		// names, or a part of any other error.
		want string
	}{
		{name: "digest", repo: repo},
		{name: "tag", repo: repo, tags: []string{repo + ":good"}},
		{name: "first tag elsewhere", repo: repo, tags: []string{repo + ":moved"}, want: repo + ":moved"},
		{name: "second tag elsewhere", repo: repo, tags: []string{repo + ":good", repo + ":moved"}, want: repo + ":moved"},
		{name: "manifest unanswered, not asked", repo: repo, tags: []string{repo + ":good"}},
		{name: "manifest unanswered, asked", repo: repo, children: true, want: "manifest " + child},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ref, err := name.NewDigest(tc.repo + "@" + want.String())
			if err != nil {
				t.Fatal(err)
			}
			err = c.verify(ctx(t), ref, tc.tags, v1.Descriptor{Digest: want}, tc.children, c.RemoteOptions(ctx(t)))
			got := ""
			var ve *VerifyError
			switch {
			case errors.As(err, &ve):
				got = ve.Ref
			case err != nil && strings.Contains(err.Error(), tc.want):
				got = tc.want
			case err != nil:
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("verify() = %v (-want +got):\n%s", err, diff)
			}
		})
	}
}
