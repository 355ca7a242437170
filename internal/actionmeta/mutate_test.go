package actionmeta

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"
)

// The tests in this file prove that the checks can fail: each case copies
// one of the repository's real files, breaks it in one way by editing its
// YAML tree, and expects exactly the problem that break causes, and no
// other.

// mutation is one way to break a file.
type mutation struct {
	name   string
	mutate func(t *testing.T, root *yaml.Node)
	want   []Problem
}

// compareProblems compares rule and subject: the file is a temporary copy,
// and lines and messages are checked elsewhere.
var compareProblems = cmp.Options{
	cmpopts.IgnoreFields(Problem{}, "File", "Line", "Message"),
	cmpopts.EquateEmpty(),
}

// mutateFile parses src, applies m, and writes the result to a fresh
// temporary file called name.
func mutateFile(t *testing.T, src []byte, name string, m mutation) string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatalf("yaml.Unmarshal() = %v", err)
	}
	m.mutate(t, doc.Content[0])
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatalf("yaml.Marshal() = %v", err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// get returns the value of key in mapping m, failing the test if it is
// missing.
func get(t *testing.T, m *yaml.Node, key string) *yaml.Node {
	t.Helper()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	t.Fatalf("no key %q at line %d", key, m.Line)
	return nil
}

// remove deletes key from mapping m, failing the test if it is missing.
func remove(t *testing.T, m *yaml.Node, key string) {
	t.Helper()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = slices.Delete(m.Content, i, i+2)
			return
		}
	}
	t.Fatalf("no key %q at line %d", key, m.Line)
}

