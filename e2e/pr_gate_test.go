package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestActPRGateFails runs workflows/pr-gate.yml under act on a pull request
// whose scenario fails its assertions: the gate step exits 2, the job and
// act fail, and the failed assertion is annotated on its scenario line.
// Each shard first builds the pull request's app (cmd/gateway, as the
// workflow says) into an OCI layout, without pushing, and the gate runs it
// as the docker node gateway1 of the other scenario.
func TestActPRGateFails(t *testing.T) {
	t.Parallel()
	env := testbed.Need(t, testbed.PartAct)
	root := repoRoot(t)
	ws := t.TempDir()
	event, err := json.Marshal(map[string]any{
		"number": 7,
		"pull_request": map[string]any{
			"number": 7,
			"head":   map[string]any{"ref": "feature", "sha": strings.Repeat("a", 40), "repo": map[string]any{"fork": false}},
			"base":   map[string]any{"ref": "main"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, ws, map[string]string{
		"scenarios/gate_fails_on_purpose.yaml": readFile(t, filepath.Join(root, "scenarios/gate_fails_on_purpose.yaml")),
		".github/workflows/pr-gate.yml":        readFile(t, filepath.Join(root, "workflows/pr-gate.yml")),
		"event.json":                           string(event),
		"go.mod":                               "module example.com/app\n\ngo 1.26\n",
		"cmd/gateway/main.go":                  prApp,
		"scenarios/app.yaml":                   prAppScenario,
	})
	gitInit(t, ws)
	workflow := filepath.Join(ws, ".github/workflows/pr-gate.yml")
	args := append([]string{"pull_request", "-W", workflow, "-e", filepath.Join(ws, "event.json")}, stubs(t, root, workflow)...)
	r := runAct(t, env, ws, 5*time.Minute, nil, args...)
	if r.code() != 1 {
		t.Fatalf("act: exit %d, want 1 (a job failed)\n%s", r.code(), r.log)
	}
	for _, want := range []string{
		// The gate step's own exit status, as act reports it.
		"[simulate/gate] exit status 2",
		"[simulate/gate]   ❌  Failure - Main Simulate",
		"Error: Job 'simulate' failed",
		// The annotation on the failed assertion's line.
		"::error col=7,file=scenarios/gate_fails_on_purpose.yaml,line=23,title=Assertion failed::readings reach the gateway",
		// Each shard built the pull request's image into the workspace,
		// and pushed nothing.
		"[simulate/build]   ✅  Success - Main Build the pull request's image",
		// The report job still runs after the failed gate.
		"[report/] 🏁  Job succeeded",
	} {
		if !strings.Contains(r.log, want) {
			t.Errorf("the log lacks %q\n%s", want, r.log)
		}
	}
	// The plan job's matrix: the sweep's sixteen runs (two scenarios,
	// eight seeds) in four shards.
	if got, want := r.outputs["plan/plan/matrix"], `{"include":[{"shard":"1/4","runs":4},{"shard":"2/4","runs":4},{"shard":"3/4","runs":4},{"shard":"4/4","runs":4}]}`; got != want {
		t.Errorf("output plan/plan/matrix = %q, want %q", got, want)
	}
	// The merge job runs after the failed shards (act's artifact stubs
	// carry no files, so here it has none to merge).
	if !strings.Contains(r.log, "[merge/merged]") {
		t.Errorf("the merge step did not run\n%s", r.log)
	}
	for k, v := range map[string]string{"simulate/gate/verdict": "fail", "simulate/gate/passed": "false"} {
		if got := r.outputs[k]; got != v {
			t.Errorf("output %s = %q, want %q", k, got, v)
		}
	}
}

// prApp is the pull request's app: it runs until it is stopped.
const prApp = `package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
`

// prAppScenario runs the app as gateway1; the workflow's image: input puts
// the pull request's build in its place.
const prAppScenario = `simulation: {duration_s: 2, seed: 1}
nodes:
  - {id: gateway1, type: service, implementation: docker, docker: {image: "oci:../image"}}
validation:
  assertions:
    - {metric: healthy, operator: eq, value: 1, where: {node: gateway1}}
`
