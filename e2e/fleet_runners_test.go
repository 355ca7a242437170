package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// TestActFleetRunners runs workflows/fleet-runners.yml under act with the
// bed's three edges as three devices, each with its own runner: every
// device job plays its device's runner by talking to that edge's own
// Docker engine (a docker on PATH that picks the edge's socket from the
// job's XEDGESIM_DEVICE, as the device's runner environment would). The
// artifacts travel through a folder (act cannot fetch upload-artifact).
//
//   - A good digest reaches all three devices in the canary and one wave,
//     and the record lists each device's digest.
//   - A broken digest is stopped at the canary and rolled back there; the
//     other two devices never change.
//   - With one device "offline" (its job outlives the wave's
//     timeout-minutes), a new digest reaches the other two under offline:
//     skip, and the record says the offline one still runs the old digest.
//   - A digest failing its health check on a device of the wave stops the
//     rollout there, and the device the canary updated is put back by its
//     rollback job, from its deploy report.
func TestActFleetRunners(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartAct, testbed.PartRegistry, testbed.PartDocker, testbed.PartEdges)
	if len(env.Edges) < 3 {
		t.Fatalf("the bed has %d edges, want 3", len(env.Edges))
	}
	id := unique(t)
	repo := env.Registry.Host + "/e2e/fleet-" + id
	service := "fleet-" + id
	bin := buildXedgesim(t)
	devices := []string{"pi-1", "pi-2", "pi-3"}
	for _, e := range env.Edges[:3] {
		cleanupEdgeService(t, env, e, service)
	}
	t.Cleanup(func() { cleanupRegistry(t, env, repo) })

	// Three images pushed with passing evidence signed keyless as the
	// release job signs (the bed's OIDC issuer answers the Actions token
	// request with the release workflow's identity, the bed's Fulcio
	// certifies it): v1, v2 (another digest of the same program), and a
	// broken one whose program exits at once.
	dir := t.TempDir()
	fulcio, issuer := env.Var("FULCIO_URL"), env.Var("OIDC_ISSUER")
	requestToken, err := os.ReadFile(env.Var("OIDC_REQUEST_TOKEN_FILE"))
	if err != nil {
		t.Fatal(err)
	}
	actionsEnv := []string{"ACTIONS_ID_TOKEN_REQUEST_URL=" + env.Var("OIDC_TOKEN_URL") + "?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=" + strings.TrimSpace(string(requestToken))}
	release := func(name string, buildArgs ...string) string {
		t.Helper()
		layout := filepath.Join(dir, name)
		args := append([]string{"build", "--go", "./nodes/hello", "--platform", "linux/amd64,linux/arm64", "--output", "oci:" + layout}, buildArgs...)
		xedgesim(t, env, bin, args...)
		ref := xedgesim(t, env, bin, "push", "oci:"+layout, repo)
		if !strings.HasPrefix(ref, repo+"@") || !digestRef.MatchString(ref) {
			t.Fatalf("pushed %q, want %s@sha256:...", ref, repo)
		}
		runs := []evidence.Run{{Scenario: "app", File: "scenario.yaml", Seed: 1, Verdict: evidence.Pass}}
		ev := evidence.New(evidence.Pass, runs, []evidence.Image{{Digest: ref[strings.Index(ref, "@")+1:]}})
		evDir := filepath.Join(dir, name+"-evidence")
		evFile, err := ev.Write(evDir)
		if err != nil {
			t.Fatal(err)
		}
		st, err := evidence.NewStatement(ev, runs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Write(evDir); err != nil {
			t.Fatal(err)
		}
		xedgesimEnv(t, env, bin, actionsEnv, "attest", "--keyless", "--fulcio-url", fulcio, "--evidence", evFile, ref)
		return ref
	}
	v1 := release("v1")
	v2 := release("v2", "--env", "FLEET_RELEASE=2")
	broken := release("broken", "--cmd", "-addr", "--cmd", "not-an-address")
	digestOf := func(ref string) string { return ref[strings.Index(ref, "@")+1:] }

	// The fleet's repository: the manifest, the trusted root and
	// the workflow as shipped. The health check asks the device's own
	// engine whether the new container still runs after two seconds: the
	// broken program has exited by then.
	ws := t.TempDir()
	var hosts strings.Builder
	for i, d := range devices {
		fmt.Fprintf(&hosts, "  - {name: %s, runner: device-%s, platform: %s}\n", d, d, env.Edges[i].Platform)
	}
	writeFiles(t, ws, map[string]string{
		"deploy/fleet.yaml": fmt.Sprintf(`service:
  name: %s
  restart: "no"
  memory: 64m
  health:
    cmd: 'case ",${XEDGESIM_FLEET_UNHEALTHY:-}," in *",$XEDGESIM_DEVICE,"*) exit 1 ;; esac; sleep 2; [ -n "$(docker ps -q --filter label=%s=%s --filter status=running)" ]'
    timeout: 20s
    interval: 1s
    window: 1s
rollout: {canary: 1, batch: 2, max_failures: 0, offline: skip, wave_timeout: 2m}
hosts:
%s`, service, deploy.LabelService, service, hosts.String()),
		".github/workflows/fleet-runners.yml": readFile(t, filepath.Join(repoRoot(t), "workflows/fleet-runners.yml")),
		"deploy/trusted_root.json":            fulcioTrustedRoot(t, fulcio),
	})
	gitInit(t, ws)
	workflow := filepath.Join(ws, ".github/workflows/fleet-runners.yml")

	// Each device's runner environment: docker talks to its edge's engine.
	// A device named in XEDGESIM_FLEET_OFFLINE hangs past the wave's
	// timeout and then fails, changing nothing.
	shim := t.TempDir()
	var cases strings.Builder
	for i, d := range devices {
		fmt.Fprintf(&cases, "%s) export DOCKER_HOST=%s ;;\n", d, env.Edges[i].DockerHost)
	}
	writeFiles(t, shim, map[string]string{"docker": fmt.Sprintf(`#!/bin/sh
case "${XEDGESIM_DEVICE:-}" in
%sesac
case ",${XEDGESIM_FLEET_OFFLINE:-}," in
*",${XEDGESIM_DEVICE:-none},"*) sleep 150; echo "device offline" >&2; exit 1 ;;
esac
exec %s "$@"
`, cases.String(), env.Docker)})
	if err := os.Chmod(filepath.Join(shim, "docker"), 0o755); err != nil {
		t.Fatal(err)
	}

	run := func(image, offline, unhealthy string) actResult {
		t.Helper()
		artifacts := t.TempDir()
		args := []string{"workflow_dispatch", "-W", workflow,
			"-P", "self-hosted=-self-hosted",
			"--input", "image=" + image, "--input", "manifest=deploy/fleet.yaml",
			"--env", "PATH=" + shim + ":" + os.Getenv("PATH"),
			"--env", "FLEET_ARTIFACTS=" + artifacts,
			"--env", "XEDGESIM_FLEET_OFFLINE=" + offline,
			"--env", "XEDGESIM_FLEET_UNHEALTHY=" + unhealthy,
			// The bed's issuer stands in for GitHub's; the identity is the
			// one the issuer gives the release workflow.
			"--var", "XEDGESIM_SIGNER_ISSUER=" + issuer,
			"--var", `XEDGESIM_SIGNER_REGEXP=https://github\.com/xedgesim/simulate/\.github/workflows/release\.yml@refs/heads/main`,
		}
		for _, d := range devices {
			args = append(args, "-P", "device-"+d+"=-self-hosted")
		}
		args = append(args, artifactStubs(t, stubs(t, repoRoot(t), workflow))...)
		return runAct(t, env, ws, 8*time.Minute, nil, args...)
	}
	state := func() map[string]string {
		out := map[string]string{}
		for i, d := range devices {
			out[d] = edgeServiceDigest(t, env, env.Edges[i], service)
		}
		return out
	}
	want := func(what string, r actResult, w map[string]string) {
		t.Helper()
		if got := state(); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("%s: the devices run %v, want %v\n%s", what, got, w, r.log)
		}
	}

	// 1. v1 reaches every device: the canary, then the other two in one
	// wave; the record lists each device's digest.
	r := run(v1, "", "")
	if r.code() != 0 {
		t.Fatalf("act (v1): exit %d, want 0\n%s", r.code(), r.log)
	}
	want("after v1", r, map[string]string{"pi-1": digestOf(v1), "pi-2": digestOf(v1), "pi-3": digestOf(v1)})
	short := func(ref string) string { return digestOf(ref)[:19] }
	for _, s := range []string{
		"evidence: " + v1 + " passed simulation",
		"the rollout is complete",
		"pi-1    canary  updated  " + short(v1),
		"pi-2    wave1   updated  " + short(v1),
		"pi-3    wave1   updated  " + short(v1),
	} {
		if !strings.Contains(squeeze(r.log), squeeze(s)) {
			t.Errorf("the v1 run's log lacks %q\n%s", s, r.log)
		}
	}
	if got := r.outputs["plan/plan/wave1"]; got != `{"include":[{"host":"pi-2","runner":"device-pi-2","wave":"wave1"},{"host":"pi-3","runner":"device-pi-3","wave":"wave1"}]}` {
		t.Errorf("the plan's wave1: %q", got)
	}

	// 2. The broken digest: the canary's health check fails, the canary
	// goes back to v1 at once, and no wave starts.
	r = run(broken, "", "")
	if r.code() == 0 {
		t.Fatalf("act (broken): exit 0, want the run to fail\n%s", r.log)
	}
	want("after the broken digest", r, map[string]string{"pi-1": digestOf(v1), "pi-2": digestOf(v1), "pi-3": digestOf(v1)})
	for _, s := range []string{
		"the rollout stopped after canary: 1 failed device(s), max_failures 0",
		"pi-1    canary  rolled back  " + short(v1),
		"pi-2    wave1   not started",
		"pi-3    wave1   not started",
	} {
		if !strings.Contains(squeeze(r.log), squeeze(s)) {
			t.Errorf("the broken run's log lacks %q\n%s", s, r.log)
		}
	}
	if strings.Contains(r.log, "[wave1/") {
		t.Errorf("a wave ran after the failed canary\n%s", r.log)
	}

	// 3. v2 with pi-3 offline: its job times out, and under offline: skip
	// the rollout goes on; the record says pi-3 still runs v1.
	r = run(v2, "pi-3", "")
	if r.code() != 1 {
		t.Logf("act (v2, pi-3 offline): exit %d (the timed-out job fails the run)", r.code())
	}
	want("after v2 with pi-3 offline", r, map[string]string{"pi-1": digestOf(v2), "pi-2": digestOf(v2), "pi-3": digestOf(v1)})
	for _, s := range []string{
		"every wave ran; 1 device(s) still run the old digest",
		"pi-1    canary  updated  " + short(v2),
		"pi-2    wave1   updated  " + short(v2),
		"pi-3    wave1   offline  -",
		"still on the old digest: pi-3 (offline)",
	} {
		if !strings.Contains(squeeze(r.log), squeeze(s)) {
			t.Errorf("the offline run's log lacks %q\n%s", s, r.log)
		}
	}
	took := r.took

	// 4. v1 again, failing its health check on pi-2: the canary (pi-1,
	// back from v2 to v1) passes, pi-2 fails in wave1 and goes back to
	// v2 itself, pi-3 already runs v1 and is left as it is. The rollout
	// stops, and pi-1 is put back on v2 by its own rollback job.
	r = run(v1, "", "pi-2")
	if r.code() == 0 {
		t.Fatalf("act (v1, pi-2 unhealthy): exit 0, want the run to fail\n%s", r.log)
	}
	want("after the stop in wave1", r, map[string]string{"pi-1": digestOf(v2), "pi-2": digestOf(v2), "pi-3": digestOf(v1)})
	for _, s := range []string{
		"fleet: putting pi-1 back on " + v2,
		"the rollout stopped after wave1: 1 failed device(s), max_failures 0",
		"pi-1 canary rolled back " + short(v2) + " put back: the rollout stopped",
		"pi-2 wave1 rolled back " + short(v2),
		"pi-3 wave1 unchanged " + short(v1),
	} {
		if !strings.Contains(squeeze(r.log), squeeze(s)) {
			t.Errorf("the stopped run's log lacks %q\n%s", s, r.log)
		}
	}
	if strings.Contains(r.log, "putting pi-3 back") || strings.Contains(r.log, "putting pi-2 back") {
		t.Errorf("a device the rollout did not update was put back\n%s", r.log)
	}
	t.Logf("fleet-runners under act: offline run %s, stopped run %s", took.Round(time.Second), r.took.Round(time.Second))
}

