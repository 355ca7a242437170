package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// appScenario gates the application: a docker node runs the image under
// test (the workflow passes app=<digest>) beside a simulated sensor and
// gateway.
const appScenario = `simulation: {duration_s: 3, seed: 1}
nodes:
  - {id: sensor1, type: sensor, implementation: python_model, port: 5001, config: {dst: gateway1}}
  - {id: gateway1, type: gateway, implementation: python_model, port: 5002}
  - id: app
    type: service
    implementation: docker
    port: 8080
    docker: {image: app, health: {tcp: 8080, timeout_s: 60}}
network:
  model: latency
  links:
    - {src: sensor1, dst: gateway1, latency_us: 1000}
validation:
  assertions:
    - {metric: packet_delivery_rate, operator: gte, value: 0.99, description: readings reach the gateway}
`

// releaseWorkspace is a user's repository: a Go application, a scenario,
// a deploy manifest for the bed's three edges (without host keys: the
// known-hosts secret gives them), and the release workflow as shipped.
func releaseWorkspace(t *testing.T, env *testbed.Env, service string, port int) string {
	t.Helper()
	root := repoRoot(t)
	ws := t.TempDir()
	var fleet strings.Builder
	fmt.Fprintf(&fleet, "service:\n  name: %s\n  ports: [\"%d:8080\"]\n  memory: 64m\n  health: {http: {port: %d, path: /healthz}, timeout: 90s, window: 2s}\n", service, port, port)
	fleet.WriteString("hosts:\n")
	for _, e := range env.Edges {
		fmt.Fprintf(&fleet, "  - {name: %s, address: %s, port: %d, user: %s, platform: %s}\n", e.Name, e.Addr, e.SSHPort, e.User, e.Platform)
	}
	fleet.WriteString("rollout: {canary: 1, batch: 2}\nssh: {timeout: 20s}\n")
	writeFiles(t, ws, map[string]string{
		"go.mod":                        "module example.com/app\n\ngo 1.24\n",
		"cmd/app/main.go":               readFile(t, filepath.Join(root, "nodes/hello/main.go")),
		"scenarios/app.yaml":            appScenario,
		"deploy/fleet.yaml":             fleet.String(),
		".github/workflows/release.yml": readFile(t, filepath.Join(root, "workflows/release.yml")),
	})
	gitInit(t, ws)
	return ws
}

