package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/internal/readlimit"
	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// signFlags are the flags of signed evidence: the key that signs (attest,
// push --evidence) and the policy that verifies (push and deploy
// --require-evidence).
type signFlags struct {
	key             string // cosign.key; its password comes from COSIGN_PASSWORD
	statement       string // the statement to sign; default beside --evidence
	evidenceKey     string // cosign.pub
	requireScenario string
	maxAge          time.Duration

	keyless   bool   // sign with a Fulcio certificate for the job's OIDC identity
	fulcioURL string // the certificate authority of --keyless
	id        identityFlags
}

// identityFlags are the keyless half of the verification policy, named as
// cosign names them.
type identityFlags struct {
	identity, identityRegexp string
	issuer, issuerRegexp     string
	trustedRoot              string
}

func (f identityFlags) set() bool {
	return f.identity != "" || f.identityRegexp != "" || f.issuer != "" || f.issuerRegexp != "" || f.trustedRoot != ""
}

func (f *signFlags) addSign(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.key, "key", "", "sign the simulation's in-toto statement with this cosign private key (password from COSIGN_PASSWORD)")
	fl.StringVar(&f.statement, "statement", "", "the statement to sign (default: "+evidence.StatementFileName+" beside --evidence)")
	fl.BoolVar(&f.keyless, "keyless", false, "sign with a short-lived certificate from Fulcio for the job's OIDC identity (GitHub Actions with id-token: write, or SIGSTORE_ID_TOKEN)")
	fl.StringVar(&f.fulcioURL, "fulcio-url", evidence.DefaultFulcioURL, "with --keyless: the Fulcio certificate authority")
}

func (f *signFlags) addVerify(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.evidenceKey, "evidence-key", "", "with --require-evidence: accept only an attestation signed with this cosign public key")
	fl.StringVar(&f.requireScenario, "require-scenario", "", "with --evidence-key: the attestation must name this scenario (name or file)")
	fl.DurationVar(&f.maxAge, "max-age", 0, "with --evidence-key: the attestation must have been signed at most this long ago (e.g. 168h)")
	fl.StringVar(&f.id.identity, "certificate-identity", "", "with --require-evidence: accept a keyless attestation signed by this identity (the certificate's subject alternative name)")
	fl.StringVar(&f.id.identityRegexp, "certificate-identity-regexp", "", "like --certificate-identity, a regular expression matching the whole identity")
	fl.StringVar(&f.id.issuer, "certificate-oidc-issuer", "", "with --certificate-identity: the OIDC issuer of the identity (e.g. https://token.actions.githubusercontent.com)")
	fl.StringVar(&f.id.issuerRegexp, "certificate-oidc-issuer-regexp", "", "like --certificate-oidc-issuer, a regular expression matching the whole issuer")
	fl.StringVar(&f.id.trustedRoot, "trusted-root", "", "with --certificate-identity: the certificate authorities to trust, a Sigstore trusted_root.json or PEM certificates")
}

// bundle signs the statement beside evidenceFile (or --statement) with
// --key; nil without --key.
func (f *signFlags) bundle(ctx context.Context, evidenceFile string, getenv func(string) string) ([]byte, error) {
	if f.key != "" && f.keyless {
		return nil, usageError("--key and --keyless exclude each other: sign with a key or with a certificate")
	}
	if f.key == "" && !f.keyless {
		if f.statement != "" {
			return nil, usageError("--statement needs --key or --keyless (what to sign it with)")
		}
		return nil, nil
	}
	file := f.statement
	if file == "" {
		if evidenceFile == "" {
			return nil, usageError("--key and --keyless sign the statement simulate wrote: give --evidence FILE or --statement FILE")
		}
		file = filepath.Join(filepath.Dir(evidenceFile), evidence.StatementFileName)
	}
	st, err := evidence.ReadStatement(file)
	if err != nil {
		return nil, exitcode.New(exitcode.Invalid, err)
	}
	if f.keyless {
		return f.signKeyless(ctx, file, st, getenv)
	}
	key, err := loadSigner(f.key, getenv)
	if err != nil {
		return nil, err
	}
	b, err := evidence.Sign(st.WithSignedAt(time.Now()), key)
	if err != nil {
		return nil, exitcode.New(exitcode.Invalid, fmt.Errorf("%s: %w", file, err))
	}
	return b, nil
}

