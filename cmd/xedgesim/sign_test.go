package main

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/image/evidence"
)

const testKeyPassword = "correct horse"

// signKit is what the signed-evidence tests share: a two-platform image in
// an OCI layout, our key pair and another key, in cosign's file formats.
type signKit struct {
	dir      string
	layout   string
	index    v1.Hash
	children []string
	key, pub string // ours: cosign.key, cosign.pub
	otherKey string
	signer   crypto.Signer
}

func newSignKit(t *testing.T) *signKit {
	t.Helper()
	k := &signKit{dir: t.TempDir()}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := img.Digest()
		k.children = append(k.children, h.String())
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	var err error
	if k.index, err = idx.Digest(); err != nil {
		t.Fatal(err)
	}
	k.layout = filepath.Join(k.dir, "oci")
	p, err := layout.Write(k.layout, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	write := func(file string, b []byte) string {
		path := filepath.Join(k.dir, file)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for i, file := range []string{"cosign.key", "other.key"} {
		s, err := evidence.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		b, err := evidence.MarshalPrivateKey(s, []byte(testKeyPassword))
		if err != nil {
			t.Fatal(err)
		}
		path := write(file, b)
		if i == 0 {
			k.key, k.signer = path, s
			pub, err := evidence.MarshalPublicKey(s.Public())
			if err != nil {
				t.Fatal(err)
			}
			k.pub = write("cosign.pub", pub)
		} else {
			k.otherKey = path
		}
	}
	return k
}

// statement writes the statement of a simulation of scenario m0 with the
// verdict given, that ran the image digests given, and returns its path.
func (k *signKit) statement(t *testing.T, name, verdict string, digests ...string) string {
	t.Helper()
	run := evidence.Run{Scenario: "m0", File: "scenarios/m0_baseline.yaml", SHA256: strings.Repeat("ab", 32), Seed: 42, Verdict: verdict, Passed: []string{"delivery_ratio >= 0.99"}}
	if verdict != evidence.Pass {
		run.Passed, run.Failures = nil, []string{"delivery_ratio >= 0.99: actual 0.91"}
	}
	var images []evidence.Image
	for _, d := range digests {
		images = append(images, evidence.Image{Node: "app", Ref: "app", Digest: d})
	}
	ev := evidence.New(verdict, []evidence.Run{run}, images)
	st, err := evidence.NewStatement(ev, []evidence.Run{run})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(k.dir, name)
	if _, err := ev.Write(dir); err != nil {
		t.Fatal(err)
	}
	path, err := st.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// checkSignedPromotion runs promotion and deploy against the registry reg
// (host:port) for each kind of attestation: each refused one exits 2 with
// a message that names its case and changes nothing; the correct one is
// promoted and then deploys past the evidence check. extra are registry
// flags (--insecure, --ca-file).
func checkSignedPromotion(t *testing.T, reg string, ropts []remote.Option, extra ...string) {
	k := newSignKit(t)
	env := []string{"COSIGN_PASSWORD=" + testKeyPassword}
	other := "sha256:" + strings.Repeat("9", 64)
	pass := k.statement(t, "pass", evidence.Pass, k.children[0])
	run := hexID(t)
	cases := []struct {
		name   string
		attach func(t *testing.T, staged string)
		want   string // in the refusal; empty for accepted
	}{
		{"nothing attached", func(*testing.T, string) {}, "no signed simulation attestation"},
		{"unsigned evidence", func(t *testing.T, staged string) {
			checkRun(t, cliEnv(t, env, append([]string{"attest", staged, "--evidence", filepath.Join(filepath.Dir(pass), evidence.FileName)}, extra...)...), 0)
		}, "is unsigned"},
		{"another key", func(t *testing.T, staged string) {
			checkRun(t, cliEnv(t, env, append([]string{"attest", staged, "--key", k.otherKey, "--statement", pass}, extra...)...), 0)
		}, "signed by another key"},
		{"a flipped byte", func(t *testing.T, staged string) {
			st, err := evidence.ReadStatement(k.statement(t, "flip", evidence.Fail, k.children[0]))
			if err != nil {
				t.Fatal(err)
			}
			b, err := evidence.Sign(st, k.signer)
			if err != nil {
				t.Fatal(err)
			}
			bu, _ := evidence.ParseBundle(b)
			bu.DSSEEnvelope.Payload = bytes.Replace(bu.DSSEEnvelope.Payload, []byte("FAILED"), []byte("PASSED"), 1)
			b, _ = json.Marshal(bu)
			d, err := name.NewDigest(staged)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := evidence.AttachSigned(context.Background(), d, b, ropts...); err != nil {
				t.Fatal(err)
			}
		}, "altered after signing"},
		{"another digest", func(t *testing.T, staged string) {
			checkRun(t, cliEnv(t, env, append([]string{"attest", staged, "--key", k.key, "--statement", k.statement(t, "other", evidence.Pass, other)}, extra...)...), 0)
		}, "is about " + other + ", not this digest"},
		{"result FAILED", func(t *testing.T, staged string) {
			checkRun(t, cliEnv(t, env, append([]string{"attest", staged, "--key", k.key, "--statement", k.statement(t, "fail", evidence.Fail, k.children[0])}, extra...)...), 0)
		}, "says the simulation FAILED: m0 seed 42: delivery_ratio >= 0.99: actual 0.91"},
		{"passing and signed by our key", func(t *testing.T, staged string) {
			checkRun(t, cliEnv(t, env, append([]string{"attest", staged, "--key", k.key, "--evidence", filepath.Join(filepath.Dir(pass), evidence.FileName)}, extra...)...), 0, "attached a signed simulation attestation")
		}, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			repo := reg + "/xedgesim-sign-" + run + "/c" + string(rune('a'+i))
			r := cliEnv(t, env, append([]string{"push", "oci:" + k.layout, repo + "/staging:pr-1"}, extra...)...)
			checkRun(t, r, 0)
			staged := repo + "/staging@" + k.index.String()
			t.Cleanup(func() {
				for _, r := range []string{"/staging", "/prod", "/release"} {
					deleteWithReferrers(repo+r+"@"+k.index.String(), ropts)
				}
			})
			tc.attach(t, staged)
			prod := repo + "/prod"
			r = cliEnv(t, env, append([]string{"push", "--require-evidence", "--evidence-key", k.pub, staged, prod + ":v1"}, extra...)...)
			manifest, _ := writeManifest(t, staged)
			d := cliEnv(t, env, append([]string{"deploy", "-f", manifest, "--require-evidence", "--evidence-key", k.pub}, extra...)...)
			v := cliEnv(t, env, append([]string{"verify", "-f", manifest, "--require-evidence", "--evidence-key", k.pub}, extra...)...)
			// The deploy action, as the edge-runner workflow runs it.
			ws := filepath.Dir(manifest)
			ga := runEnvDir(t, ws, []string{"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + filepath.Join(ws, "out"), "GITHUB_STEP_SUMMARY=" + filepath.Join(ws, "sum"),
				"INPUT_MANIFEST=" + manifest, "INPUT_REQUIRE-EVIDENCE=true", "INPUT_EVIDENCE-KEY=" + k.pub, "INPUT_INSECURE=true", "INPUT_REPORT=",
				"INPUT_SSH-KEY=", "INPUT_PASSPHRASE=", "INPUT_KNOWN-HOSTS="}, "gha", "deploy")
			if tc.want != "" {
				checkRun(t, r, 2, "refusing to promote "+staged, tc.want)
				checkRun(t, d, 2, "refusing to deploy "+staged, tc.want)
				checkRun(t, ga, 2, "refusing to deploy "+staged, tc.want)
				checkRun(t, v, 2, "verify --require-evidence: "+staged+" is not verified", tc.want)
				if strings.Contains(d.stderr+v.stderr, "connecting") {
					t.Errorf("a refused deploy connected to a host:\n%s", d.stderr)
				}
				ref, _ := name.NewDigest(prod + "@" + k.index.String())
				if _, err := remote.Head(ref, ropts...); err == nil {
					t.Errorf("a refused promotion left %s in the registry", ref)
				}
				return
			}
			checkRun(t, r, 0, "promoted with 1 passing")
			checkRun(t, d, 1, "evidence: "+staged+" passed simulation")
			checkRun(t, ga, 1, "evidence: "+staged+" passed simulation")
			checkRun(t, v, 1, "evidence: "+staged+" passed simulation")
			// The attestation went along: the promoted digest promotes again,
			// also under the scenario it names, and not under another.
			promoted := prod + "@" + k.index.String()
			r = cliEnv(t, env, append([]string{"push", "--require-evidence", "--evidence-key", k.pub, "--require-scenario", "m0", "--max-age", "1h", promoted, repo + "/release:v1"}, extra...)...)
			checkRun(t, r, 0)
			r = cliEnv(t, env, append([]string{"push", "--require-evidence", "--evidence-key", k.pub, "--require-scenario", "fleet", promoted, repo + "/release:v2"}, extra...)...)
			checkRun(t, r, 2, "does not name scenario fleet")
		})
	}
}

// TestSignedEvidenceCLI runs the signed-evidence policy against an
// in-process registry with the referrers API and one with only the
// referrers tag.
func TestSignedEvidenceCLI(t *testing.T) {
	t.Parallel()
	for _, referrers := range []bool{true, false} {
		t.Run(map[bool]string{true: "referrers API", false: "referrers tag"}[referrers], func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)), ggcrregistry.WithReferrersSupport(referrers)))
			t.Cleanup(srv.Close)
			checkSignedPromotion(t, strings.TrimPrefix(srv.URL, "http://"), nil, "--insecure")
		})
	}
}

