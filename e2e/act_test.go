package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/actionmeta"
	"github.com/xedgesim/simulate/internal/testbed"
)

// repoRoot is the directory of go.mod above the test's directory: the
// action's source that act runs as xedgesim/simulate@v1.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s", dir)
	}
	return dir
}

func unique(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// writeFiles writes files (path relative to dir: content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// gitInit makes dir a repository with one commit, as a checkout is: act
// reads the commit and ref from it.
func gitInit(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"},
		{"add", "-A"},
		{"-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "-q", "-m", "e2e"},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

// stubs makes a local no-op action for every third-party action that the
// workflow and this repository's actions use, and returns act's
// --local-repository flags for them, and for the commits the workflow pins
// this repository's actions to (the working tree at root runs for them). The stubs stand in for the pinned
// commits only: a reference that is not pinned would not match, and act
// would try (and fail) to fetch it.
func stubs(t *testing.T, root, workflow string) []string {
	t.Helper()
	var uses []string
	w, err := actionmeta.LoadWorkflow(workflow)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			uses = append(uses, s.Uses)
		}
	}
	actions, err := actionmeta.LoadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range actions {
		for _, s := range a.Runs.Steps {
			uses = append(uses, s.Uses)
		}
	}
	dir := t.TempDir()
	var flags []string
	seen := map[string]bool{}
	for _, u := range uses {
		repo, ref, ok := strings.Cut(u, "@")
		if !ok || strings.HasPrefix(u, "./") || seen[u] {
			continue
		}
		if strings.HasPrefix(strings.ToLower(repo), actionmeta.Repository) {
			// This repository, pinned by commit as the examples pin it:
			// the working tree stands in for that commit, as it does for
			// @v1 (runAct). The flag names the repository, so one covers
			// the root action and every sub-action at that commit.
			if self := actionmeta.Repository + "@" + ref; !seen[self] {
				seen[self] = true
				flags = append(flags, "--local-repository", self+"="+root)
			}
			continue
		}
		seen[u] = true
		stub := filepath.Join(dir, strings.NewReplacer("/", "_", "@", "_").Replace(u))
		writeFiles(t, stub, map[string]string{"action.yml": fmt.Sprintf(`name: stub
description: stands in for %s, which the test bed cannot fetch
runs:
  using: composite
  steps:
    - run: echo "stub of %s"
      shell: bash
`, u, u)})
		flags = append(flags, "--local-repository", repo+"@"+ref+"="+stub)
	}
	return flags
}

// actResult is one act run.
type actResult struct {
	err error
	log string
	// outputs are the step outputs act logged, by "job/step/name".
	outputs map[string]string
	took    time.Duration
}

// code is act's exit status.
func (r actResult) code() int {
	var ee *exec.ExitError
	if errors.As(r.err, &ee) {
		return ee.ExitCode()
	}
	if r.err != nil {
		return -1
	}
	return 0
}

// runAct runs act in host mode in ws, the working tree standing in for
// xedgesim/simulate@v1, with the bed's docker engine and the host's warm Go
// caches, and collects the outputs steps set.
func runAct(t *testing.T, env *testbed.Env, ws string, timeout time.Duration, extraEnv []string, args ...string) actResult {
	t.Helper()
	root := repoRoot(t)
	cache := t.TempDir()
	gocache, gomodcache := goEnv(t, "GOCACHE"), goEnv(t, "GOMODCACHE")
	full := append([]string{
		"-P", "ubuntu-latest=-self-hosted",
		"--local-repository", actionmeta.Repository + "@v1=" + root,
		"--action-offline-mode", "--pull=false", "--no-cache-server",
		"--action-cache-path", cache,
		"--json",
		"--env", "GOCACHE=" + gocache, "--env", "GOMODCACHE=" + gomodcache,
		"--env", "GOFLAGS=-mod=mod", "--env", "DOCKER_HOST=" + env.DockerHost,
	}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.Act, full...)
	cmd.Dir = ws
	cmd.Env = append(os.Environ(), extraEnv...)
	// act runs the steps as its children: on a timeout, end act's whole
	// process group (its own, started here), not only act.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := actResult{err: err, took: time.Since(start)}
	r.log, r.outputs = parseActLog(out.Bytes())
	t.Logf("act %s: exit %d in %s", strings.Join(args, " "), r.code(), r.took.Round(time.Second))
	return r
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// actLine is one line of act's --json log.
type actLine struct {
	Msg    string   `json:"msg"`
	Job    string   `json:"jobID"`
	Step   []string `json:"stepID"`
	Stage  string   `json:"stage"`
	Name   string   `json:"name"`
	Arg    string   `json:"arg"`
	Output bool     `json:"raw_output"`
	// Command is set for workflow commands, e.g. "set-output".
	Command string `json:"command"`
	Level   string `json:"level"`
}

// parseActLog turns act's JSON lines into a readable log and the outputs
// steps set.
func parseActLog(b []byte) (string, map[string]string) {
	var log strings.Builder
	outputs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l actLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			log.WriteString(sc.Text() + "\n")
			continue
		}
		step := strings.Join(l.Step, "/")
		fmt.Fprintf(&log, "[%s/%s] %s\n", l.Job, step, strings.TrimRight(l.Msg, "\n"))
		// Outputs of a workflow step are logged with its id alone; those
		// of the steps inside a composite action with two.
		if l.Command == "set-output" && l.Name != "" && len(l.Step) == 1 {
			outputs[l.Job+"/"+step+"/"+l.Name] = l.Arg
		}
	}
	return log.String(), outputs
}

var digestRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
