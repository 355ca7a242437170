package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// keys are made once: cosign's scrypt cost makes each encryption slow.
var testKeys = sync.OnceValues(func() ([2]crypto.Signer, error) {
	a, err := GenerateKey()
	if err != nil {
		return [2]crypto.Signer{}, err
	}
	b, err := GenerateKey()
	return [2]crypto.Signer{a, b}, err
})

func keyPair(t *testing.T) (ours, other crypto.Signer) {
	t.Helper()
	k, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k[0], k[1]
}

func passingStatement(t *testing.T, digests ...string) Statement {
	t.Helper()
	var images []Image
	for _, d := range digests {
		images = append(images, Image{Node: "app", Ref: "registry.example/app", Digest: d})
	}
	runs := []Run{{Scenario: "m0", File: "m0.yaml", SHA256: sum, Seed: 42, Verdict: Pass, Passed: []string{"latency_p99 < 50"}}}
	st, err := NewStatement(New(Pass, runs, images), runs)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStatement(t *testing.T) {
	t.Parallel()
	runs := []Run{
		{Scenario: "m0", File: "m0.yaml", SHA256: sum, Seed: 2, Verdict: Fail, Passed: []string{"a > 1"}, Failures: []string{"b < 2: actual 3"}},
		{Scenario: "m0", File: "m0.yaml", SHA256: sum, Seed: 1, Verdict: Pass, Passed: []string{"a > 1", "b < 2"}},
	}
	e := New(Fail, runs, []Image{{Node: "n", Ref: "r/app", Digest: digest}, {Node: "m", Ref: "r/app", Digest: child}, {Node: "o", Digest: digest}})
	st, err := NewStatement(e, runs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseStatement(b)
	if err != nil {
		t.Fatalf("ParseStatement(Marshal()) = %v", err)
	}
	reencoded := got
	reencoded.raw = nil
	if b2, _ := reencoded.Marshal(); !bytes.Equal(b, b2) {
		t.Errorf("ParseStatement(Marshal()) encodes as\n%s\nwant\n%s", b2, b)
	}
	if diff := cmp.Diff([]string{digest, child}, got.Digests()); diff != "" {
		t.Errorf("subjects (-want +got):\n%s", diff)
	}
	if got.Type != StatementType || got.PredicateType != PredicateTestResult || got.Predicate.Result != Failed {
		t.Errorf("statement = %s %s %s, want %s %s %s", got.Type, got.PredicateType, got.Predicate.Result, StatementType, PredicateTestResult, Failed)
	}
	wantPassed := []string{"m0 seed 1: a > 1", "m0 seed 1: b < 2", "m0 seed 2: a > 1"}
	if diff := cmp.Diff(wantPassed, got.Predicate.PassedTests); diff != "" {
		t.Errorf("passedTests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"m0 seed 2: b < 2: actual 3"}, got.Predicate.FailedTests); diff != "" {
		t.Errorf("failedTests (-want +got):\n%s", diff)
	}
	carried, ok, err := got.Evidence()
	if !ok || err != nil {
		t.Fatalf("Evidence() = %v, %v", ok, err)
	}
	if diff := cmp.Diff(e, carried); diff != "" {
		t.Errorf("the evidence the statement carries (-want +got):\n%s", diff)
	}
	cfg := got.Predicate.Configuration[0]
	if cfg.Name != "m0.yaml" || cfg.Digest["sha256"] != sum {
		t.Errorf("configuration[0] = %+v, want m0.yaml with its sha256", cfg)
	}
	again, _ := NewStatement(New(Fail, []Run{runs[1], runs[0]}, e.Images), []Run{runs[1], runs[0]})
	b2, _ := again.Marshal()
	if !bytes.Equal(b, b2) {
		t.Errorf("the same simulation gave two statements:\n%s\n%s", b, b2)
	}
}

func TestCosignKeyRoundTrip(t *testing.T) {
	t.Parallel()
	key, _ := keyPair(t)
	pemKey, err := MarshalPrivateKey(key, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pemKey, []byte("-----BEGIN "+pemSigstorePrivate)) {
		t.Errorf("key file starts %q, want cosign's PEM type", pemKey[:40])
	}
	got, err := ParsePrivateKey(pemKey, []byte("s3cret"))
	if err != nil {
		t.Fatalf("ParsePrivateKey() = %v", err)
	}
	if !got.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
		t.Error("ParsePrivateKey(MarshalPrivateKey(k)) is another key")
	}
	if _, err := ParsePrivateKey(pemKey, []byte("wrong")); !errors.Is(err, ErrWrongPassword) {
		t.Errorf("ParsePrivateKey(wrong password) = %v, want ErrWrongPassword", err)
	}
	pub, err := MarshalPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePublicKey(pub); err != nil {
		t.Errorf("ParsePublicKey() = %v", err)
	}
	for name, in := range map[string]string{
		"not PEM":        "hello",
		"private as pub": string(pemKey),
	} {
		if _, err := ParsePublicKey([]byte(in)); err == nil {
			t.Errorf("ParsePublicKey(%s) = nil error", name)
		}
	}
}

// TestPolicy signs and checks statements without a registry: every kind of
// refusal and the acceptance, with ECDSA and Ed25519 keys.
func TestPolicy(t *testing.T) {
	t.Parallel()
	ours, other := keyPair(t)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := passingStatement(t, child)
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	failing := func() Statement {
		runs := []Run{{Scenario: "m0", File: "m0.yaml", SHA256: sum, Seed: 42, Verdict: Fail, Failures: []string{"latency_p99 < 50: actual 80"}}}
		st, _ := NewStatement(New(Fail, runs, []Image{{Digest: digest}}), runs)
		return st
	}()
	sign := func(st Statement, k crypto.Signer) []byte {
		b, err := Sign(st, k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tamper := func(b []byte) []byte {
		bu, err := ParseBundle(b)
		if err != nil {
			t.Fatal(err)
		}
		bu.DSSEEnvelope.Payload = bytes.Replace(bu.DSSEEnvelope.Payload, []byte(`"FAILED"`), []byte(`"PASSED"`), 1)
		out, _ := json.Marshal(bu)
		return out
	}
	cases := []struct {
		name     string
		key      crypto.Signer
		found    []SignedAttestation
		unsigned int
		scenario string
		want     string // a refusal kind, or empty for accepted
		maxAge   time.Duration
	}{
		{"nothing attached", ours, nil, 0, "", RefusedUnsigned, 0},
		{"only unsigned evidence", ours, nil, 1, "", RefusedUnsigned, 0},
		{"signed by another key", ours, []SignedAttestation{{Bundle: sign(good, other)}}, 0, "", RefusedOtherKey, 0},
		{"a flipped byte", ours, []SignedAttestation{{Bundle: tamper(sign(failing, ours))}}, 0, "", RefusedTampered, 0},
		{"not a bundle", ours, []SignedAttestation{{Bundle: []byte("{")}}, 0, "", RefusedTampered, 0},
		{"another digest", ours, []SignedAttestation{{Bundle: sign(passingStatement(t, "sha256:"+strings.Repeat("9", 64)), ours)}}, 0, "", RefusedOtherSubject, 0},
		{"result FAILED", ours, []SignedAttestation{{Bundle: sign(failing, ours)}}, 0, "", RefusedFailed, 0},
		{"another scenario", ours, []SignedAttestation{{Bundle: sign(good, ours)}}, 0, "fleet", RefusedScenario, 0},
		{"the failure is named over a forgery", ours, []SignedAttestation{{Bundle: sign(good, other)}, {Bundle: sign(failing, ours)}}, 0, "", RefusedFailed, 0},
		{"passing, platform of the index", ours, []SignedAttestation{{Bundle: sign(good, ours)}}, 0, "", "", 0},
		{"passing, required scenario by name", ours, []SignedAttestation{{Bundle: sign(good, ours)}}, 0, "m0", "", 0},
		{"passing, required scenario by file", ours, []SignedAttestation{{Bundle: sign(good, ours)}}, 0, "m0.yaml", "", 0},
		{"passing beside a forgery", ours, []SignedAttestation{{Bundle: sign(good, other)}, {Bundle: sign(good, ours)}}, 0, "", "", 0},
		{"ed25519", edKey, []SignedAttestation{{Bundle: sign(good, edKey)}}, 0, "", "", 0},
		{"max age, no signing time", ours, []SignedAttestation{{Bundle: sign(good, ours)}}, 0, "", RefusedAge, time.Hour},
		{"max age, too old", ours, []SignedAttestation{{Bundle: sign(good.WithSignedAt(now.Add(-2*time.Hour)), ours)}}, 0, "", RefusedAge, time.Hour},
		{"max age, in the future", ours, []SignedAttestation{{Bundle: sign(good.WithSignedAt(now.Add(time.Hour)), ours)}}, 0, "", RefusedAge, time.Hour},
		{"max age, fresh", ours, []SignedAttestation{{Bundle: sign(good.WithSignedAt(now.Add(-time.Minute)), ours)}}, 0, "", "", time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := Policy{Key: tc.key.Public(), RequireScenario: tc.scenario, MaxAge: tc.maxAge, Now: func() time.Time { return now }}
			v, err := p.Check("registry.example/app@"+digest, tc.found, tc.unsigned, child)
			if tc.want == "" {
				if err != nil || v == nil {
					t.Fatalf("Check() = %v, want accepted", err)
				}
				return
			}
			var r *Refusal
			if !errors.As(err, &r) || r.ExitCode() != 2 || r.Kind != tc.want {
				t.Fatalf("Check() = %v (%#v), want a refusal of kind %s", err, r, tc.want)
			}
			if tc.unsigned > 0 && !strings.Contains(r.Reason, "unsigned") {
				t.Errorf("refusal %q does not say the evidence is unsigned", r.Reason)
			}
		})
	}
}

// TestAttachSigned attaches bundles to a registry with the referrers API and
// to one with only the referrers tag, and reads them back.
func TestAttachSigned(t *testing.T) {
	t.Parallel()
	ours, other := keyPair(t)
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers API", false: "referrers tag"}[referrers], func(t *testing.T) {
			t.Parallel()
			s := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(referrers)))
			t.Cleanup(s.Close)
			ctx := context.Background()
			img, err := random.Image(64, 1)
			if err != nil {
				t.Fatal(err)
			}
			h, _ := img.Digest()
			subject, err := name.NewDigest(strings.TrimPrefix(s.URL, "http://") + "/app@" + h.String())
			if err != nil {
				t.Fatal(err)
			}
			if err := remote.Write(subject, img); err != nil {
				t.Fatal(err)
			}
			if _, err := Attach(ctx, subject, New(Pass, nil, []Image{{Digest: h.String()}})); err != nil {
				t.Fatal(err)
			}
			st := passingStatement(t, h.String())
			var want []v1.Hash
			for _, k := range []crypto.Signer{other, ours} {
				b, err := Sign(st, k)
				if err != nil {
					t.Fatal(err)
				}
				ref, err := AttachSigned(ctx, subject, b)
				if err != nil {
					t.Fatalf("AttachSigned() = %v", err)
				}
				want = append(want, mustHash(t, ref.DigestStr()))
			}
			found, err := FindSigned(ctx, subject)
			if err != nil {
				t.Fatalf("FindSigned() = %v", err)
			}
			var got []v1.Hash
			for _, f := range found {
				if f.Err != nil {
					t.Errorf("attestation %s: %v", f.Digest, f.Err)
				}
				got = append(got, f.Digest)
			}
			if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b v1.Hash) bool { return a.String() < b.String() })); diff != "" {
				t.Errorf("FindSigned() found (-want +got):\n%s", diff)
			}
			v, err := Policy{Key: ours.Public()}.Check(subject.String(), found, 1)
			if err != nil {
				t.Fatalf("Check() = %v", err)
			}
			if v.Attestation.Digest != want[1] {
				t.Errorf("accepted %s, want %s (the one signed by our key)", v.Attestation.Digest, want[1])
			}
		})
	}
}
