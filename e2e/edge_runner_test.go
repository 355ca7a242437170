package e2e

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// TestActEdgeRunner runs workflows/edge-runner.yml under act as the
// self-hosted runner of an edge device: the job deploys to its own Docker
// engine (the bed's host dockerd) through a manifest whose one host is
// local: true, with require-evidence and the release workflow's identity,
// checked offline against the trusted root committed beside the manifest.
// A digest our build verb made, simulated and pushed with its passing
// evidence signed keyless (the bed's Fulcio and OIDC issuer) is deployed,
// runs and answers; a digest with forged evidence, unsigned and signed
// keyless by a fork's workflow, is refused and changes nothing.
func TestActEdgeRunner(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartAct, testbed.PartRegistry, testbed.PartDocker, testbed.PartKeyless)
	id := unique(t)
	repo := env.Registry.Host + "/e2e/xr-" + id
	service := "xr-" + id
	port := freeHostPort(t)
	bin := buildXedgesim(t)
	cleanupLocalService(t, env, service)

	// The release half, by hand: build for two platforms, simulate that
	// layout, push it with the evidence; and a second image, never
	// simulated, pushed alone.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"scenario.yaml": appScenario})
	simulated := xedgesim(t, env, bin, "build", "--go", "./nodes/hello", "--platform", "linux/amd64,linux/arm64", "--output", "oci:"+filepath.Join(dir, "simulated"))
	unsimulated := xedgesim(t, env, bin, "build", "--go", "./nodes/hello", "--platform", "linux/amd64,linux/arm64", "--env", "XR_UNSIMULATED=1", "--output", "oci:"+filepath.Join(dir, "unsimulated"))
	if simulated[strings.Index(simulated, "@"):] == unsimulated[strings.Index(unsimulated, "@"):] {
		t.Fatalf("both builds have the digest %s", simulated)
	}
	xedgesim(t, env, bin, "simulate", "--image", "app=oci:"+filepath.Join(dir, "simulated"), "--out", filepath.Join(dir, "results"), filepath.Join(dir, "scenario.yaml"))
	// Signed keyless as the release job signs: the bed's OIDC issuer
	// answers the Actions token request with the release workflow's
	// identity, and the bed's Fulcio certifies it.
	fulcio, issuer := env.Var("FULCIO_URL"), env.Var("OIDC_ISSUER")
	requestToken, err := os.ReadFile(env.Var("OIDC_REQUEST_TOKEN_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	actionsEnv := func(claims string) []string {
		return []string{"ACTIONS_ID_TOKEN_REQUEST_URL=" + env.Var("OIDC_TOKEN_URL") + "?api-version=2.0" + claims,
			"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + strings.TrimSpace(string(requestToken))}
	}
	ref := xedgesimEnv(t, env, bin, actionsEnv(""), "push", "--evidence", filepath.Join(dir, "results/evidence.json"), "--keyless", "--fulcio-url", fulcio, "oci:"+filepath.Join(dir, "simulated"), repo)
	t.Cleanup(func() { deleteDigests(t, env, ref) })
	bare := xedgesim(t, env, bin, "push", "oci:"+filepath.Join(dir, "unsimulated"), repo)
	t.Cleanup(func() { deleteDigests(t, env, bare) })
	// What anyone with write access to the registry could attach: passing
	// evidence naming the digest, unsigned.
	forgedRuns := []evidence.Run{{Scenario: "app", File: "scenario.yaml", SHA256: strings.Repeat("ab", 32), Seed: 1, Verdict: evidence.Pass}}
	forged := evidence.New(evidence.Pass, forgedRuns, []evidence.Image{{Digest: bare[strings.Index(bare, "@")+1:]}})
	forgedFile, err := forged.Write(filepath.Join(dir, "forged"))
	if err != nil {
		t.Fatal(err)
	}
	xedgesim(t, env, bin, "attest", "--evidence", forgedFile, bare)
	// And what a fork's workflow can sign keyless: a real certificate, for
	// another identity.
	forgedStatement, err := evidence.NewStatement(forged, forgedRuns)
	if err != nil {
		t.Fatal(err)
	}
	forgedStatementFile, err := forgedStatement.Write(filepath.Join(dir, "forged"))
	if err != nil {
		t.Fatal(err)
	}
	xedgesimEnv(t, env, bin, actionsEnv("&job_workflow_ref=evil/fork/.github/workflows/release.yml@refs/heads/main&repository=evil/fork"),
		"attest", "--keyless", "--fulcio-url", fulcio, "--statement", forgedStatementFile, bare)
	t.Cleanup(func() { cleanupRegistry(t, env, repo) })
	if !strings.HasPrefix(ref, repo+"@") || !digestRef.MatchString(ref) || !strings.HasPrefix(bare, repo+"@") {
		t.Fatalf("pushed %q and %q, want %s@sha256:...", ref, bare, repo)
	}
	digest := ref[strings.Index(ref, "@")+1:]
	// The statement's subjects: the index pushed and the platform manifest
	// that ran (this machine's).
	st, err := evidence.ReadStatement(filepath.Join(dir, "results", evidence.StatementFileName))
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(pushed)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var ran string
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == runtime.GOARCH {
			ran = m.Digest.String()
		}
	}
	if got := st.Digests(); len(got) != 2 || !slices.Contains(got, digest) || !slices.Contains(got, ran) {
		t.Errorf("the statement's subjects are %v, want the index %s and the linux/%s manifest %s", got, digest, runtime.GOARCH, ran)
	}

	// The device's repository: its deploy manifest and the workflow as
	// shipped.
	ws := t.TempDir()
	writeFiles(t, ws, map[string]string{
		"deploy/local.yaml": fmt.Sprintf(`service:
  name: %s
  ports: ["%d:8080"]
  memory: 64m
  health: {http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}
hosts:
  - {name: local, local: true}
`, service, port, port),
		".github/workflows/edge-runner.yml": readFile(t, filepath.Join(repoRoot(t), "workflows/edge-runner.yml")),
		"deploy/trusted_root.json":          fulcioTrustedRoot(t, fulcio),
	})
	gitInit(t, ws)
	workflow := filepath.Join(ws, ".github/workflows/edge-runner.yml")
	run := func(image string) actResult {
		args := append([]string{"workflow_dispatch", "-W", workflow,
			// The runner's labels, each the host itself.
			"-P", "self-hosted=-self-hosted", "-P", "linux=-self-hosted", "-P", "edge=-self-hosted",
			"--input", "image=" + image, "--input", "manifest=deploy/local.yaml",
			// The bed's issuer stands in for GitHub's; the identity is the
			// one the issuer gives the release workflow.
			"--var", "XEDGESIM_SIGNER_ISSUER=" + issuer,
			"--var", `XEDGESIM_SIGNER_REGEXP=https://github\.com/xedgesim/simulate/\.github/workflows/release\.yml@refs/heads/main`,
		}, stubs(t, repoRoot(t), workflow)...)
		return runAct(t, env, ws, 4*time.Minute, nil, args...)
	}

	r := run(ref)
	if r.code() != 0 {
		t.Fatalf("act: exit %d, want 0\n%s", r.code(), r.log)
	}
	want := map[string]string{
		"deploy/deploy/image-ref":      ref,
		"deploy/deploy/digest":         digest,
		"deploy/deploy/hosts-deployed": "local",
		"deploy/deploy/hosts-failed":   "",
		"deploy/deploy/report":         "deploy-report.json",
		"deploy/verify/passed":         "true",
		"deploy/verify/hosts-passed":   "local",
		"deploy/verify/hosts-failed":   "",
	}
	for k, v := range want {
		if got, ok := r.outputs[k]; !ok || got != v {
			t.Errorf("output %s = %q (set: %v), want %q", k, got, ok, v)
		}
	}
	for _, s := range []string{
		// The deploy step checked the evidence in the registry itself.
		"[deploy/deploy/deploy] evidence: " + ref + " passed simulation",
		"[deploy/deploy/deploy] local: platform: detected linux/amd64",
		// The step summaries: deployed, and every check passed.
		fmt.Sprintf("| local | linux/amd64 | `-` | `%s` |", digest[:19]),
		"| local | yes | yes | yes | yes | - |",
	} {
		if !strings.Contains(r.log, s) {
			t.Errorf("the log lacks %q\n%s", s, r.log)
		}
	}
	// The host's engine runs the service from the deployed digest, and
	// it answers.
	c := inspectService(t, env, service)
	if c.running != "true" || c.digest != digest || c.service != service {
		t.Errorf("container %s: running %s, %s=%s, %s=%s; want running the deployed %s", service, c.running, deploy.LabelDigest, c.digest, deploy.LabelService, c.service, digest)
	}
	if code := httpStatus(fmt.Sprintf("http://127.0.0.1:%d/healthz", port)); code != http.StatusOK {
		t.Errorf("/healthz answers %d, want 200", code)
	}
	if got := httpGet(fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "hello from linux/amd64" {
		t.Errorf("the service answers %q, want hello from linux/amd64", got)
	}

	// The digest with forged evidence: refused before the engine is touched,
	// verify never runs, and the service is the same container as before.
	images := localImages(t, env, service)
	r2 := run(bare)
	if r2.code() != 1 {
		t.Fatalf("act with %s (forged evidence): exit %d, want 1 (the job failed)\n%s", bare, r2.code(), r2.log)
	}
	for _, s := range []string{
		"[deploy/deploy/deploy] xedgesim: deploy --require-evidence: refusing to deploy " + bare + ": the keyless attestation is refused: it is signed by https://github.com/evil/fork/.github/workflows/release.yml@refs/heads/main",
		"[deploy/deploy] exit status 2",
		"Error: Job 'deploy on the device' failed",
	} {
		if !strings.Contains(r2.log, s) {
			t.Errorf("the refused run's log lacks %q\n%s", s, r2.log)
		}
	}
	for _, never := range []string{"evidence: " + bare + " passed", "local: connect", "Run Main Verify"} {
		if strings.Contains(r2.log, never) {
			t.Errorf("the refused run's log has %q", never)
		}
	}
	for _, k := range []string{"deploy/deploy/digest", "deploy/deploy/hosts-deployed", "deploy/verify/passed"} {
		if got := r2.outputs[k]; got != "" {
			t.Errorf("the refused run set %s = %q", k, got)
		}
	}
	if got := localImages(t, env, service); got != images {
		t.Errorf("the refused run changed the service's images on the host from %q to %q", images, got)
	}
	if c2 := inspectService(t, env, service); c2 != c {
		t.Errorf("after the refused deploy the service is %+v, want it unchanged: %+v", c2, c)
	}
	if got := httpGet(fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "hello from linux/amd64" {
		t.Errorf("after the refused deploy the service answers %q", got)
	}
	t.Logf("edge-runner workflow under act: deploy %s, refusal %s", r.took.Round(time.Second), r2.took.Round(time.Second))
}

// buildXedgesim builds the CLI from this tree, as a user's release job
// would have it.
func buildXedgesim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xedgesim")
	// Static, as make build and the releases build it: the shaping helper
	// runs this binary in a scratch image.
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/xedgesim")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// xedgesim runs the CLI in the repository root with the bed's engine and
// returns the last line of its stdout (the reference each verb prints).
func xedgesim(t *testing.T, env *testbed.Env, bin string, args ...string) string {
	t.Helper()
	return xedgesimEnv(t, env, bin, nil, args...)
}

// xedgesimEnv is xedgesim with extra environment variables.
func xedgesimEnv(t *testing.T, env *testbed.Env, bin string, extraEnv []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(append(os.Environ(), "DOCKER_HOST="+env.DockerHost), extraEnv...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xedgesim %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// freeHostPort is a TCP port free on the host now, for the service to
// publish.
func freeHostPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type serviceState struct{ id, running, digest, service string }

// inspectService reads the service's container on the host engine.
func inspectService(t *testing.T, env *testbed.Env, service string) serviceState {
	t.Helper()
	format := fmt.Sprintf(`{{.Id}} {{.State.Running}} {{index .Config.Labels %q}} {{index .Config.Labels %q}}`, deploy.LabelDigest, deploy.LabelService)
	out, err := hostDocker(env, "inspect", "--format", format, service)
	f := strings.Fields(out)
	if err != nil || len(f) != 4 {
		t.Fatalf("docker inspect %s: %v: %s", service, err, out)
	}
	return serviceState{id: f[0], running: f[1], digest: f[2], service: f[3]}
}

// localImages lists the images a deploy loaded into the host engine for
// the service.
func localImages(t *testing.T, env *testbed.Env, service string) string {
	t.Helper()
	out, err := hostDocker(env, "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "xedgesim.local/"+service)
	if err != nil {
		t.Fatalf("docker images: %v: %s", err, out)
	}
	return out
}

func hostDocker(env *testbed.Env, args ...string) (string, error) {
	cmd := exec.Command(env.Docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// cleanupLocalService removes, from the host engine, the containers of the
// service (the running one and any the deploy kept to roll back to) and
// the images the deploy loaded for it.
func cleanupLocalService(t *testing.T, env *testbed.Env, service string) {
	t.Cleanup(func() {
		ids, _ := hostDocker(env, "ps", "-aq", "--filter", "label="+deploy.LabelService+"="+service)
		for _, id := range strings.Fields(ids) {
			if out, err := hostDocker(env, "rm", "-f", id); err != nil {
				t.Logf("removing container %s: %v: %s", id, err, out)
			}
		}
		tags, _ := hostDocker(env, "images", "--format", "{{.Repository}}:{{.Tag}}", "xedgesim.local/"+service)
		for _, tag := range strings.Fields(tags) {
			if out, err := hostDocker(env, "image", "rm", tag); err != nil {
				t.Logf("removing image %s: %v: %s", tag, err, out)
			}
		}
	})
}

// deleteDigests deletes manifests pushed by digest alone, which a listing
// of tags does not find.
func deleteDigests(t *testing.T, env *testbed.Env, refs ...string) {
	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Log(err)
		return
	}
	for _, r := range refs {
		d, err := name.NewDigest(r)
		if err != nil {
			continue
		}
		if err := remote.Delete(d, opts...); err != nil {
			t.Logf("deleting %s: %v", d, err)
		}
	}
}

func httpStatus(url string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// fulcioTrustedRoot is the Sigstore trusted root of the bed's Fulcio (its
// CA is ephemeral: read it now), as a device commits Sigstore's.
func fulcioTrustedRoot(t *testing.T, fulcio string) string {
	t.Helper()
	resp, err := http.Get(fulcio + "/api/v2/trustBundle")
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
		t.Fatalf("fulcio trust bundle: %v", err)
	}
	var chain []*x509.Certificate
	for _, p := range tb.Chains[0].Certificates {
		block, _ := pem.Decode([]byte(p))
		if block == nil {
			t.Fatal("fulcio trust bundle: not PEM")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
	}
	js, err := evidence.TrustedRootJSON(fulcio, chain)
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}
