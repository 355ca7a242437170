package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// trustedRoot is an empty Sigstore trusted root: with a key and no
// transparency log, cosign's bundle verifier needs a root to load but
// trusts nothing from it.
const trustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

// TestCosignInterop checks both directions with the real cosign CLI, on
// both bed registries: cosign verify-attestation accepts what xedgesim
// attest --key attached (and refuses it under another key), and xedgesim's
// promotion accepts what cosign attest attached.
func TestCosignInterop(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartOCIRegistry, testbed.PartCosign)
	for _, tc := range bedRegistries(env) {
		t.Run(tc.name, func(t *testing.T) {
			k := newSignKit(t)
			root := filepath.Join(k.dir, "trusted_root.json")
			if err := os.WriteFile(root, []byte(trustedRoot), 0o644); err != nil {
				t.Fatal(err)
			}
			cosign := func(t *testing.T, args ...string) (string, error) {
				t.Helper()
				return cosignCLI(env, k.dir, nil, args...)
			}
			verifyArgs := func(pub, ref string) []string {
				return []string{"verify-attestation", "--key", pub, "--type", evidence.PredicateTestResult,
					"--new-bundle-format", "--insecure-ignore-tlog", "--trusted-root", root, "--allow-insecure-registry", ref}
			}
			repo := tc.host + "/xedgesim-sign-" + hexID(t) + "/cosign"

			// Ours, verified by cosign.
			checkRun(t, cli(t, "push", "--insecure", "oci:"+k.layout, repo+"/ours:v1"), 0)
			ours := repo + "/ours@" + k.index.String()
			t.Cleanup(func() { deleteWithReferrers(ours, nil) })
			checkRun(t, cliEnv(t, []string{"COSIGN_PASSWORD=" + testKeyPassword}, "attest", "--insecure", ours, "--key", k.key,
				"--statement", k.statement(t, "pass", evidence.Pass, k.index.String())), 0)
			out, err := cosign(t, verifyArgs(k.pub, ours)...)
			if err != nil {
				t.Fatalf("cosign verify-attestation of ours: %v\n%s", err, out)
			}
			for _, want := range []string{"The signatures were verified against the specified public key", `"payloadType":"` + evidence.PayloadType + `"`} {
				if !strings.Contains(out, want) {
					t.Errorf("cosign verify-attestation does not say %q:\n%s", want, out)
				}
			}
			otherPub := filepath.Join(k.dir, "other.pub")
			if o, err := cosign(t, "public-key", "--key", k.otherKey, "--outfile", otherPub); err != nil {
				t.Fatalf("cosign public-key: %v\n%s", err, o)
			}
			if out, err := cosign(t, verifyArgs(otherPub, ours)...); err == nil {
				t.Errorf("cosign verify-attestation with another key passed:\n%s", out)
			}

			// cosign's, verified by us.
			checkRun(t, cli(t, "push", "--insecure", "oci:"+k.layout, repo+"/theirs:v1"), 0)
			theirs := repo + "/theirs@" + k.index.String()
			t.Cleanup(func() { deleteWithReferrers(theirs, nil) })
			st, err := evidence.ReadStatement(k.statement(t, "theirs", evidence.Pass, k.index.String()))
			if err != nil {
				t.Fatal(err)
			}
			pred, err := json.Marshal(st.Predicate)
			if err != nil {
				t.Fatal(err)
			}
			predFile := filepath.Join(k.dir, "predicate.json")
			if err := os.WriteFile(predFile, pred, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := cosign(t, "attest", "--key", k.key, "--predicate", predFile, "--type", evidence.PredicateTestResult,
				"--new-bundle-format", "--tlog-upload=false", "--allow-insecure-registry", "--yes", theirs); err != nil {
				t.Fatalf("cosign attest: %v\n%s", err, out)
			}
			r := cli(t, "push", "--insecure", "--require-evidence", "--evidence-key", k.pub, "--require-scenario", "m0", theirs, repo+"/prod:v1")
			checkRun(t, r, 0, "promoted with 1 passing")
			t.Cleanup(func() { deleteWithReferrers(repo+"/prod@"+k.index.String(), nil) })
			r = cli(t, "push", "--insecure", "--require-evidence", "--evidence-key", otherPub, theirs, repo+"/prod2:v1")
			checkRun(t, r, 2, "signed by another key")
		})
	}
}

// bedRegistry is a registry of the bed that signed artifacts are tested on.
type bedRegistry struct{ name, host string }

// bedRegistries are the bed's two registries: distribution 2.8, which has
// only the referrers tag fallback, and one with the OCI 1.1 referrers API.
func bedRegistries(env *testbed.Env) []bedRegistry {
	return []bedRegistry{
		{"distribution 2.8", env.Registry.Host},
		{"OCI 1.1 registry", env.Var("OCI_REGISTRY")},
	}
}

// cosignCLI runs the bed's cosign with a home of its own in dir, the test
// keys' password and extraEnv, and returns what it printed.
func cosignCLI(env *testbed.Env, dir string, extraEnv []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.Var("COSIGN"), args...) // #nosec G204 -- the bed's cosign
	cmd.Env = append(append(os.Environ(), "COSIGN_PASSWORD="+testKeyPassword, "HOME="+dir, "TUF_ROOT="+filepath.Join(dir, "tuf")), extraEnv...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