// TestActRelease runs workflows/release.yml under act against the bed: the
// image is built for amd64 and arm64 and pushed to staging, simulated and
// gated, its evidence attached, promoted (which needs that evidence),
// deployed canary first to the three edges, and verified; each step's
// outputs feed the next. The test then checks the registry and the edges
// themselves.
func TestActRelease(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartAct, testbed.PartRegistry, testbed.PartDocker, testbed.PartEdges, testbed.PartArm64, testbed.PartKeyless)
	id := unique(t)
	repo := env.Registry.Host + "/e2e/xa-" + id
	service := "xa-" + id
	n, _ := rand.Int(rand.Reader, big.NewInt(9000))
	port := 30000 + int(n.Int64())
	ws := releaseWorkspace(t, env, service, port)
	// The release job signs keyless: the bed's OIDC issuer answers the
	// Actions token request with the release workflow's identity, and the
	// bed's Fulcio, whose root the workspace trusts, certifies it.
	fulcio := env.Var("FULCIO_URL")
	writeFiles(t, ws, map[string]string{"deploy/trusted_root.json": fulcioTrustedRoot(t, fulcio)})
	gitInit(t, ws)
	signer := releaseSigner(t, env)
	cleanupEdges(t, env, service)
	t.Cleanup(func() { cleanupRegistry(t, env, repo, repo+"-staging") })

	key := readFile(t, env.Edges[0].KeyFile)
	var knownHosts []string
	for _, e := range env.Edges {
		knownHosts = append(knownHosts, e.KnownHosts)
	}
	workflow := filepath.Join(ws, ".github/workflows/release.yml")
	args := append([]string{"workflow_dispatch", "-W", workflow,
		"--var", "XEDGESIM_IMAGE=" + repo,
		"--input", "tag=v0.0.1-" + id,
		"-s", "EDGE_SSH_KEY", "-s", "EDGE_KNOWN_HOSTS",
	}, append(signer, stubs(t, repoRoot(t), workflow)...)...)
	r := runAct(t, env, ws, 8*time.Minute, []string{"EDGE_SSH_KEY=" + key, "EDGE_KNOWN_HOSTS=" + strings.Join(knownHosts, "\n")}, args...)
	if r.code() != 0 {
		t.Fatalf("act: exit %d, want 0\n%s", r.code(), r.log)
	}
	t.Cleanup(func() { removeHostImage(t, env, r.outputs["release/build/image-ref"]) })

	// The digest flows from step to step and from job to job.
	staged := r.outputs["release/build/image-ref"]
	if !strings.HasPrefix(staged, repo+"-staging@sha256:") || !digestRef.MatchString(staged) {
		t.Fatalf("build's image-ref = %q, want %s-staging@sha256:...; outputs %q", staged, repo, keys(r.outputs))
	}
	digest := staged[strings.Index(staged, "@")+1:]
	released := repo + "@" + digest
	want := map[string]string{
		"release/build/digest":         digest,
		"release/simulate/verdict":     "pass",
		"release/simulate/passed":      "true",
		"release/simulate/evidence":    "results/evidence.json",
		"release/evidence/image-ref":   staged,
		"release/promote/image-ref":    released,
		"release/promote/digest":       digest,
		"deploy/deploy/image-ref":      released,
		"deploy/deploy/digest":         digest,
		"deploy/deploy/hosts-deployed": "edge1,edge2,edge3",
		"deploy/deploy/hosts-failed":   "",
		"deploy/deploy/report":         "deploy-report.json",
		"deploy/verify/passed":         "true",
		"deploy/verify/hosts-passed":   "edge1,edge2,edge3",
		"deploy/verify/hosts-failed":   "",
	}
	for k, v := range want {
		if got, ok := r.outputs[k]; !ok || got != v {
			t.Errorf("output %s = %q (set: %v), want %q", k, got, ok, v)
		}
	}

	// The binary the build step prepared is reused by the later steps of
	// the release job, checked against the SHA-256 recorded in the job's
	// environment, and never replaced as unrecorded.
	if !strings.Contains(r.log, "as recorded).") || strings.Contains(r.log, "Not reusing") {
		t.Errorf("the release job's later steps did not reuse the recorded binary (or found one unrecorded)")
	}

	// Canary first: edge1 is done before the batch of edge2 and edge3
	// starts.
	canaryDone := strings.Index(r.log, "edge1: done: deployed")
	for _, e := range []string{"edge2", "edge3"} {
		if i := strings.Index(r.log, e+": connect:"); canaryDone < 0 || i < canaryDone {
			t.Errorf("%s was contacted (log offset %d) before the canary edge1 was done (%d)", e, i, canaryDone)
		}
	}

	// Secrets: the deploy and verify steps asked act to mask every line
	// of the key and of known_hosts (act logs each such request as ***),
	// and no line of the key shows in the log.
	var secretLines int
	for _, s := range append([]string{key}, knownHosts...) {
		for line := range strings.Lines(s) {
			if strings.TrimSpace(line) != "" {
				secretLines++
			}
		}
	}
	if got := strings.Count(r.log, "⚙  ***"); got < 2*secretLines {
		t.Errorf("act logged %d mask requests, want at least %d (each secret line, in deploy and verify)", got, 2*secretLines)
	}
	for line := range strings.Lines(key) {
		if line = strings.TrimSpace(line); len(line) > 20 && strings.Contains(r.log, line) {
			t.Errorf("a line of the SSH key shows in the log: %q", line)
		}
	}

	// The registry: the release tag names the simulated digest, and the
	// promotion was allowed by the evidence attached in staging.
	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(repo + ":v0.0.1-" + id)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(tag, opts...)
	if err != nil || desc.Digest.String() != digest {
		t.Errorf("%s = %v, %v; want %s", tag, desc, err, digest)
	}
	// The build attached SLSA provenance, signed keyless by the job.
	stagedRef, err := name.NewDigest(staged)
	if err != nil {
		t.Fatal(err)
	}
	var provenance int
	if refs, err := remote.Referrers(stagedRef, opts...); err != nil {
		t.Errorf("listing the referrers of %s: %v", staged, err)
	} else if im, err := refs.IndexManifest(); err == nil {
		for _, d := range im.Manifests {
			if d.Annotations["dev.sigstore.bundle.predicateType"] == "https://slsa.dev/provenance/v1" {
				provenance++
			}
		}
	}
	if provenance != 1 || !strings.Contains(r.log, "build: provenance") {
		t.Errorf("%s has %d SLSA provenance attestations (build logged it: %v), want 1", staged, provenance, strings.Contains(r.log, "build: provenance"))
	}
	if !strings.Contains(r.log, "promoted with 1 passing evidence") {
		t.Errorf("the promotion does not say it checked the evidence")
	}
	// The deploy job checked the evidence in the registry again.
	if !strings.Contains(r.log, "evidence: "+released+" passed simulation") {
		t.Errorf("the deploy step does not say it checked the evidence of %s", released)
	}

	// The edges: each runs the image of its own platform and answers.
	for _, e := range env.Edges {
		if got := httpGet(fmt.Sprintf("http://%s:%d/", e.Addr, port)); got != "hello from "+e.Platform {
			t.Errorf("%s answers %q, want hello from %s", e.Name, got, e.Platform)
		}
	}

	// The step summaries act logged: every host deployed, every check
	// passed.
	for _, e := range env.Edges {
		for _, row := range []string{
			fmt.Sprintf("| %s | %s | `-` | `%s` |", e.Name, e.Platform, digest[:19]),
			fmt.Sprintf("| %s | yes | yes | yes | yes | - |", e.Name),
		} {
			if !strings.Contains(r.log, row) {
				t.Errorf("no summary row %q in the log", row)
			}
		}
	}
	t.Logf("release workflow under act: %s", r.took.Round(time.Second))
}