// squeeze makes every run of spaces one space, so that a table row
// matches whatever the column widths.
func squeeze(s string) string {
	return spaces.ReplaceAllString(s, " ")
}

var spaces = regexp.MustCompile(`[ \t]+`)

// artifactStubs replaces the no-op stubs of upload-artifact and
// download-artifact with two that keep artifacts in $FLEET_ARTIFACTS, one
// folder per artifact, as a workflow run keeps them.
func artifactStubs(t *testing.T, flags []string) []string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"upload/action.yml": `name: upload-artifact stand-in
description: keeps the artifact in $FLEET_ARTIFACTS/NAME
inputs:
  name: {required: true}
  path: {required: true}
  if-no-files-found: {required: false}
  retention-days: {required: false}
runs:
  using: composite
  steps:
    - shell: bash
      env: {NAME: "${{ inputs.name }}", SRC: "${{ inputs.path }}"}
      run: |
        [ -e "$SRC" ] || { echo "no files at $SRC"; exit 0; }
        mkdir -p "$FLEET_ARTIFACTS/$NAME"
        if [ -d "$SRC" ]; then cp -R "$SRC/." "$FLEET_ARTIFACTS/$NAME/"; else cp "$SRC" "$FLEET_ARTIFACTS/$NAME/"; fi
`,
		"download/action.yml": `name: download-artifact stand-in
description: copies artifacts from $FLEET_ARTIFACTS
inputs:
  name: {required: false}
  pattern: {required: false}
  path: {required: false}
runs:
  using: composite
  steps:
    - shell: bash
      env: {NAME: "${{ inputs.name }}", PATTERN: "${{ inputs.pattern }}", DEST: "${{ inputs.path }}"}
      run: |
        mkdir -p "$DEST"
        if [ -n "$NAME" ]; then cp -R "$FLEET_ARTIFACTS/$NAME/." "$DEST/"; exit 0; fi
        for a in "$FLEET_ARTIFACTS"/$PATTERN; do [ -d "$a" ] && cp -R "$a" "$DEST/"; done; true
`,
	})
	var out []string
	for i := 0; i+1 < len(flags); i += 2 {
		spec := flags[i+1]
		switch {
		case strings.HasPrefix(spec, "actions/upload-artifact@"):
			spec = spec[:strings.Index(spec, "=")+1] + filepath.Join(dir, "upload")
		case strings.HasPrefix(spec, "actions/download-artifact@"):
			spec = spec[:strings.Index(spec, "=")+1] + filepath.Join(dir, "download")
		}
		out = append(out, flags[i], spec)
	}
	return out
}