// TestSignFlags checks the flags' mistakes: each exits 3 before anything
// is contacted, and a wrong password says where the password comes from.
func TestSignFlags(t *testing.T) {
	t.Parallel()
	k := newSignKit(t)
	pass := k.statement(t, "pass", evidence.Pass, k.children[0])
	ref := "127.0.0.1:1/app@" + k.index.String()
	cases := []struct {
		env  []string
		args []string
		want string
	}{
		{[]string{"COSIGN_PASSWORD=wrong"}, []string{"attest", ref, "--key", k.key, "--statement", pass}, "COSIGN_PASSWORD"},
		{nil, []string{"attest", ref, "--key", filepath.Join(k.dir, "missing.key"), "--statement", pass}, "--key"},
		{nil, []string{"attest", ref, "--key", k.pub, "--statement", pass}, "not a cosign key"},
		{nil, []string{"attest", ref, "--statement", pass}, "--statement needs --key"},
		{[]string{"COSIGN_PASSWORD=" + testKeyPassword}, []string{"attest", ref, "--key", k.key, "--statement", k.key}, "decoding statement"},
		{nil, []string{"push", "--evidence-key", k.pub, ref, "127.0.0.1:1/prod"}, "--evidence-key goes with --require-evidence"},
		{nil, []string{"push", "--require-evidence", "--evidence-key", k.key, ref, "127.0.0.1:1/prod"}, "PUBLIC KEY"},
		{nil, []string{"push", "--require-evidence", "--require-scenario", "m0", ref, "127.0.0.1:1/prod"}, "--require-scenario and --max-age need --evidence-key"},
		{nil, []string{"push", "--require-evidence", "--evidence-key", k.pub, "--max-age", "-1h", ref, "127.0.0.1:1/prod"}, "--max-age -1h0m0s: want a positive duration"},
		// Keyless signing and the identity policy.
		{[]string{"COSIGN_PASSWORD=" + testKeyPassword}, []string{"attest", ref, "--key", k.key, "--keyless", "--statement", pass}, "--key and --keyless exclude each other"},
		{[]string{"ACTIONS_ID_TOKEN_REQUEST_URL=", "SIGSTORE_ID_TOKEN="}, []string{"attest", ref, "--keyless", "--statement", pass}, "id-token: write"},
		{nil, []string{"push", "--certificate-identity", "x", ref, "127.0.0.1:1/prod"}, "go with --require-evidence"},
		{nil, []string{"push", "--require-evidence", "--certificate-oidc-issuer", "https://i", "--trusted-root", k.pub, ref, "127.0.0.1:1/prod"}, "needs --certificate-identity or --certificate-identity-regexp"},
		{nil, []string{"push", "--require-evidence", "--certificate-identity", "x", "--certificate-identity-regexp", "x", ref, "127.0.0.1:1/prod"}, "exclude each other"},
		{nil, []string{"push", "--require-evidence", "--certificate-identity", "x", "--trusted-root", k.pub, ref, "127.0.0.1:1/prod"}, "needs --certificate-oidc-issuer"},
		{nil, []string{"push", "--require-evidence", "--certificate-identity", "x", "--certificate-oidc-issuer", "https://i", ref, "127.0.0.1:1/prod"}, "needs --trusted-root"},
		{nil, []string{"push", "--require-evidence", "--certificate-identity-regexp", "(", "--certificate-oidc-issuer", "https://i", "--trusted-root", k.pub, ref, "127.0.0.1:1/prod"}, "--certificate-identity-regexp: error parsing regexp"},
		{nil, []string{"push", "--require-evidence", "--certificate-identity", "x", "--certificate-oidc-issuer", "https://i", "--trusted-root", k.pub, ref, "127.0.0.1:1/prod"}, "want PEM certificates or a Sigstore trusted_root.json"},
	}
	for _, tc := range cases {
		checkRun(t, cliEnv(t, tc.env, tc.args...), 3, tc.want)
	}
}