// removeHostImage removes the image the workflow pulled into the host's
// engine for the simulation.
func removeHostImage(t *testing.T, env *testbed.Env, ref string) {
	if ref == "" {
		return
	}
	cmd := exec.Command(env.Docker, "image", "rm", "-f", ref)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("removing %s: %v\n%s", ref, err, out)
	}
}

// cleanupEdges removes the service's containers and images from the edges.
func cleanupEdges(t *testing.T, env *testbed.Env, service string) {
	t.Cleanup(func() {
		for _, e := range env.Edges {
			c, err := transport.Dial(context.Background(), transport.Target{Name: e.Name, Address: e.Addr, Port: e.SSHPort, User: e.User, KnownHosts: e.KnownHosts}, transport.WithKeyFile(e.KeyFile, ""))
			if err != nil {
				t.Logf("cleaning up %s: %v", e.Name, err)
				continue
			}
			script := fmt.Sprintf(`docker ps -aq --filter label=%s=%s | xargs -r docker rm -f >/dev/null; docker images -q 'xedgesim.local/%s' | sort -u | xargs -r docker image rm -f >/dev/null; true`, deploy.LabelService, service, service)
			if _, err := c.Run(context.Background(), script, nil); err != nil {
				t.Logf("cleaning up %s: %v", e.Name, err)
			}
			c.Close()
		}
	})
}

