package actionmeta

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repoRoot returns the directory of go.mod above the test's directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("os.Getwd() = %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TestActions checks every action.yml in the repository: the root action
// and every sub-action. act runs composite actions with INPUT_* set even
// where GitHub does not, so this test, not an act run, is what catches an
// input a step forgot to map.
func TestActions(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	paths, err := FindActions(root)
	if err != nil {
		t.Fatalf("FindActions() = %v", err)
	}
	if !slices.Contains(paths, filepath.Join(root, "action.yml")) {
		t.Fatalf("FindActions() = %q, want the root action.yml among them", paths)
	}
	for _, path := range paths {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			a, err := Load(path)
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			a.Path = rel
			a.Root = filepath.Dir(path) == root
			for _, p := range Check(a) {
				t.Error(p)
			}
		})
	}
}

// TestWorkflows checks the example workflows users copy.
func TestWorkflows(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	paths, err := FindWorkflows(root)
	if err != nil {
		t.Fatalf("FindWorkflows() = %v", err)
	}
	for _, want := range []string{"workflows/pr-gate.yml", "workflows/release.yml", "workflows/edge-runner.yml", ".github/workflows/ci.yml"} {
		if !slices.Contains(paths, filepath.Join(root, want)) {
			t.Fatalf("FindWorkflows() = %q, want %s among them", paths, want)
		}
	}
	for _, path := range paths {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			w, err := LoadWorkflow(path)
			if err != nil {
				t.Fatalf("LoadWorkflow() = %v", err)
			}
			w.Path = rel
			for _, p := range CheckWorkflow(w) {
				t.Error(p)
			}
		})
	}
}

// TestLoadRepo checks that the root action is told apart from sub-actions
// and that test fixtures are not taken for actions.
func TestLoadRepo(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{
		"action.yml":                      "name: root\n",
		"actions/build/action.yml":        "name: build\n",
		"actions/push/action.yaml":        "name: push\n",
		"pkg/x/testdata/action.yml":       "name: fixture\n",
		".git/action.yml":                 "name: git\n",
		"workflows/pr-gate.yml":           "on: pull_request\n",
		"workflows/README.md":             "# no\n",
		"actions/build/testdata/fake.yml": "name: no\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	actions, err := LoadRepo(root)
	if err != nil {
		t.Fatalf("LoadRepo() = %v", err)
	}
	type found struct {
		Name string
		Root bool
	}
	var got []found
	for _, a := range actions {
		got = append(got, found{a.Name, a.Root})
	}
	want := []found{{"root", true}, {"build", false}, {"push", false}}
	if !slices.Equal(got, want) {
		t.Errorf("LoadRepo() = %+v, want %+v", got, want)
	}

	workflows, err := FindWorkflows(root)
	if err != nil {
		t.Fatalf("FindWorkflows() = %v", err)
	}
	if want := []string{filepath.Join(root, "workflows", "pr-gate.yml")}; !slices.Equal(workflows, want) {
		t.Errorf("FindWorkflows() = %q, want %q", workflows, want)
	}
}

// TestDeployActionsPassTheToken checks that the deploy and verify actions
// hand the binary a token for ghcr.io: a github-token input that defaults
// to the job's token, mapped to GITHUB_TOKEN (which the binary logs in to
// ghcr.io with) in the env: of the step that runs it, never pasted into
// its script. Without it a private GHCR image cannot be pulled.
func TestDeployActionsPassTheToken(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	for _, verb := range []string{"deploy", "verify"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			a, err := Load(filepath.Join(root, "actions", verb, "action.yml"))
			if err != nil {
				t.Fatal(err)
			}
			var in *Input
			for i := range a.Inputs {
				if a.Inputs[i].ID == "github-token" {
					in = &a.Inputs[i]
				}
			}
			if in == nil || in.Default != "${{ github.token }}" || in.Required {
				t.Fatalf("input github-token = %+v, want an optional input with default ${{ github.token }}", in)
			}
			found := false
			for _, s := range a.Runs.Steps {
				if !strings.Contains(s.Run, "xedgesim\" gha "+verb) {
					continue
				}
				found = true
				var token string
				for _, v := range s.Env {
					if v.Name == "GITHUB_TOKEN" {
						token = v.Value
					}
				}
				if token != "${{ inputs.github-token }}" {
					t.Errorf("step %q: GITHUB_TOKEN = %q, want ${{ inputs.github-token }}", s.label(), token)
				}
				if strings.Contains(s.Run, "token") {
					t.Errorf("step %q mentions the token in its script: %q", s.label(), s.Run)
				}
			}
			if !found {
				t.Fatalf("no step runs xedgesim gha %s", verb)
			}
		})
	}
}
