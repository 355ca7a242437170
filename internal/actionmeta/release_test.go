package actionmeta

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestProjectRelease checks the release chain of this repository
// (.github/workflows/release.yml): whatever the major tag points at runs in
// every `uses: xedgesim/simulate@v1` job in the world, so
//   - it runs by hand only, and every job only on main;
//   - every job that writes runs in the release environment (required
//     reviewers, main only);
//   - the major tag moves in a job of its own that waits, through needs:,
//     for the job that runs the released action, and nothing else moves a
//     tag by force;
//   - no run: script names the token (it goes through env: alone).
func TestProjectRelease(t *testing.T) {
	t.Parallel()
	path := filepath.Join(repoRoot(t), ".github", "workflows", "release.yml")
	w, err := LoadWorkflow(path)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range w.On {
		events = append(events, e.Name)
	}
	if !slices.Equal(events, []string{"workflow_dispatch"}) {
		t.Errorf("release runs on %q, want workflow_dispatch only", events)
	}

	jobs := map[string]*Job{}
	var major, checked []string
	for i := range w.Jobs {
		j := &w.Jobs[i]
		jobs[j.ID] = j
		if !strings.Contains(strings.ReplaceAll(j.If, `"`, "'"), "github.ref == 'refs/heads/main'") {
			t.Errorf("job %s runs with if: %q; want github.ref == 'refs/heads/main', so a run from another branch releases nothing", j.ID, j.If)
		}
		perms := j.Permissions
		if perms == nil {
			perms = w.Permissions
		}
		writes := perms.grants("contents", "write") || perms.grants("packages", "write")
		if writes && j.Environment != "release" {
			t.Errorf("job %s writes with environment %q, want release (required reviewers, main only)", j.ID, j.Environment)
		}
		if !writes && j.Environment != "" {
			t.Errorf("job %s writes nothing but waits for environment %q", j.ID, j.Environment)
		}
		for _, s := range j.Steps {
			if strings.Contains(s.Run, "scripts/release move-major") {
				major = append(major, j.ID)
			}
			if s.Uses == "./" && slices.ContainsFunc(s.With, func(v Var) bool { return v.Name == "version" && v.Value == "release" }) {
				checked = append(checked, j.ID)
			}
			for _, force := range []string{"git tag -f", "git tag --force", "+refs/tags/", "git push"} {
				if strings.Contains(s.Run, force) {
					t.Errorf("job %s, %s runs %q itself; tags move only in scripts/release, whose pushes keep the token off the command line", j.ID, s.describe(), force)
				}
			}
			for _, e := range expressions(s.Run) {
				if strings.Contains(e.text, "token") || strings.Contains(e.text, "secrets.") {
					t.Errorf("job %s, %s pastes ${{ %s }} into its script; pass it in env:", j.ID, s.describe(), e.text)
				}
			}
		}
	}
	if len(major) != 1 || len(checked) != 1 {
		t.Fatalf("jobs moving the major tag %q, jobs running the released action %q: want one of each", major, checked)
	}
	if major[0] == checked[0] {
		t.Fatalf("job %s both checks the release and moves the major tag; the move needs a job of its own after the check", major[0])
	}
	// needs:, transitively.
	var after func(id string, seen map[string]bool) bool
	after = func(id string, seen map[string]bool) bool {
		j, ok := jobs[id]
		if !ok || seen[id] {
			return false
		}
		seen[id] = true
		for _, n := range j.Needs {
			if n == checked[0] || after(n, seen) {
				return true
			}
		}
		return false
	}
	if !after(major[0], map[string]bool{}) {
		t.Errorf("job %s moves the major tag without needing job %s, which checks the release", major[0], checked[0])
	}
}
