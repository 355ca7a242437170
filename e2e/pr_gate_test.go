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
		// The report job still runs after the failed gate.
		"[report/] 🏁  Job succeeded",
	} {
		if !strings.Contains(r.log, want) {
			t.Errorf("the log lacks %q\n%s", want, r.log)
		}
	}
	// The plan job's matrix: the sweep's eight runs in four shards.
	if got, want := r.outputs["plan/plan/matrix"], `{"include":[{"shard":"1/4","runs":2},{"shard":"2/4","runs":2},{"shard":"3/4","runs":2},{"shard":"4/4","runs":2}]}`; got != want {
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