// set adds or replaces key in mapping m with a plain scalar.
func set(m *yaml.Node, key, value string) {
	v := &yaml.Node{Kind: yaml.ScalarNode, Value: value}
	if strings.Contains(value, "\n") {
		v.Style = yaml.LiteralStyle
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

// step returns the step whose id (or, in workflows, uses: prefix) is which.
func step(t *testing.T, steps *yaml.Node, which string) *yaml.Node {
	t.Helper()
	for _, s := range steps.Content {
		for i := 0; i+1 < len(s.Content); i += 2 {
			k, v := s.Content[i].Value, s.Content[i+1].Value
			if (k == "id" && v == which) || (k == "uses" && strings.HasPrefix(v, which)) {
				return s
			}
		}
	}
	t.Fatalf("no step %q", which)
	return nil
}

func actionSteps(t *testing.T, root *yaml.Node) *yaml.Node {
	return get(t, get(t, root, "runs"), "steps")
}

// unmap removes every env: and with: entry of every step that passes input
// id on: INPUT_<ID>, or any value that reads inputs.<id>.
func unmap(id string) func(t *testing.T, root *yaml.Node) {
	return func(t *testing.T, root *yaml.Node) {
		removed := 0
		for _, s := range actionSteps(t, root).Content {
			for i := 0; i+1 < len(s.Content); i += 2 {
				if k := s.Content[i].Value; k != "env" && k != "with" {
					continue
				}
				m := s.Content[i+1]
				for j := 0; j+1 < len(m.Content); {
					name, value := m.Content[j].Value, m.Content[j+1].Value
					if name == inputEnv(id) || slices.Contains(inputRefs(value), id) {
						m.Content = slices.Delete(m.Content, j, j+2)
						removed++
						continue
					}
					j += 2
				}
			}
		}
		if removed == 0 {
			t.Fatalf("no step maps input %q: nothing to remove", id)
		}
	}
}

func TestCheckCatchesBrokenAction(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	real, err := Parse(src, "action.yml")
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if len(real.Inputs) == 0 {
		t.Fatal("the root action declares no inputs")
	}

	cases := []mutation{{
		name:   "unchanged",
		mutate: func(*testing.T, *yaml.Node) {},
	}}
	// Every input, one at a time: the heart of the matter.
	for _, in := range real.Inputs {
		cases = append(cases, mutation{
			name:   "env mapping of " + in.ID + " removed",
			mutate: unmap(in.ID),
			want:   []Problem{{Rule: RuleInputUnmapped, Subject: in.ID}},
		})
	}
	cases = append(cases, []mutation{{
		name: "setup-go pinned to a tag",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(step(t, actionSteps(t, root), "actions/setup-go@"), "uses", "actions/setup-go@v6")
		},
		want: []Problem{{Rule: RuleUnpinned, Subject: "actions/setup-go@v6"}},
	}, {
		name: "setup-go pinned to a short commit",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(step(t, actionSteps(t, root), "actions/setup-go@"), "uses", "actions/setup-go@7a3fe6c")
		},
		want: []Problem{{Rule: RuleUnpinned, Subject: "actions/setup-go@7a3fe6c"}},
	}, {
		name: "description of shard removed",
		mutate: func(t *testing.T, root *yaml.Node) {
			remove(t, get(t, get(t, root, "inputs"), "shard"), "description")
		},
		want: []Problem{{Rule: RuleInputDescription, Subject: "shard"}},
	}, {
		name: "description of an output removed",
		mutate: func(t *testing.T, root *yaml.Node) {
			remove(t, get(t, get(t, root, "outputs"), "report"), "description")
		},
		want: []Problem{{Rule: RuleOutputDescription, Subject: "report"}},
	}, {
		name: "input interpolated into a script",
		mutate: func(t *testing.T, root *yaml.Node) {
			s := step(t, actionSteps(t, root), "simulate")
			set(s, "run", get(t, s, "run").Value+"\necho ${{ inputs.scenario }}\n")
		},
		want: []Problem{{Rule: RuleRunInput, Subject: "scenario"}},
	}, {
		name: "pull request text interpolated into a script",
		mutate: func(t *testing.T, root *yaml.Node) {
			s := step(t, actionSteps(t, root), "prepare")
			set(s, "run", get(t, s, "run").Value+"echo \"${{ github.event.pull_request.title }}\"\n")
		},
		want: []Problem{{Rule: RuleRunUntrusted, Subject: "prepare"}},
	}, {
		name: "shell removed",
		mutate: func(t *testing.T, root *yaml.Node) {
			remove(t, step(t, actionSteps(t, root), "simulate"), "shell")
		},
		want: []Problem{{Rule: RuleShell, Subject: "simulate"}},
	}, {
		name: "output reads a step that does not exist",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(get(t, get(t, root, "outputs"), "verdict"), "value", "${{ steps.gate.outputs.verdict }}")
		},
		want: []Problem{{Rule: RuleOutputStep, Subject: "verdict"}},
	}, {
		name: "output value removed",
		mutate: func(t *testing.T, root *yaml.Node) {
			remove(t, get(t, get(t, root, "outputs"), "junit"), "value")
		},
		want: []Problem{{Rule: RuleOutputValue, Subject: "junit"}},
	}, {
		name: "env maps an input that does not exist",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(get(t, step(t, actionSteps(t, root), "simulate"), "env"), "INPUT_NOPE", "${{ inputs.nope }}")
		},
		want: []Problem{
			{Rule: RuleUnknownInput, Subject: "nope"},
			{Rule: RuleUnknownInput, Subject: "INPUT_NOPE"},
		},
	}, {
		name: "underscores written for the hyphens of fail-on-warning",
		mutate: func(t *testing.T, root *yaml.Node) {
			env := get(t, step(t, actionSteps(t, root), "simulate"), "env")
			remove(t, env, "INPUT_FAIL-ON-WARNING")
			set(env, "INPUT_FAIL_ON_WARNING", "${{ inputs.fail-on-warning }}")
		},
		want: []Problem{{Rule: RuleUnknownInput, Subject: "INPUT_FAIL_ON_WARNING"}},
	}, {
		name: "INPUT_SEED carries seeds",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(get(t, step(t, actionSteps(t, root), "simulate"), "env"), "INPUT_SEED", "${{ inputs.seeds }}")
		},
		want: []Problem{
			{Rule: RuleInputUnmapped, Subject: "seed"},
			{Rule: RuleEnvMismatch, Subject: "INPUT_SEED"},
		},
	}, {
		name: "branding removed",
		mutate: func(t *testing.T, root *yaml.Node) {
			remove(t, root, "branding")
		},
		want: []Problem{{Rule: RuleBranding, Subject: "branding"}},
	}}...)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := mutateFile(t, src, "action.yml", tc)
			a, err := Load(path)
			if err != nil {
				t.Fatalf("Load() = %v", err)
			}
			a.Root = true
			got := Check(a)
			if diff := cmp.Diff(tc.want, got, compareProblems); diff != "" {
				t.Errorf("Check() mismatch (-want +got):\n%s\nproblems:\n%s", diff, render(got))
			}
			for _, p := range got {
				if p.Line <= 0 || p.File != path || p.Message == "" {
					t.Errorf("Check() = %+v, want a file, a line and a message", p)
				}
			}
		})
	}
}