// edgeDocker runs docker against an edge's own engine.
func edgeDocker(env *testbed.Env, e testbed.Edge, args ...string) (string, error) {
	cmd := exec.Command(env.Docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.DockerHost)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// edgeServiceDigest is the digest label of the service's running
// container on the edge, "" when none runs.
func edgeServiceDigest(t *testing.T, env *testbed.Env, e testbed.Edge, service string) string {
	t.Helper()
	out, err := edgeDocker(env, e, "ps", "--filter", "label="+deploy.LabelService+"="+service, "--filter", "status=running",
		"--format", fmt.Sprintf(`{{.Label %q}}`, deploy.LabelDigest))
	if err != nil {
		t.Fatalf("docker ps on %s: %v: %s", e.Name, err, out)
	}
	return out
}

// cleanupEdgeService removes from an edge's engine the containers of the
// service and the images deploy loaded for it.
func cleanupEdgeService(t *testing.T, env *testbed.Env, e testbed.Edge, service string) {
	t.Cleanup(func() {
		ids, _ := edgeDocker(env, e, "ps", "-aq", "--filter", "label="+deploy.LabelService+"="+service)
		for _, id := range strings.Fields(ids) {
			if out, err := edgeDocker(env, e, "rm", "-f", id); err != nil {
				t.Logf("removing container %s on %s: %v: %s", id, e.Name, err, out)
			}
		}
		tags, _ := edgeDocker(env, e, "images", "--format", "{{.Repository}}:{{.Tag}}", "xedgesim.local/"+service)
		for _, tag := range strings.Fields(tags) {
			if out, err := edgeDocker(env, e, "image", "rm", tag); err != nil {
				t.Logf("removing image %s on %s: %v: %s", tag, e.Name, err, out)
			}
		}
	})
}