// TestSignedEvidenceOnTheBed runs the same cases against the bed's two
// registries: distribution 2.8, where attestations go through the
// referrers tag, and the OCI 1.1 registry, where the referrers API lists
// them and no tag is written.
func TestSignedEvidenceOnTheBed(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartOCIRegistry)
	for _, tc := range []struct {
		name, host string
		api        bool
	}{
		{"distribution 2.8", env.Registry.Host, false},
		{"OCI 1.1 registry", env.Var("OCI_REGISTRY"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkSignedPromotion(t, tc.host, nil, "--insecure")
			checkReferrersPath(t, tc.host, tc.api)
		})
	}
}

// checkReferrersPath attaches a signed attestation to a fresh image on
// host and checks where it went: the referrers API answers with it on a
// registry that has the API, and the sha256-<hex> tag holds it on one that
// has not.
func checkReferrersPath(t *testing.T, host string, api bool) {
	t.Helper()
	k := newSignKit(t)
	repo := host + "/xedgesim-sign-" + hexID(t) + "/path"
	checkRun(t, cli(t, "push", "--insecure", "oci:"+k.layout, repo+":v1"), 0)
	staged := repo + "@" + k.index.String()
	t.Cleanup(func() { deleteWithReferrers(staged, nil) })
	r := cliEnv(t, []string{"COSIGN_PASSWORD=" + testKeyPassword}, "attest", "--insecure", staged, "--key", k.key,
		"--statement", k.statement(t, "pass", evidence.Pass, k.index.String()))
	checkRun(t, r, 0)
	artifact := strings.TrimSpace(r.stdout)
	resp, err := httpGetStatus("http://" + host + "/v2/" + strings.SplitN(repo, "/", 2)[1] + "/referrers/" + k.index.String())
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.code == 200 && strings.Contains(resp.body, artifact[strings.LastIndex(artifact, "@")+1:]); got != api {
		t.Errorf("referrers API lists the attestation = %v, want %v (HTTP %d: %.300s)", got, api, resp.code, resp.body)
	}
	rr, _ := name.NewRepository(repo, name.Insecure)
	tags, err := remote.List(rr)
	if err != nil {
		t.Fatal(err)
	}
	fallback := strings.Replace(k.index.String(), ":", "-", 1)
	if got := slices.Contains(tags, fallback); got == api {
		t.Errorf("referrers tag %s present = %v, want %v (tags %v)", fallback, got, !api, tags)
	}
}