// signKeyless signs st with an ephemeral key that Fulcio certifies for
// the identity of the job's OIDC token. The key lives only in memory.
func (f *signFlags) signKeyless(ctx context.Context, file string, st evidence.Statement, getenv func(string) string) ([]byte, error) {
	key, cert, err := f.certify(ctx, getenv)
	if err != nil {
		return nil, err
	}
	b, err := evidence.SignKeyless(st.WithSignedAt(time.Now()), key, cert)
	if err != nil {
		return nil, exitcode.New(exitcode.Invalid, fmt.Errorf("%s: %w", file, err))
	}
	return b, nil
}

// certify makes an ephemeral key and has Fulcio certify it for the
// identity of the job's OIDC token (SIGSTORE_ID_TOKEN, else the Actions
// token request).
func (f *signFlags) certify(ctx context.Context, getenv func(string) string) (crypto.Signer, *x509.Certificate, error) {
	token := getenv("SIGSTORE_ID_TOKEN")
	if token == "" {
		var err error
		if token, err = gha.IDToken(ctx, getenv, "sigstore"); err != nil {
			if errors.Is(err, gha.ErrNoIDToken) {
				return nil, nil, usageError("--keyless needs an OIDC identity token: run in GitHub Actions with permissions: id-token: write, or set SIGSTORE_ID_TOKEN")
			}
			return nil, nil, err
		}
	}
	key, err := evidence.GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	chain, err := evidence.Fulcio{URL: f.fulcioURL}.Certificate(ctx, token, key)
	if err != nil {
		return nil, nil, err
	}
	return key, chain[0], nil
}

// payloadSigner is how --key or --keyless sign an encoded in-toto
// statement other than the simulation's (a build's provenance); nil
// without either. A key is read now, so a wrong one fails before any
// work; a keyless certificate is asked for when the statement is signed.
func (f *signFlags) payloadSigner(getenv func(string) string) (func(context.Context, []byte) ([]byte, error), error) {
	switch {
	case f.key != "" && f.keyless:
		return nil, usageError("--key and --keyless exclude each other: sign with a key or with a certificate")
	case f.key != "":
		key, err := loadSigner(f.key, getenv)
		if err != nil {
			return nil, err
		}
		return func(_ context.Context, payload []byte) ([]byte, error) { return evidence.SignPayload(payload, key) }, nil
	case f.keyless:
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			key, cert, err := f.certify(ctx, getenv)
			if err != nil {
				return nil, err
			}
			return evidence.SignPayloadKeyless(payload, key, cert)
		}, nil
	}
	return nil, nil
}

// loadSigner reads a cosign private key; the password is COSIGN_PASSWORD,
// never an argument.
func loadSigner(file string, getenv func(string) string) (crypto.Signer, error) {
	b, err := os.ReadFile(file) // #nosec G304 -- the cosign key the user named
	if err != nil {
		return nil, usageError("--key: %v", err)
	}
	k, err := evidence.ParsePrivateKey(b, []byte(getenv("COSIGN_PASSWORD")))
	if err != nil {
		return nil, usageError("--key %s: %v", file, err)
	}
	return k, nil
}

