package evidence

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testCA issues certificates shaped as Fulcio's: a URI or email subject
// alternative name, the OIDC issuer in extension 1.3.6.1.4.1.57264.1.8,
// code signing use, a short validity. It stands in for Fulcio in these
// unit tests of the policy's logic; the bed tests use the real Fulcio.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test fulcio", Organization: []string{"xedgesim"}},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{key: key, cert: cert}
}

func issuerExtension(t *testing.T, issuer string) []byte {
	t.Helper()
	v, err := asn1.MarshalWithParams(issuer, "utf8")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// issue certifies pub for identity (a URI) and issuer, valid from
// notBefore for ten minutes.
func (ca *testCA) issue(t *testing.T, pub crypto.PublicKey, identity, issuer string, notBefore time.Time) *x509.Certificate {
	t.Helper()
	u, err := url.Parse(identity)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), NotBefore: notBefore, NotAfter: notBefore.Add(10 * time.Minute),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:            []*url.URL{u},
		ExtraExtensions: []pkix.Extension{{Id: oidIssuerV2, Value: issuerExtension(t, issuer)}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const (
	testWorkflow = "https://github.com/xedgesim/simulate/.github/workflows/release.yml@refs/heads/main"
	testIssuer   = "https://token.actions.githubusercontent.com"
)

func TestPolicyKeyless(t *testing.T) {
	t.Parallel()
	ca, otherCA := newTestCA(t), newTestCA(t)
	ours, _ := keyPair(t)
	signedAt := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)

	keyless := func(t *testing.T, ca *testCA, identity, issuer string, notBefore time.Time, edit func(*Statement)) SignedAttestation {
		t.Helper()
		eph, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		st := passingStatement(t, digest).WithSignedAt(signedAt)
		if edit != nil {
			edit(&st)
		}
		b, err := SignKeyless(st, eph, ca.issue(t, eph.Public(), identity, issuer, notBefore))
		if err != nil {
			t.Fatal(err)
		}
		return SignedAttestation{Bundle: b}
	}
	withKey := func(t *testing.T) SignedAttestation {
		b, err := Sign(passingStatement(t, digest).WithSignedAt(signedAt), ours)
		if err != nil {
			t.Fatal(err)
		}
		return SignedAttestation{Bundle: b}
	}
	good := func(t *testing.T) SignedAttestation {
		return keyless(t, ca, testWorkflow, testIssuer, signedAt.Add(-time.Minute), nil)
	}
	exact := &Identity{Subject: testWorkflow, Issuer: testIssuer, Roots: roots}
	anchored := func(expr string) *Identity {
		re, err := CompileAnchored(expr)
		if err != nil {
			t.Fatal(err)
		}
		return &Identity{SubjectRegexp: re, Issuer: testIssuer, Roots: roots}
	}
	for _, tc := range []struct {
		name   string
		policy Policy
		a      func(t *testing.T) SignedAttestation
		want   string // refusal kind; "" accepts
		says   string
	}{
		{"identity and issuer", Policy{Identity: exact}, good, "", ""},
		{"identity regexp", Policy{Identity: anchored(`https://github\.com/xedgesim/simulate/\.github/workflows/release\.yml@refs/.*`)}, good, "", ""},
		{"key or identity, keyless", Policy{Key: ours.Public(), Identity: exact}, good, "", ""},
		{"key or identity, key", Policy{Key: ours.Public(), Identity: exact}, withKey, "", ""},
		{"regexp matches the whole identity", Policy{Identity: anchored(`xedgesim/simulate/.*`)}, good, RefusedIdentity, "not by ~xedgesim/simulate/.*"},
		{"another workflow", Policy{Identity: exact}, func(t *testing.T) SignedAttestation {
			return keyless(t, ca, "https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main", testIssuer, signedAt.Add(-time.Minute), nil)
		}, RefusedIdentity, "signed by https://github.com/evil/fork/"},
		{"another issuer", Policy{Identity: exact}, func(t *testing.T) SignedAttestation {
			return keyless(t, ca, testWorkflow, "https://accounts.example.com", signedAt.Add(-time.Minute), nil)
		}, RefusedIdentity, "(issuer https://accounts.example.com)"},
		{"another CA", Policy{Identity: exact}, func(t *testing.T) SignedAttestation {
			return keyless(t, otherCA, testWorkflow, testIssuer, signedAt.Add(-time.Minute), nil)
		}, RefusedUntrusted, "does not chain to the trusted root"},
		{"expired at signing", Policy{Identity: exact}, func(t *testing.T) SignedAttestation {
			return keyless(t, ca, testWorkflow, testIssuer, signedAt.Add(-time.Hour), nil)
		}, RefusedUntrusted, "was not valid at the signing time"},
		{"no signing time, checked now", Policy{Identity: exact}, func(t *testing.T) SignedAttestation {
			return keyless(t, ca, testWorkflow, testIssuer, signedAt.Add(-time.Minute), func(s *Statement) { *s = passingStatement(t, digest) })
		}, RefusedUntrusted, "was not valid at the signing time"},
		{"keyless, key policy", Policy{Key: ours.Public()}, good, RefusedOtherKey, "signed with a certificate (keyless)"},
		{"key, identity policy", Policy{Identity: exact}, withKey, RefusedOtherKey, "signed with a key, not with a certificate for " + testWorkflow},
		{"flipped byte", Policy{Identity: exact}, func(t *testing.T) SignedAttestation {
			a := good(t)
			var b Bundle
			if err := json.Unmarshal(a.Bundle, &b); err != nil {
				t.Fatal(err)
			}
			b.DSSEEnvelope.Payload = []byte(strings.Replace(string(b.DSSEEnvelope.Payload), `"PASSED"`, `"PASSEE"`, 1))
			a.Bundle, _ = json.Marshal(b)
			return a
		}, RefusedTampered, "altered after signing"},
		{"other subject", Policy{Identity: exact}, func(t *testing.T) SignedAttestation {
			return keyless(t, ca, testWorkflow, testIssuer, signedAt.Add(-time.Minute), func(s *Statement) { *s = passingStatement(t, child).WithSignedAt(signedAt) })
		}, RefusedOtherSubject, "not this digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := tc.policy.Check("registry.example/app@"+digest, []SignedAttestation{tc.a(t)}, 0)
			if tc.want == "" {
				if err != nil || v == nil {
					t.Fatalf("Check = %v, want accepted", err)
				}
				return
			}
			var r *Refusal
			if !errors.As(err, &r) || r.ExitCode() != 2 || r.Kind != tc.want {
				t.Fatalf("Check = %v (%T), want a %s refusal", err, err, tc.want)
			}
			if !strings.Contains(r.Reason, tc.says) {
				t.Errorf("refusal %q does not say %q", r.Reason, tc.says)
			}
		})
	}
}