func TestCheckWorkflowCatchesBrokenWorkflow(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "workflows", "pr-gate.yml"))
	if err != nil {
		t.Fatal(err)
	}
	jobSteps := func(t *testing.T, root *yaml.Node, job string) *yaml.Node {
		return get(t, get(t, get(t, root, "jobs"), job), "steps")
	}
	cases := []mutation{{
		name:   "unchanged",
		mutate: func(*testing.T, *yaml.Node) {},
	}, {
		name: "pull_request_target added",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(get(t, root, "on"), "pull_request_target", "")
		},
		want: []Problem{{Rule: RulePullRequestTarget, Subject: "pull_request_target"}},
	}, {
		name: "top-level permissions removed",
		mutate: func(t *testing.T, root *yaml.Node) {
			remove(t, root, "permissions")
		},
		// The report job sets its own; the plan, simulate and merge jobs
		// are left with the repository's default.
		want: []Problem{{Rule: RulePermissions, Subject: "plan"}, {Rule: RulePermissions, Subject: "simulate"}, {Rule: RulePermissions, Subject: "merge"}},
	}, {
		name: "write-all",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(root, "permissions", "write-all")
		},
		want: []Problem{{Rule: RulePermissions, Subject: "workflow"}},
	}, {
		name: "checkout pinned to a tag",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(step(t, jobSteps(t, root, "simulate"), "actions/checkout@"), "uses", "actions/checkout@v6")
		},
		want: []Problem{{Rule: RuleUnpinned, Subject: "actions/checkout@v6"}},
	}, {
		name: "reporter pinned to a branch",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(step(t, jobSteps(t, root, "report"), "mikepenz/action-junit-report@"), "uses", "mikepenz/action-junit-report@main")
		},
		want: []Problem{{Rule: RuleUnpinned, Subject: "mikepenz/action-junit-report@main"}},
	}, {
		name: "the gate by its major tag",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(step(t, jobSteps(t, root, "simulate"), "xedgesim/simulate@"), "uses", "xedgesim/simulate@v1")
		},
		want: []Problem{{Rule: RuleUnpinned, Subject: "xedgesim/simulate@v1"}},
	}, {
		name: "the gate's pin without its version comment",
		mutate: func(t *testing.T, root *yaml.Node) {
			s := step(t, jobSteps(t, root, "simulate"), "xedgesim/simulate@")
			uses := get(t, s, "uses")
			if uses.LineComment == "" {
				t.Fatal("the gate's uses: has no comment to remove")
			}
			uses.LineComment = ""
		},
		want: []Problem{{Rule: RulePinComment, Subject: "xedgesim/simulate@" + gatePin(t, src)}},
	}, {
		name: "the gate without a version",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(step(t, jobSteps(t, root, "simulate"), "xedgesim/simulate@"), "uses", "xedgesim/simulate")
		},
		want: []Problem{{Rule: RuleUnpinned, Subject: "xedgesim/simulate"}},
	}, {
		name: "a secret on pull requests",
		mutate: func(t *testing.T, root *yaml.Node) {
			s := step(t, jobSteps(t, root, "simulate"), "xedgesim/simulate@")
			set(s, "env", "")
			env := get(t, s, "env")
			env.Kind, env.Tag = yaml.MappingNode, ""
			set(env, "REGISTRY_PASSWORD", "${{ secrets.REGISTRY_PASSWORD }}")
		},
		want: []Problem{{Rule: RuleSecrets, Subject: "registry_password"}},
	}, {
		name: "pull request text interpolated into a script",
		mutate: func(t *testing.T, root *yaml.Node) {
			steps := jobSteps(t, root, "simulate")
			s := &yaml.Node{Kind: yaml.MappingNode}
			set(s, "name", "Greet")
			set(s, "run", "echo \"${{ github.head_ref }}\"")
			steps.Content = append(steps.Content, s)
		},
		want: []Problem{{Rule: RuleRunUntrusted, Subject: "Greet"}},
	}}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := mutateFile(t, src, "pr-gate.yml", tc)
			w, err := LoadWorkflow(path)
			if err != nil {
				t.Fatalf("LoadWorkflow() = %v", err)
			}
			got := CheckWorkflow(w)
			if diff := cmp.Diff(tc.want, got, compareProblems); diff != "" {
				t.Errorf("CheckWorkflow() mismatch (-want +got):\n%s\nproblems:\n%s", diff, render(got))
			}
			for _, p := range got {
				if p.Line <= 0 || p.File != path || p.Message == "" {
					t.Errorf("CheckWorkflow() = %+v, want a file, a line and a message", p)
				}
			}
		})
	}
}

func render(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}

