package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/image/provenance"
)

// TestCosignVerifiesProvenance builds nodes/hello with --provenance --key,
// pushes it to both bed registries, and has the real cosign check the
// attestation as SLSA v1 provenance of the pushed index: accepted under the
// signing key, refused under another.
func TestCosignVerifiesProvenance(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartOCIRegistry, testbed.PartCosign)
	for _, tc := range bedRegistries(env) {
		t.Run(tc.name, func(t *testing.T) {
			k := newSignKit(t)
			root := filepath.Join(k.dir, "trusted_root.json")
			if err := os.WriteFile(root, []byte(trustedRoot), 0o644); err != nil {
				t.Fatal(err)
			}
			repo := tc.host + "/xedgesim-provenance-" + hexID(t) + "/hello"
			r := cliEnv(t, []string{"COSIGN_PASSWORD=" + testKeyPassword}, "build", "--go", "../../nodes/hello",
				"--platform", "linux/amd64,linux/arm64", "--provenance", "--key", k.key, "--push", "--tag", repo+":v1", "--insecure")
			checkRun(t, r, 0, "build: provenance")
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			ref := lines[len(lines)-1]
			if !strings.HasPrefix(ref, repo+"@sha256:") {
				t.Fatalf("build printed %q, want %s@sha256:...", ref, repo)
			}
			t.Cleanup(func() { deleteWithReferrers(ref, nil) })

			cosign := func(pub string) (string, error) {
				return cosignCLI(env, k.dir, nil, "verify-attestation", "--key", pub, "--type", "slsaprovenance1",
					"--new-bundle-format", "--insecure-ignore-tlog", "--trusted-root", root, "--allow-insecure-registry", ref)
			}
			out, err := cosign(k.pub)
			if err != nil {
				t.Fatalf("cosign verify-attestation --type slsaprovenance1: %v\n%s", err, out)
			}
			if !strings.Contains(out, "The signatures were verified against the specified public key") {
				t.Errorf("cosign verify-attestation does not say the signature was verified:\n%s", out)
			}
			st := provenanceIn(t, out)
			digest := strings.TrimPrefix(ref[strings.LastIndex(ref, "@")+1:], "sha256:")
			if st.PredicateType != provenance.PredicateType || len(st.Subject) != 3 || st.Subject[0].Digest["sha256"] != digest {
				t.Errorf("statement cosign verified: predicate %q, subjects %+v; want SLSA v1 about %s and its two platforms", st.PredicateType, st.Subject, digest)
			}

			otherPub := filepath.Join(k.dir, "other.pub")
			if o, err := cosignCLI(env, k.dir, nil, "public-key", "--key", k.otherKey, "--outfile", otherPub); err != nil {
				t.Fatalf("cosign public-key: %v\n%s", err, o)
			}
			if out, err := cosign(otherPub); err == nil {
				t.Errorf("cosign verify-attestation with another key passed:\n%s", out)
			}
		})
	}
}

// provenanceIn decodes the in-toto statement of the first DSSE envelope
// cosign verify-attestation printed.
func provenanceIn(t *testing.T, out string) provenance.Statement {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		var env struct {
			Payload string `json:"payload"`
		}
		if json.Unmarshal([]byte(line), &env) != nil || env.Payload == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatalf("decoding payload: %v", err)
		}
		var st provenance.Statement
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("decoding statement: %v", err)
		}
		return st
	}
	t.Fatalf("cosign printed no envelope:\n%s", out)
	return provenance.Statement{}
}