func TestParseTrustedRoot(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	js, err := TrustedRootJSON("http://fulcio.test", []*x509.Certificate{ca.cert})
	if err != nil {
		t.Fatal(err)
	}
	pemRoot := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
	for name, b := range map[string][]byte{"trusted_root.json": js, "PEM": pemRoot} {
		roots, _, err := ParseTrustedRoot(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := ca.cert.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
			t.Errorf("%s: the CA is not among the roots: %v", name, err)
		}
	}
	for name, b := range map[string]string{
		"empty":        "",
		"no CA":        `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`,
		"bad JSON":     `{"certificateAuthorities":[`,
		"not a cert":   `{"certificateAuthorities":[{"certChain":{"certificates":[{"rawBytes":"AAAA"}]}}]}`,
		"a public key": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
	} {
		if _, _, err := ParseTrustedRoot([]byte(b)); err == nil {
			t.Errorf("%s: ParseTrustedRoot accepted it", name)
		}
	}
}

// TestFulcioRequest checks the request our client makes against a stand-in
// for Fulcio's API v2: the token, the PEM public key and a proof of
// possession over the token's subject that verifies with that key.
func TestFulcioRequest(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t)
	claims := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"repo:xedgesim/simulate:ref:refs/heads/main","iss":"x"}`))
	token := "eyJhbGciOiJFUzI1NiJ9." + claims + ".c2ln"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/signingCert" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Credentials struct {
				OIDCIdentityToken string `json:"oidcIdentityToken"`
			} `json:"credentials"`
			PublicKeyRequest struct {
				PublicKey struct {
					Algorithm string `json:"algorithm"`
					Content   string `json:"content"`
				} `json:"publicKey"`
				ProofOfPossession []byte `json:"proofOfPossession"`
			} `json:"publicKeyRequest"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		pub, err := ParsePublicKey([]byte(req.PublicKeyRequest.PublicKey.Content))
		if err != nil || req.Credentials.OIDCIdentityToken != token || req.PublicKeyRequest.PublicKey.Algorithm != "ECDSA" {
			http.Error(w, "bad request", 400)
			return
		}
		h := sha256.Sum256([]byte("repo:xedgesim/simulate:ref:refs/heads/main"))
		if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), h[:], req.PublicKeyRequest.ProofOfPossession) {
			http.Error(w, "proof of possession does not verify", 400)
			return
		}
		leaf := ca.issue(t, pub, testWorkflow, testIssuer, time.Now().Add(-time.Second))
		p := func(c *x509.Certificate) string {
			return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
		}
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"signedCertificateEmbeddedSct": map[string]any{"chain": map[string]any{"certificates": []string{p(leaf), p(ca.cert)}}}})
	}))
	defer srv.Close()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	chain, err := Fulcio{URL: srv.URL}.Certificate(context.Background(), token, key)
	if err != nil {
		t.Fatal(err)
	}
	sans, issuer := certIdentity(chain[0])
	if diff := cmp.Diff([]string{testWorkflow}, sans); diff != "" || issuer != testIssuer || len(chain) != 2 {
		t.Errorf("certificate names %v (issuer %s), chain of %d; want %s (%s), 2 (-want +got):\n%s", sans, issuer, len(chain), testWorkflow, testIssuer, diff)
	}
	if _, err := (Fulcio{URL: srv.URL}).Certificate(context.Background(), "not-a-jwt", key); err == nil || !strings.Contains(err.Error(), "not a JWT") {
		t.Errorf("a malformed token: %v, want it named", err)
	}
	if _, err := (Fulcio{URL: srv.URL + "/nothing"}).Certificate(context.Background(), token, key); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a wrong URL: %v, want the status", err)
	}
}
