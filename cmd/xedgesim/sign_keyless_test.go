package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// bedWorkflow is the identity the bed's OIDC issuer gives by default: the
// release workflow on main, as GitHub Actions names it.
const bedWorkflow = "https://github.com/xedgesim/simulate/.github/workflows/release.yml@refs/heads/main"

// keylessBed is the bed's Fulcio and OIDC issuer, as a test uses them.
type keylessBed struct {
	fulcio, issuer string
	tokenURL       string
	requestToken   string
	root           string // trusted_root.json of Fulcio's (ephemeral) CA
	rootPEM        string // the same CA as PEM, for cosign's SIGSTORE_ROOT_FILE
}

func newKeylessBed(t *testing.T, env *testbed.Env, dir string) *keylessBed {
	t.Helper()
	tok, err := os.ReadFile(env.Var("OIDC_REQUEST_TOKEN_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	kb := &keylessBed{fulcio: env.Var("FULCIO_URL"), issuer: env.Var("OIDC_ISSUER"), tokenURL: env.Var("OIDC_TOKEN_URL"), requestToken: strings.TrimSpace(string(tok))}
	// Fulcio's CA lives as long as the process: read its chain now.
	resp, err := http.Get(kb.fulcio + "/api/v2/trustBundle")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tb struct {
		Chains []struct {
			Certificates []string `json:"certificates"`
		} `json:"chains"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tb); err != nil || len(tb.Chains) == 0 {
		t.Fatalf("fulcio trust bundle: %v (%d chains)", err, len(tb.Chains))
	}
	var chain []*x509.Certificate
	var pems []byte
	for _, p := range tb.Chains[0].Certificates {
		block, _ := pem.Decode([]byte(p))
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
		pems = append(pems, p...)
	}
	js, err := evidence.TrustedRootJSON(kb.fulcio, chain)
	if err != nil {
		t.Fatal(err)
	}
	kb.root, kb.rootPEM = filepath.Join(dir, "trusted_root.json"), filepath.Join(dir, "fulcio-root.pem")
	for f, b := range map[string][]byte{kb.root: js, kb.rootPEM: pems} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return kb
}

// actionsEnv is the environment of a GitHub Actions job with
// permissions id-token: write, whose tokens the bed's issuer gives.
// claims (k=v) override the token's claims, for another identity.
func (kb *keylessBed) actionsEnv(claims ...string) []string {
	u := kb.tokenURL + "?api-version=2.0"
	for _, c := range claims {
		u += "&" + c
	}
	return []string{"ACTIONS_ID_TOKEN_REQUEST_URL=" + u, "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + kb.requestToken}
}

// token asks the issuer for a token directly, as cosign's tests hand it one.
func (kb *keylessBed) token(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, kb.tokenURL+"?audience=sigstore", nil)
	req.Header.Set("Authorization", "bearer "+kb.requestToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Value string `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.Value == "" {
		t.Fatalf("token from the bed's issuer: %v", err)
	}
	return v.Value
}

func (kb *keylessBed) verifyFlags(identity string) []string {
	return []string{"--certificate-identity", identity, "--certificate-oidc-issuer", kb.issuer, "--trusted-root", kb.root}
}

// TestKeylessOnTheBed signs keyless against the bed's real Fulcio with a
// GitHub-shaped workflow identity from the bed's OIDC issuer, through the
// Actions token request as in a release job, on both bed registries.
// Promotion, deploy, verify and the deploy action accept it by identity, and
// refuse with exit 2, changing nothing, another workflow's attestation,
// another issuer, an untrusted CA and a certificate not valid at the
// signing time. Real cosign verifies ours by identity and we verify
// cosign's keyless attestation.
func TestKeylessOnTheBed(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartOCIRegistry, testbed.PartCosign, testbed.PartKeyless)
	for _, tc := range bedRegistries(env) {
		t.Run(tc.name, func(t *testing.T) {
			k := newSignKit(t)
			kb := newKeylessBed(t, env, k.dir)
			repo := tc.host + "/xedgesim-keyless-" + hexID(t)
			pass := k.statement(t, "pass", evidence.Pass, k.index.String(), k.children[0])
			staged := func(t *testing.T, sub string) string {
				t.Helper()
				checkRun(t, cli(t, "push", "--insecure", "oci:"+k.layout, repo+"/"+sub+":pr-1"), 0)
				ref := repo + "/" + sub + "@" + k.index.String()
				t.Cleanup(func() {
					for _, r := range []string{"", "-prod", "-refused"} {
						deleteWithReferrers(repo+"/"+sub+r+"@"+k.index.String(), nil)
					}
				})
				return ref
			}
			// promote pushes ref to its -prod repository under the policy
			// flags, and deploys it with the CLI and the action; a refusal
			// must leave nothing in the registry and contact no host.
			promote := func(t *testing.T, ref string, code int, want string, flags ...string) {
				t.Helper()
				// A refusal targets a repository of its own: the accepted
				// promotion of the same digest went to -prod.
				at, target := strings.Index(ref, "@"), "-prod"
				if code != 0 {
					target = "-refused"
				}
				prod := ref[:at] + target + ":v1"
				r := cli(t, append([]string{"push", "--insecure", "--require-evidence", ref, prod}, flags...)...)
				manifest, _ := writeManifest(t, ref)
				d := cli(t, append([]string{"deploy", "--insecure", "-f", manifest, "--require-evidence"}, flags...)...)
				v := cli(t, append([]string{"verify", "--insecure", "-f", manifest, "--require-evidence"}, flags...)...)
				ws := filepath.Dir(manifest)
				inputs := []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + filepath.Join(ws, "out"), "GITHUB_STEP_SUMMARY=" + filepath.Join(ws, "sum"),
					"INPUT_MANIFEST=" + manifest, "INPUT_REQUIRE-EVIDENCE=true", "INPUT_INSECURE=true", "INPUT_REPORT=",
					"INPUT_SSH-KEY=", "INPUT_PASSPHRASE=", "INPUT_KNOWN-HOSTS="}
				for i := 0; i+1 < len(flags); i += 2 {
					inputs = append(inputs, "INPUT_"+strings.ToUpper(strings.TrimPrefix(flags[i], "--"))+"="+flags[i+1])
				}
				ga := runEnvDir(t, ws, inputs, "gha", "deploy")
				if code == 0 {
					checkRun(t, r, 0, "promoted with 1 passing")
					checkRun(t, d, 1, "evidence: "+ref+" passed simulation")
					checkRun(t, ga, 1, "evidence: "+ref+" passed simulation")
					checkRun(t, v, 1, "evidence: "+ref+" passed simulation")
					return
				}
				checkRun(t, r, 2, "refusing to promote "+ref, want)
				checkRun(t, d, 2, "refusing to deploy "+ref, want)
				checkRun(t, ga, 2, "refusing to deploy "+ref, want)
				checkRun(t, v, 2, "verify --require-evidence: "+ref+" is not verified", want)
				if strings.Contains(d.stderr+v.stderr, "connecting") {
					t.Errorf("a refused deploy connected to a host:\n%s", d.stderr)
				}
				pd, _ := name.NewDigest(ref[:at] + target + ref[at:])
				if _, err := remote.Head(pd); err == nil {
					t.Errorf("a refused promotion left %s in the registry", pd)
				}
			}
			cosign := func(t *testing.T, extraEnv []string, args ...string) (string, error) {
				t.Helper()
				return cosignCLI(env, k.dir, extraEnv, args...)
			}

			// Ours, signed as the release job signs.
			ours := staged(t, "ours")
			r := cliEnv(t, kb.actionsEnv(), "attest", "--insecure", ours, "--keyless", "--fulcio-url", kb.fulcio, "--statement", pass)
			checkRun(t, r, 0, "attached a signed simulation attestation")
			promote(t, ours, 0, "", kb.verifyFlags(bedWorkflow)...)
			t.Run("identity regexp", func(t *testing.T) {
				promote(t, ours, 0, "", "--certificate-identity-regexp", `https://github\.com/xedgesim/simulate/\.github/workflows/release\.yml@refs/.*`,
					"--certificate-oidc-issuer", kb.issuer, "--trusted-root", kb.root)
			})
			t.Run("another workflow", func(t *testing.T) {
				promote(t, ours, 2, "signed by "+bedWorkflow, kb.verifyFlags("https://github.com/xedgesim/simulate/.github/workflows/pr-gate.yml@refs/heads/main")...)
			})
			t.Run("another issuer", func(t *testing.T) {
				promote(t, ours, 2, "(issuer "+kb.issuer+"), not by", "--certificate-identity", bedWorkflow,
					"--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", "--trusted-root", kb.root)
			})
			t.Run("untrusted root", func(t *testing.T) {
				promote(t, ours, 2, "does not chain to the trusted root", "--certificate-identity", bedWorkflow,
					"--certificate-oidc-issuer", kb.issuer, "--trusted-root", otherRoot(t, k.dir))
			})
			t.Run("a fork's workflow", func(t *testing.T) {
				ref := staged(t, "fork")
				fork := kb.actionsEnv("job_workflow_ref=evil/fork/.github/workflows/release.yml@refs/heads/main", "repository=evil/fork")
				checkRun(t, cliEnv(t, fork, "attest", "--insecure", ref, "--keyless", "--fulcio-url", kb.fulcio, "--statement", pass), 0)
				promote(t, ref, 2, "signed by https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main", kb.verifyFlags(bedWorkflow)...)
			})
			t.Run("outside the certificate's validity", func(t *testing.T) {
				// A real Fulcio certificate, but a statement signed (by its
				// key) at a time the certificate does not cover.
				ref := staged(t, "late")
				key, err := evidence.GenerateKey()
				if err != nil {
					t.Fatal(err)
				}
				chain, err := evidence.Fulcio{URL: kb.fulcio}.Certificate(context.Background(), kb.token(t), key)
				if err != nil {
					t.Fatal(err)
				}
				st, err := evidence.ReadStatement(pass)
				if err != nil {
					t.Fatal(err)
				}
				b, err := evidence.SignKeyless(st.WithSignedAt(chain[0].NotAfter.Add(time.Hour)), key, chain[0])
				if err != nil {
					t.Fatal(err)
				}
				d, _ := name.NewDigest(ref)
				if _, err := evidence.AttachSigned(context.Background(), d, b); err != nil {
					t.Fatal(err)
				}
				promote(t, ref, 2, "was not valid at the signing time", kb.verifyFlags(bedWorkflow)...)
			})

			t.Run("the push action", func(t *testing.T) {
				// As the release job runs it: attach signed keyless, then
				// promote by identity (and refuse another identity).
				ref := staged(t, "action")
				ws := t.TempDir()
				base := []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + filepath.Join(ws, "out"), "GITHUB_STEP_SUMMARY=" + filepath.Join(ws, "sum")}
				at := strings.Index(ref, "@")
				sign := append(append(base, kb.actionsEnv()...), "INPUT_SOURCE="+ref, "INPUT_DESTINATION="+ref[:at],
					"INPUT_EVIDENCE="+filepath.Join(filepath.Dir(pass), evidence.FileName), "INPUT_KEYLESS=true", "INPUT_FULCIO-URL="+kb.fulcio)
				checkRun(t, runEnvDir(t, ws, sign, "gha", "push"), 0)
				promoteInputs := func(identity, dst string) []string {
					return append(append([]string(nil), base...), "INPUT_SOURCE="+ref, "INPUT_DESTINATION="+ref[:at]+dst, "INPUT_TAGS=v1",
						"INPUT_REQUIRE-EVIDENCE=true", "INPUT_CERTIFICATE-IDENTITY="+identity, "INPUT_CERTIFICATE-OIDC-ISSUER="+kb.issuer, "INPUT_TRUSTED-ROOT="+kb.root)
				}
				checkRun(t, runEnvDir(t, ws, promoteInputs("https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main", "-refused"), "gha", "push"), 2, "refusing to promote", "not by https://github.com/evil/fork/")
				checkRun(t, runEnvDir(t, ws, promoteInputs(bedWorkflow, "-prod"), "gha", "push"), 0, "promoted with 1 passing")
			})

			// Real cosign verifies ours by identity, and refuses another.
			rootEnv := []string{"SIGSTORE_ROOT_FILE=" + kb.rootPEM}
			verify := func(identity, ref string) []string {
				return []string{"verify-attestation", "--certificate-identity", identity, "--certificate-oidc-issuer", kb.issuer,
					"--type", evidence.PredicateTestResult, "--new-bundle-format", "--insecure-ignore-tlog", "--insecure-ignore-sct",
					"--trusted-root", kb.root, "--allow-insecure-registry", ref}
			}
			out, err := cosign(t, rootEnv, verify(bedWorkflow, ours)...)
			if err != nil {
				t.Fatalf("cosign verify-attestation of ours: %v\n%s", err, out)
			}
			if !strings.Contains(out, `"payloadType":"`+evidence.PayloadType+`"`) {
				t.Errorf("cosign verify-attestation does not print our envelope:\n%s", out)
			}
			if out, err := cosign(t, rootEnv, verify("https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main", ours)...); err == nil {
				t.Errorf("cosign verify-attestation accepted ours for another identity:\n%s", out)
			}

			// cosign's keyless attestation, verified by us.
			theirs := staged(t, "theirs")
			stt, err := evidence.ReadStatement(pass)
			if err != nil {
				t.Fatal(err)
			}
			pred, _ := json.Marshal(stt.Predicate)
			predFile, tokFile := filepath.Join(k.dir, "predicate.json"), filepath.Join(k.dir, "id-token")
			if err := os.WriteFile(predFile, pred, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(tokFile, []byte(kb.token(t)), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := cosign(t, rootEnv, "attest", "--fulcio-url", kb.fulcio, "--identity-token", tokFile, "--insecure-skip-verify",
				"--predicate", predFile, "--type", evidence.PredicateTestResult, "--new-bundle-format", "--tlog-upload=false",
				"--allow-insecure-registry", "--yes", theirs); err != nil {
				t.Fatalf("cosign attest keyless: %v\n%s", err, out)
			}
			promote(t, theirs, 0, "", kb.verifyFlags(bedWorkflow)...)
		})
	}
}

// otherRoot writes a CA that did not issue the bed's certificates.
func otherRoot(t *testing.T, dir string) string {
	t.Helper()
	k, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c := selfSignedCA(t, k)
	f := filepath.Join(dir, "other-root.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func selfSignedCA(t *testing.T, k crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the bed's fulcio"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