// policy is the verification policy of the flags; nil without
// --evidence-key.
func (f *signFlags) policy(requireEvidence bool) (*evidence.Policy, error) {
	if f.evidenceKey == "" && !f.id.set() {
		if f.requireScenario != "" || f.maxAge != 0 {
			return nil, usageError("--require-scenario and --max-age need --evidence-key or --certificate-identity (who the attestation is signed by)")
		}
		return nil, nil
	}
	if !requireEvidence {
		if f.evidenceKey != "" {
			return nil, usageError("--evidence-key goes with --require-evidence")
		}
		return nil, usageError("--certificate-identity and its flags go with --require-evidence")
	}
	p := &evidence.Policy{RequireScenario: f.requireScenario, MaxAge: f.maxAge}
	if f.evidenceKey != "" {
		b, err := os.ReadFile(f.evidenceKey)
		if err != nil {
			return nil, usageError("--evidence-key: %v", err)
		}
		if p.Key, err = evidence.ParsePublicKey(b); err != nil {
			return nil, usageError("--evidence-key %s: %v", f.evidenceKey, err)
		}
	}
	if f.id.set() {
		id, err := f.id.toIdentity()
		if err != nil {
			return nil, err
		}
		p.Identity = id
	}
	if f.maxAge < 0 {
		return nil, usageError("--max-age %s: want a positive duration such as 168h", f.maxAge)
	}
	return p, nil
}

// identity_ is the keyless policy of the flags: an identity and an issuer
// (each exact or a regular expression) and the trusted root, all needed,
// as cosign needs them.
func (f identityFlags) toIdentity() (*evidence.Identity, error) {
	switch {
	case f.identity != "" && f.identityRegexp != "":
		return nil, usageError("--certificate-identity and --certificate-identity-regexp exclude each other")
	case f.identity == "" && f.identityRegexp == "":
		return nil, usageError("keyless verification needs --certificate-identity or --certificate-identity-regexp (who must have signed)")
	case f.issuer != "" && f.issuerRegexp != "":
		return nil, usageError("--certificate-oidc-issuer and --certificate-oidc-issuer-regexp exclude each other")
	case f.issuer == "" && f.issuerRegexp == "":
		return nil, usageError("keyless verification needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp (e.g. https://token.actions.githubusercontent.com)")
	case f.trustedRoot == "":
		return nil, usageError("keyless verification needs --trusted-root (the certificate authorities to trust: a Sigstore trusted_root.json or PEM)")
	}
	id := &evidence.Identity{Subject: f.identity, Issuer: f.issuer}
	var err error
	if f.identityRegexp != "" {
		if id.SubjectRegexp, err = evidence.CompileAnchored(f.identityRegexp); err != nil {
			return nil, usageError("--certificate-identity-regexp: %v", err)
		}
	}
	if f.issuerRegexp != "" {
		if id.IssuerRegexp, err = evidence.CompileAnchored(f.issuerRegexp); err != nil {
			return nil, usageError("--certificate-oidc-issuer-regexp: %v", err)
		}
	}
	b, err := readlimit.ReadFile(f.trustedRoot, 4<<20)
	if err != nil {
		return nil, usageError("--trusted-root: %v", err)
	}
	if id.Roots, id.Intermediates, err = evidence.ParseTrustedRoot(b); err != nil {
		return nil, usageError("--trusted-root %s: %v", f.trustedRoot, err)
	}
	return id, nil
}

// fromInputs fills the flags from the push action's inputs: keyless
// signing, and the policy by key or identity, as the deploy and verify
// actions take it.
func (f *signFlags) fromInputs(r *gha.Runner) error {
	var err error
	f.keyless, err = r.BoolInput("keyless", false)
	if f.fulcioURL = r.Input("fulcio-url"); f.fulcioURL == "" {
		f.fulcioURL = evidence.DefaultFulcioURL
	}
	f.evidenceKey, f.requireScenario = r.Input("evidence-key"), r.Input("require-scenario")
	f.id = identityFlags{identity: r.Input("certificate-identity"), identityRegexp: r.Input("certificate-identity-regexp"),
		issuer: r.Input("certificate-oidc-issuer"), trustedRoot: r.Input("trusted-root")}
	return err
}