type httpResult struct {
	code int
	body string
}

func httpGetStatus(url string) (httpResult, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return httpResult{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return httpResult{resp.StatusCode, string(b)}, err
}

// deleteWithReferrers removes what a test pushed: the artifacts referring
// to ref (and the referrers tag), then ref itself. Best effort: a registry
// that refuses deletes keeps them under the test's own repository.
func deleteWithReferrers(ref string, ropts []remote.Option) {
	d, err := name.NewDigest(ref, name.Insecure)
	if err != nil {
		return
	}
	if idx, err := remote.Referrers(d, ropts...); err == nil {
		if im, err := idx.IndexManifest(); err == nil {
			for _, m := range im.Manifests {
				_ = remote.Delete(d.Context().Digest(m.Digest.String()), ropts...)
			}
		}
	}
	if tag, err := name.NewTag(d.Context().String()+":"+strings.Replace(d.DigestStr(), ":", "-", 1), name.Insecure); err == nil {
		if desc, err := remote.Head(tag, ropts...); err == nil {
			_ = remote.Delete(d.Context().Digest(desc.Digest.String()), ropts...)
		}
	}
	_ = remote.Delete(d, ropts...)
}

// TestSimulateWritesStatement runs simulate and reads the statement it
// wrote beside evidence.json: the test-result predicate, the scenario file
// by its SHA-256 with its seed, and the evidence itself. A simulation in
// which no image ran has no subject, so signing it is refused (exit 3).
func TestSimulateWritesStatement(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	checkRun(t, cli(t, "simulate", "--out", out, "../../scenarios/m0_baseline.yaml"), 0)
	b, err := os.ReadFile(filepath.Join(out, evidence.StatementFileName))
	if err != nil {
		t.Fatal(err)
	}
	var st evidence.Statement
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("%s: %v", evidence.StatementFileName, err)
	}
	sum, err := evidence.FileSHA256("../../scenarios/m0_baseline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != evidence.StatementType || st.PredicateType != evidence.PredicateTestResult || st.Predicate.Result != evidence.Passed {
		t.Errorf("statement is %s / %s / %s, want %s / %s / PASSED", st.Type, st.PredicateType, st.Predicate.Result, evidence.StatementType, evidence.PredicateTestResult)
	}
	if c := st.Predicate.Configuration; len(c) != 3 || c[0].Digest["sha256"] != sum || !strings.HasSuffix(c[0].Name, "m0_baseline.yaml") {
		t.Errorf("configuration = %+v, want the scenario file with sha256 %s, the toolkit and the evidence", c, sum)
	}
	ev, err := os.ReadFile(filepath.Join(out, evidence.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if c := st.Predicate.Configuration; len(c) == 3 && !bytes.Equal(c[2].Content, ev) {
		t.Errorf("the statement carries other evidence than %s", evidence.FileName)
	}
	k := newSignKit(t)
	r := cliEnv(t, []string{"COSIGN_PASSWORD=" + testKeyPassword}, "attest", "127.0.0.1:1/app@"+k.index.String(), "--key", k.key, "--evidence", filepath.Join(out, evidence.FileName))
	checkRun(t, r, 3, "no subject")
}