// cleanupRegistry deletes every tag of the test's repositories.
func cleanupRegistry(t *testing.T, env *testbed.Env, repos ...string) {
	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Log(err)
		return
	}
	for _, r := range repos {
		repo, err := name.NewRepository(r)
		if err != nil {
			continue
		}
		tags, _ := remote.List(repo, opts...)
		for _, tag := range tags {
			desc, err := remote.Head(repo.Tag(tag), opts...)
			if err == nil {
				remote.Delete(repo.Digest(desc.Digest.String()), opts...)
			}
		}
	}
}

func httpGet(url string) string {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// TestActReleaseGateBlocks runs the release workflow on an application
// whose scenario fails: the gate step exits 2, nothing is promoted and the
// deploy job, the only one with the SSH secrets, never starts.
// releaseSigner are act's arguments that let the release job sign keyless
// on the bed: its Fulcio, and its OIDC issuer answering the Actions token
// request with the release workflow's identity.
func releaseSigner(t *testing.T, env *testbed.Env) []string {
	t.Helper()
	requestToken, err := os.ReadFile(env.Var("OIDC_REQUEST_TOKEN_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		"--var", "XEDGESIM_FULCIO_URL=" + env.Var("FULCIO_URL"),
		"--var", "XEDGESIM_SIGNER_ISSUER=" + env.Var("OIDC_ISSUER"),
		"--var", "XEDGESIM_SIGNER_IDENTITY=https://github.com/xedgesim/simulate/.github/workflows/release.yml@refs/heads/main",
		"--env", "ACTIONS_ID_TOKEN_REQUEST_URL=" + env.Var("OIDC_TOKEN_URL") + "?api-version=2.0",
		"--env", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + strings.TrimSpace(string(requestToken)),
	}
}

func TestActReleaseGateBlocks(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartAct, testbed.PartRegistry, testbed.PartDocker, testbed.PartEdges, testbed.PartKeyless)
	id := unique(t)
	repo := env.Registry.Host + "/e2e/xa-" + id
	ws := releaseWorkspace(t, env, "xa-"+id, 30000)
	// The same application, held to a threshold it cannot meet.
	writeFiles(t, ws, map[string]string{"scenarios/app.yaml": strings.Replace(appScenario, "value: 0.99", "value: 1.01", 1)})
	gitInit(t, ws)
	t.Cleanup(func() { cleanupRegistry(t, env, repo, repo+"-staging") })

	workflow := filepath.Join(ws, ".github/workflows/release.yml")
	// The build signs its provenance keyless before the gate.
	args := append([]string{"workflow_dispatch", "-W", workflow, "--var", "XEDGESIM_IMAGE=" + repo, "--input", "tag=v0.0.1-" + id,
		"-s", "EDGE_SSH_KEY", "-s", "EDGE_KNOWN_HOSTS"}, append(releaseSigner(t, env), stubs(t, repoRoot(t), workflow)...)...)
	r := runAct(t, env, ws, 6*time.Minute, []string{"EDGE_SSH_KEY=unused", "EDGE_KNOWN_HOSTS=unused"}, args...)
	t.Cleanup(func() { removeHostImage(t, env, r.outputs["release/build/image-ref"]) })
	if r.code() != 1 {
		t.Fatalf("act: exit %d, want 1 (the release job failed)\n%s", r.code(), r.log)
	}
	for _, want := range []string{"[release/simulate] exit status 2", "Error: Job 'build, simulate, promote' failed"} {
		if !strings.Contains(r.log, want) {
			t.Errorf("the log lacks %q\n%s", want, r.log)
		}
	}
	for _, never := range []string{"Run Main Promote", "Run Main Attach the evidence", "[deploy/"} {
		if strings.Contains(r.log, never) {
			t.Errorf("the log has %q: a step after the failed gate ran", never)
		}
	}
	if got := r.outputs["release/simulate/verdict"]; got != "fail" {
		t.Errorf("simulate's verdict = %q, want fail", got)
	}
	// Nothing reached the release repository.
	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	rp, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	if tags, err := remote.List(rp, opts...); err == nil && len(tags) > 0 {
		t.Errorf("the release repository has tags %q after a failed gate", tags)
	}
}
