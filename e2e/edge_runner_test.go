package e2e

import (
	"fmt"
	"net"
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
	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// TestActEdgeRunner runs workflows/edge-runner.yml under act as the
// self-hosted runner of an edge device: the job deploys to its own Docker
// engine (the bed's host dockerd) through a manifest whose one host is
// local: true, with require-evidence and the release's public key. A
// digest our build verb made, simulated and pushed with its passing
// evidence signed by the release key is deployed, runs and answers; a
// digest pushed with forged, unsigned evidence is refused and changes
// nothing.
func TestActEdgeRunner(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartAct, testbed.PartRegistry, testbed.PartDocker)
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
	// The release key: cosign's format, with an empty password, so the
	// pushes need no COSIGN_PASSWORD.
	key, err := evidence.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := evidence.MarshalPrivateKey(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := evidence.MarshalPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"cosign.key": string(keyPEM)})
	ref := xedgesim(t, env, bin, "push", "--evidence", filepath.Join(dir, "results/evidence.json"), "--key", filepath.Join(dir, "cosign.key"), "oci:"+filepath.Join(dir, "simulated"), repo)
	t.Cleanup(func() { deleteDigests(t, env, ref) })
	bare := xedgesim(t, env, bin, "push", "oci:"+filepath.Join(dir, "unsimulated"), repo)
	t.Cleanup(func() { deleteDigests(t, env, bare) })
	// What anyone with write access to the registry could attach: passing
	// evidence naming the digest, unsigned.
	forged := evidence.New(evidence.Pass, []evidence.Run{{Scenario: "app", File: "scenario.yaml", Seed: 1, Verdict: evidence.Pass}},
		[]evidence.Image{{Digest: bare[strings.Index(bare, "@")+1:]}})
	forgedFile, err := forged.Write(filepath.Join(dir, "forged"))
	if err != nil {
		t.Fatal(err)
	}
	xedgesim(t, env, bin, "attest", "--evidence", forgedFile, bare)
	t.Cleanup(func() { cleanupRegistry(t, env, repo) })
	if !strings.HasPrefix(ref, repo+"@") || !digestRef.MatchString(ref) || !strings.HasPrefix(bare, repo+"@") {
		t.Fatalf("pushed %q and %q, want %s@sha256:...", ref, bare, repo)
	}
	digest := ref[strings.Index(ref, "@")+1:]

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
		"deploy/cosign.pub":                 string(pubPEM),
	})
	gitInit(t, ws)
	workflow := filepath.Join(ws, ".github/workflows/edge-runner.yml")
	run := func(image string) actResult {
		args := append([]string{"workflow_dispatch", "-W", workflow,
			// The runner's labels, each the host itself.
			"-P", "self-hosted=-self-hosted", "-P", "linux=-self-hosted", "-P", "edge=-self-hosted",
			"--input", "image=" + image, "--input", "manifest=deploy/local.yaml",
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
		"[deploy/deploy/deploy] xedgesim: deploy --require-evidence: refusing to deploy " + bare + ": the simulation evidence attached to it is unsigned",
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
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/xedgesim").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// xedgesim runs the CLI in the repository root with the bed's engine and
// returns the last line of its stdout (the reference each verb prints).
func xedgesim(t *testing.T, env *testbed.Env, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
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
