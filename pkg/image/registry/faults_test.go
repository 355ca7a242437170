package registry

import (
	"strings"
	"testing"

	"github.com/xedgesim/simulate/pkg/image/registry/internal/faultproxy"
)

// faultRules injects each fault at least once into a push: connections
// dropped before and after the registry acted, 429 with Retry-After, 503,
// GitHub's 403 secondary rate limit, and truncated bodies.
func faultRules() []faultproxy.Rule {
	return []faultproxy.Rule{
		{Match: faultproxy.Is(faultproxy.ClassUploadPatch), Fault: faultproxy.DropBeforeForward, Times: 1},
		{Match: faultproxy.Is(faultproxy.ClassUploadPatch), Fault: faultproxy.DropAfterForward, Every: 2, Times: 1},
		{Match: faultproxy.Is(faultproxy.ClassUploadPut), Fault: faultproxy.DropAfterForward, Times: 1},
		{Match: faultproxy.Is(faultproxy.ClassUploadStart), Fault: faultproxy.SecondaryRateLimit, RetryAfter: "1", Times: 1},
		{Match: faultproxy.Is(faultproxy.ClassManifestPut), Fault: faultproxy.TooManyRequests, RetryAfter: "1", Times: 1},
		{Match: faultproxy.Is(faultproxy.ClassBlobHead), Fault: faultproxy.Unavailable, Every: 3, Times: 3},
		{Match: faultproxy.Is(faultproxy.ClassManifestGet), Fault: faultproxy.TruncateBody, Times: 2},
		{Match: faultproxy.Is(faultproxy.ClassBlobGet), Fault: faultproxy.TruncateBody, Every: 2},
		{Match: faultproxy.Is(faultproxy.ClassBlobGet), Fault: faultproxy.DropBeforeForward, Times: 1},
	}
}

// TestPushThroughFaults pushes a two-platform index to a registry behind
// the fault proxy, then promotes it from there to a second faulty
// registry: both complete, keep the digest and verify.
func TestPushThroughFaults(t *testing.T) {
	t.Parallel()
	stage, err := faultproxy.New("http://"+memRegistry(t, false), faultRules()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stage.Close)
	prod, err := faultproxy.New("http://"+memRegistry(t, true), faultRules()...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(prod.Close)

	idx := twoPlatformIndex(t)
	want := mustDigest(t, idx)
	rec := &recorder{}
	c := fastClient(t, rec)
	staged, err := c.Push(ctx(t), Source{Kind: SourceOCI, Path: writeLayout(t, idx)}, stage.Host+"/app:rc", WithEvidence(passing(want.String())))
	if err != nil {
		t.Fatalf("Push() through faults = %v\nretries:\n%s", err, strings.Join(rec.reasons(), "\n"))
	}
	if staged.Digest != want {
		t.Errorf("Push() = %s, want %s", staged.Digest, want)
	}
	promoted, err := c.Push(ctx(t), Source{Kind: SourceRegistry, Name: staged.Ref.String()}, prod.Host+"/app:v1", RequireEvidence())
	if err != nil {
		t.Fatalf("promotion through faults = %v\nretries:\n%s", err, strings.Join(rec.reasons(), "\n"))
	}
	if promoted.Digest != want {
		t.Errorf("promotion = %s, want %s", promoted.Digest, want)
	}
	if err := c.Verify(ctx(t), promoted.Ref); err != nil {
		t.Errorf("Verify() = %v", err)
	}

	for _, p := range []*faultproxy.Proxy{stage, prod} {
		st := p.Stats()
		for _, f := range []faultproxy.Fault{faultproxy.DropBeforeForward, faultproxy.DropAfterForward, faultproxy.TooManyRequests, faultproxy.Unavailable, faultproxy.SecondaryRateLimit, faultproxy.TruncateBody} {
			if st.Faults[f.String()] == 0 {
				t.Errorf("proxy %s injected no %s (faults %v, requests %v)", p.Host, f, st.Faults, st.Requests)
			}
		}
	}
	reasons := strings.Join(rec.reasons(), "\n")
	for _, want := range []string{"429 Too Many Requests", "(Retry-After)", "503 Service Unavailable", "GHCR secondary rate limit (403)", "response body cut at", "the blob upload starts again"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("no retry reported %q; reported:\n%s", want, reasons)
		}
	}
}