// TestCheckReleaseWorkflowCatchesBrokenWorkflow mutates the release
// workflow, the one that holds secrets and write access.
func TestCheckReleaseWorkflowCatchesBrokenWorkflow(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	src, err := os.ReadFile(filepath.Join(root, "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	jobSteps := func(t *testing.T, root *yaml.Node, job string) *yaml.Node {
		return get(t, get(t, get(t, root, "jobs"), job), "steps")
	}
	cases := []mutation{{
		name:   "unchanged",
		mutate: func(*testing.T, *yaml.Node) {},
	}, {
		name: "the SSH key in the workflow's env",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(get(t, root, "env"), "EDGE_SSH_KEY", "${{ secrets.EDGE_SSH_KEY }}")
		},
		want: []Problem{{Rule: RuleSecretScope, Subject: "EDGE_SSH_KEY"}},
	}, {
		name: "the token left in .git",
		mutate: func(t *testing.T, root *yaml.Node) {
			remove(t, step(t, jobSteps(t, root, "deploy"), "actions/checkout@"), "with")
		},
		want: []Problem{{Rule: RuleCheckoutCredentials, Subject: "Check out"}},
	}, {
		name: "upload-artifact pinned to a tag",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(step(t, jobSteps(t, root, "release"), "actions/upload-artifact@"), "uses", "actions/upload-artifact@v7")
		},
		want: []Problem{{Rule: RuleUnpinned, Subject: "actions/upload-artifact@v7"}},
	}, {
		name: "write-all on the release job",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(get(t, get(t, root, "jobs"), "release"), "permissions", "write-all")
		},
		want: []Problem{{Rule: RulePermissions, Subject: "job release"}},
	}, {
		name: "the deploy action by its major tag, in the job with the SSH key",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(step(t, jobSteps(t, root, "deploy"), "xedgesim/simulate/actions/deploy@"), "uses", "xedgesim/simulate/actions/deploy@v1")
		},
		want: []Problem{{Rule: RuleUnpinned, Subject: "xedgesim/simulate/actions/deploy@v1"}},
	}, {
		name: "packages: read removed from the deploy job",
		mutate: func(t *testing.T, root *yaml.Node) {
			remove(t, get(t, get(t, get(t, root, "jobs"), "deploy"), "permissions"), "packages")
		},
		want: []Problem{{Rule: RulePackages, Subject: "deploy"}},
	}, {
		name: "contents: write on the release job",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(get(t, get(t, get(t, root, "jobs"), "release"), "permissions"), "contents", "write")
		},
		want: []Problem{{Rule: RuleEnvironment, Subject: "release"}},
	}, {
		name: "triggered by pull requests",
		mutate: func(t *testing.T, root *yaml.Node) {
			set(get(t, root, "on"), "pull_request", "")
		},
		// Both deploy steps read the SSH key and known_hosts.
		want: []Problem{
			{Rule: RuleSecrets, Subject: "edge_ssh_key"}, {Rule: RuleSecrets, Subject: "edge_known_hosts"},
			{Rule: RuleSecrets, Subject: "edge_ssh_key"}, {Rule: RuleSecrets, Subject: "edge_known_hosts"},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := mutateFile(t, src, "release.yml", tc)
			w, err := LoadWorkflow(path)
			if err != nil {
				t.Fatalf("LoadWorkflow() = %v", err)
			}
			got := CheckWorkflow(w)
			if diff := cmp.Diff(tc.want, got, compareProblems); diff != "" {
				t.Errorf("CheckWorkflow() mismatch (-want +got):\n%s\nproblems:\n%s", diff, render(got))
			}
		})
	}
}

// TestCheckCatchesUnmappedInputInEveryAction removes the mapping of each
// input of each sub-action (build, push, deploy, verify), one at a time:
// the check names exactly that input.
func TestCheckCatchesUnmappedInputInEveryAction(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	paths, err := FindActions(root)
	if err != nil {
		t.Fatal(err)
	}
	subs := 0
	for _, path := range paths {
		if filepath.Dir(path) == root {
			continue // TestCheckCatchesBrokenAction has the root action
		}
		subs++
		rel, _ := filepath.Rel(root, path)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		real, err := Parse(src, rel)
		if err != nil {
			t.Fatalf("Parse(%s) = %v", rel, err)
		}
		for _, in := range real.Inputs {
			tc := mutation{name: rel + ": " + in.ID, mutate: unmap(in.ID), want: []Problem{{Rule: RuleInputUnmapped, Subject: in.ID}}}
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				p := mutateFile(t, src, "action.yml", tc)
				a, err := Load(p)
				if err != nil {
					t.Fatalf("Load() = %v", err)
				}
				if diff := cmp.Diff(tc.want, Check(a), compareProblems); diff != "" {
					t.Errorf("Check() mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
	if subs < 4 {
		t.Errorf("found %d sub-actions, want build, push, deploy and verify", subs)
	}
}

// gatePin returns the commit the gate step of pr-gate.yml is pinned to.
func gatePin(t *testing.T, src []byte) string {
	t.Helper()
	w, err := ParseWorkflow(src, "pr-gate.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if repo, ref, ok := strings.Cut(s.Uses, "@"); ok && repo == Repository {
				return ref
			}
		}
	}
	t.Fatal("pr-gate.yml has no step that uses " + Repository)
	return ""
}
