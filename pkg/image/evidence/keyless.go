package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Fulcio's certificate extensions that name the OIDC issuer of the
// identity: .1.8 (DER UTF8String) in current certificates, .1.1 (the
// raw string) in older ones.
var (
	oidIssuerV2 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidIssuerV1 = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}
)

// DefaultFulcioURL is the public Sigstore certificate authority.
const DefaultFulcioURL = "https://fulcio.sigstore.dev"

// maxFulcioResponse bounds what is read from a certificate authority.
const maxFulcioResponse = 1 << 20

// Fulcio asks a Fulcio certificate authority (API v2) for a short-lived
// certificate binding an ephemeral key to the identity of an OIDC token.
type Fulcio struct {
	URL    string
	Client *http.Client // nil: a client with a 30 s timeout
}

// Certificate returns the chain (leaf first) Fulcio issued for key under
// token. The proof of possession is key's signature of the token's sub
// claim, as Fulcio expects for every issuer type that names the
// principal by its subject.
func (f Fulcio) Certificate(ctx context.Context, token string, key crypto.Signer) ([]*x509.Certificate, error) {
	sub, err := tokenSubject(token)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte(sub))
	proof, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("requesting certificate: proof of possession: %w", err)
	}
	pub, err := MarshalPublicKey(key.Public())
	if err != nil {
		return nil, err
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
	req.Credentials.OIDCIdentityToken = token
	req.PublicKeyRequest.PublicKey.Algorithm = "ECDSA"
	req.PublicKeyRequest.PublicKey.Content = string(pub)
	req.PublicKeyRequest.ProofOfPossession = proof
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	u := strings.TrimRight(f.URL, "/") + "/api/v2/signingCert"
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("requesting certificate: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	c := f.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("requesting certificate from %s: %w", f.URL, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(io.LimitReader(resp.Body, maxFulcioResponse))
	if err != nil {
		return nil, fmt.Errorf("requesting certificate from %s: %w", f.URL, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("requesting certificate from %s: %s: %s", f.URL, resp.Status, strings.TrimSpace(string(rb)))
	}
	type chain struct {
		Chain struct {
			Certificates []string `json:"certificates"`
		} `json:"chain"`
	}
	var out struct {
		Embedded *chain `json:"signedCertificateEmbeddedSct"`
		Detached *chain `json:"signedCertificateDetachedSct"`
	}
	if err := json.Unmarshal(rb, &out); err != nil {
		return nil, fmt.Errorf("requesting certificate from %s: %w", f.URL, err)
	}
	ch := out.Embedded
	if ch == nil {
		ch = out.Detached
	}
	if ch == nil || len(ch.Chain.Certificates) == 0 {
		return nil, fmt.Errorf("requesting certificate from %s: the answer holds no certificate", f.URL)
	}
	var certs []*x509.Certificate
	for _, p := range ch.Chain.Certificates {
		cs, err := parseCertsPEM([]byte(p))
		if err != nil {
			return nil, fmt.Errorf("requesting certificate from %s: %w", f.URL, err)
		}
		certs = append(certs, cs...)
	}
	if !publicKeyEqual(certs[0].PublicKey, key.Public()) {
		return nil, fmt.Errorf("requesting certificate from %s: the certificate is for another key", f.URL)
	}
	return certs, nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	ak, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ak.Equal(b)
}

// tokenSubject reads a JWT's sub claim. The token is not verified here:
// Fulcio does that; we only need the string to prove the key with.
func tokenSubject(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("the identity token is not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", fmt.Errorf("the identity token's claims: %w", err)
	}
	var c struct {
		Sub   string `json:"sub"`
		Email string `json:"email"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return "", fmt.Errorf("the identity token's claims: %w", err)
	}
	if c.Sub == "" {
		return "", errors.New("the identity token has no sub claim")
	}
	return c.Sub, nil
}

func parseCertsPEM(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE PEM block")
	}
	return certs, nil
}

// certificateMaterial is a bundle's certificate (v0.3) or certificate
// chain (v0.1, v0.2), in the JSON form of the protobuf.
type certificateMaterial struct {
	RawBytes []byte `json:"rawBytes"`
}

// SignKeyless signs the statement with an ephemeral key certified by
// cert (the leaf Fulcio issued for it) into a DSSE envelope in a
// Sigstore bundle v0.3 that carries the certificate, as cosign attest
// --new-bundle-format does keyless. No transparency log entry is made.
func SignKeyless(s Statement, key crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	vm, err := certificateOf(key, cert)
	if err != nil {
		return nil, err
	}
	return signBundle(s, key, vm)
}

// SignPayloadKeyless signs an in-toto statement of any predicate, as
// encoded, the way [SignKeyless] signs a test result.
func SignPayloadKeyless(payload []byte, key crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	vm, err := certificateOf(key, cert)
	if err != nil {
		return nil, err
	}
	return signEnvelope(payload, key, vm)
}

// certificateOf is the verification material of a keyless signature by
// key, which cert certifies.
func certificateOf(key crypto.Signer, cert *x509.Certificate) (VerificationMaterial, error) {
	if !publicKeyEqual(cert.PublicKey, key.Public()) {
		return VerificationMaterial{}, errors.New("signing statement: the certificate is for another key")
	}
	raw, err := json.Marshal(certificateMaterial{RawBytes: cert.Raw})
	if err != nil {
		return VerificationMaterial{}, err
	}
	return VerificationMaterial{Certificate: raw}, nil
}

// leafCertificate is the signing certificate a bundle carries: v0.3's
// certificate or the first of an older bundle's chain.
func (vm VerificationMaterial) leafCertificate() (*x509.Certificate, error) {
	var cm certificateMaterial
	switch {
	case len(vm.Certificate) > 0:
		if err := json.Unmarshal(vm.Certificate, &cm); err != nil {
			return nil, fmt.Errorf("the bundle's certificate: %w", err)
		}
	case len(vm.X509CertificateChain) > 0:
		var ch struct {
			Certificates []certificateMaterial `json:"certificates"`
		}
		if err := json.Unmarshal(vm.X509CertificateChain, &ch); err != nil || len(ch.Certificates) == 0 {
			return nil, errors.New("the bundle's certificate chain is empty or unreadable")
		}
		cm = ch.Certificates[0]
	default:
		return nil, nil
	}
	c, err := x509.ParseCertificate(cm.RawBytes)
	if err != nil {
		return nil, fmt.Errorf("the bundle's certificate: %w", err)
	}
	return c, nil
}

// Identity is the keyless half of a [Policy]: who must have signed. The
// certificate must chain to Roots (through Intermediates) at the signing
// time, name Subject (or match SubjectRegexp) among its subject
// alternative names, and have been issued for a token of Issuer (or an
// issuer matching IssuerRegexp). Regular expressions match the whole
// value.
type Identity struct {
	Subject       string
	SubjectRegexp *regexp.Regexp
	Issuer        string
	IssuerRegexp  *regexp.Regexp
	Roots         *x509.CertPool
	Intermediates *x509.CertPool
}

// CompileAnchored compiles expr to match a whole value, as identities
// are matched: "repo/.*" must not accept "evil.example/repo/x".
func CompileAnchored(expr string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + expr + `)$`)
}

func (id Identity) describe() string {
	s, iss := id.Subject, id.Issuer
	if id.SubjectRegexp != nil {
		s = "~" + strings.TrimSuffix(strings.TrimPrefix(id.SubjectRegexp.String(), "^(?:"), ")$")
	}
	if id.IssuerRegexp != nil {
		iss = "~" + strings.TrimSuffix(strings.TrimPrefix(id.IssuerRegexp.String(), "^(?:"), ")$")
	}
	return fmt.Sprintf("%s (issuer %s)", s, iss)
}

// certIdentity is what a Fulcio certificate says: its subject
// alternative names and its OIDC issuer.
func certIdentity(c *x509.Certificate) (sans []string, issuer string) {
	sans = append(sans, c.EmailAddresses...)
	for _, u := range c.URIs {
		sans = append(sans, u.String())
	}
	for _, e := range c.Extensions {
		switch {
		case e.Id.Equal(oidIssuerV2):
			var s string
			if _, err := asn1.UnmarshalWithParams(e.Value, &s, "utf8"); err == nil {
				issuer = s
			}
		case e.Id.Equal(oidIssuerV1) && issuer == "":
			issuer = string(e.Value)
		}
	}
	return sans, issuer
}

// verifyCertificate checks leaf against the identity at time at: the
// chain to a trusted root, the certificate's validity and code-signing
// use, the issuer and a subject alternative name. kind is the refusal
// kind when it fails.
func (id Identity) verifyCertificate(leaf *x509.Certificate, at time.Time) (kind string, err error) {
	if id.Roots == nil {
		return RefusedUntrusted, errors.New("no trusted root to verify the certificate with (--trusted-root)")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{
		Roots: id.Roots, Intermediates: id.Intermediates, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
	}); err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return RefusedUntrusted, fmt.Errorf("its certificate was not valid at the signing time %s (valid %s to %s)",
				at.UTC().Format(time.RFC3339), leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
		}
		return RefusedUntrusted, fmt.Errorf("its certificate does not chain to the trusted root: %w", err)
	}
	sans, issuer := certIdentity(leaf)
	okIssuer := issuer != "" && (id.Issuer == "" || issuer == id.Issuer) && (id.IssuerRegexp == nil || id.IssuerRegexp.MatchString(issuer))
	okSubject := slices.ContainsFunc(sans, func(s string) bool {
		return (id.Subject == "" || s == id.Subject) && (id.SubjectRegexp == nil || id.SubjectRegexp.MatchString(s))
	})
	if !okIssuer || !okSubject {
		return RefusedIdentity, fmt.Errorf("it is signed by %s (issuer %s), not by %s", strings.Join(sans, ", "), issuer, id.describe())
	}
	return "", nil
}

// ParseTrustedRoot reads the certificate authorities to trust for keyless
// signatures: PEM certificates, or a Sigstore trusted root
// (trusted_root.json, as cosign --trusted-root takes). Self-signed
// certificates become roots, the others intermediates.
func ParseTrustedRoot(b []byte) (roots, intermediates *x509.CertPool, err error) {
	var certs []*x509.Certificate
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		var tr struct {
			MediaType              string `json:"mediaType"`
			CertificateAuthorities []struct {
				CertChain struct {
					Certificates []certificateMaterial `json:"certificates"`
				} `json:"certChain"`
			} `json:"certificateAuthorities"`
		}
		if err := json.Unmarshal(b, &tr); err != nil {
			return nil, nil, fmt.Errorf("reading trusted root: %w", err)
		}
		for _, ca := range tr.CertificateAuthorities {
			for _, cm := range ca.CertChain.Certificates {
				c, err := x509.ParseCertificate(cm.RawBytes)
				if err != nil {
					return nil, nil, fmt.Errorf("reading trusted root: %w", err)
				}
				certs = append(certs, c)
			}
		}
	} else if certs, err = parseCertsPEM(b); err != nil {
		return nil, nil, fmt.Errorf("reading trusted root: %w (want PEM certificates or a Sigstore trusted_root.json)", err)
	}
	if len(certs) == 0 {
		return nil, nil, errors.New("reading trusted root: it names no certificate authority")
	}
	roots, intermediates = x509.NewCertPool(), x509.NewCertPool()
	nroots := 0
	for _, c := range certs {
		if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil {
			roots.AddCert(c)
			nroots++
		} else {
			intermediates.AddCert(c)
		}
	}
	if nroots == 0 {
		return nil, nil, errors.New("reading trusted root: no self-signed root certificate among them")
	}
	return roots, intermediates, nil
}

// TrustedRootJSON encodes CA certificates (root last, as Fulcio lists its
// chain) as a Sigstore trusted root with one certificate authority, the
// file cosign --trusted-root and our --trusted-root both read.
func TrustedRootJSON(uri string, chain []*x509.Certificate) ([]byte, error) {
	type cm = certificateMaterial
	var certs []cm
	for _, c := range chain {
		certs = append(certs, cm{RawBytes: c.Raw})
	}
	root := chain[len(chain)-1]
	v := map[string]any{
		"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		"certificateAuthorities": []any{map[string]any{
			"subject":   map[string]any{"organization": firstOr(root.Subject.Organization, "xedgesim"), "commonName": root.Subject.CommonName},
			"uri":       uri,
			"certChain": map[string]any{"certificates": certs},
			"validFor":  map[string]any{"start": root.NotBefore.UTC().Format(time.RFC3339)},
		}},
	}
	return json.MarshalIndent(v, "", "  ")
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
