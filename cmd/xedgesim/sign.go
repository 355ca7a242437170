package main

import (
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
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
}

func (f *signFlags) addSign(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.key, "key", "", "sign the simulation's in-toto statement with this cosign private key (password from COSIGN_PASSWORD)")
	fl.StringVar(&f.statement, "statement", "", "the statement to sign (default: "+evidence.StatementFileName+" beside --evidence)")
}

func (f *signFlags) addVerify(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.evidenceKey, "evidence-key", "", "with --require-evidence: accept only an attestation signed with this cosign public key")
	fl.StringVar(&f.requireScenario, "require-scenario", "", "with --evidence-key: the attestation must name this scenario (name or file)")
	fl.DurationVar(&f.maxAge, "max-age", 0, "with --evidence-key: the attestation must have been signed at most this long ago (e.g. 168h)")
}

// bundle signs the statement beside evidenceFile (or --statement) with
// --key; nil without --key.
func (f *signFlags) bundle(evidenceFile string, getenv func(string) string) ([]byte, error) {
	if f.key == "" {
		if f.statement != "" {
			return nil, usageError("--statement needs --key (the cosign private key to sign it with)")
		}
		return nil, nil
	}
	file := f.statement
	if file == "" {
		if evidenceFile == "" {
			return nil, usageError("--key signs the statement simulate wrote: give --evidence FILE or --statement FILE")
		}
		file = filepath.Join(filepath.Dir(evidenceFile), evidence.StatementFileName)
	}
	st, err := evidence.ReadStatement(file)
	if err != nil {
		return nil, exitcode.New(exitcode.Invalid, err)
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
	if f.evidenceKey == "" {
		if f.requireScenario != "" || f.maxAge != 0 {
			return nil, usageError("--require-scenario and --max-age need --evidence-key (the cosign public key the attestation is signed with)")
		}
		return nil, nil
	}
	if !requireEvidence {
		return nil, usageError("--evidence-key goes with --require-evidence")
	}
	b, err := os.ReadFile(f.evidenceKey)
	if err != nil {
		return nil, usageError("--evidence-key: %v", err)
	}
	k, err := evidence.ParsePublicKey(b)
	if err != nil {
		return nil, usageError("--evidence-key %s: %v", f.evidenceKey, err)
	}
	if f.maxAge < 0 {
		return nil, usageError("--max-age %s: want a positive duration such as 168h", f.maxAge)
	}
	return &evidence.Policy{Key: k, RequireScenario: f.requireScenario, MaxAge: f.maxAge}, nil
}
