package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/internal/actionmeta"
)

// The token the release scripts are given; it must show in no command's
// arguments.
const releaseToken = "ghs_notarealtokenbutsecretenough"

// releaseRepo is a clone of a bare origin with one commit on main, with the
// files scripts/release tag expects from scripts/release build, and fake
// git and gh in front of the real ones: each records its arguments, and
// the git wrapper records, for every push, what the configured credential
// helpers give git for github.com.
type releaseRepo struct {
	dir, origin, log string
	env              []string
}

func newReleaseRepo(t *testing.T) *releaseRepo {
	t.Helper()
	realGit, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	root := repoRoot(t)
	base := t.TempDir()
	r := &releaseRepo{dir: filepath.Join(base, "work"), origin: filepath.Join(base, "origin.git"), log: filepath.Join(base, "argv.log")}
	fake := filepath.Join(base, "bin")
	writeFiles(t, fake, map[string]string{
		// Every argument on its own line, then the command's end.
		"git": "#!/bin/sh\nfor a in \"$@\"; do printf 'git: %s\\n' \"$a\" >> \"$ARGV_LOG\"; done\n" +
			"case \" $* \" in *' push '*) printf 'protocol=https\\nhost=github.com\\n\\n' | " + realGit + " credential fill 2>&1 | sed 's/^/helper: /' >> \"$ARGV_LOG\" ;; esac\n" +
			"exec " + realGit + " \"$@\"\n",
		"gh": "#!/bin/sh\nfor a in \"$@\"; do printf 'gh: %s\\n' \"$a\" >> \"$ARGV_LOG\"; done\nprintf 'gh-env: %s\\n' \"$GH_TOKEN\" >> \"$ARGV_LOG\"\n",
	})
	for _, f := range []string{"git", "gh"} {
		if err := os.Chmod(filepath.Join(fake, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.env = append(os.Environ(), "PATH="+fake+":"+os.Getenv("PATH"), "ARGV_LOG="+r.log, "GH_TOKEN="+releaseToken,
		"GITHUB_REF=refs/heads/main", "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "HOME="+base)
	r.git(t, base, "init", "-q", "--bare", "-b", "main", r.origin)
	r.git(t, base, "init", "-q", "-b", "main", r.dir)
	writeFiles(t, r.dir, map[string]string{
		"scripts/release": readFile(t, filepath.Join(root, "scripts/release")),
		"README.md":       "app\n",
	})
	r.git(t, r.dir, "add", "-A")
	r.git(t, r.dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "main")
	r.git(t, r.dir, "remote", "add", "origin", r.origin)
	r.git(t, r.dir, "push", "-q", "origin", "main")
	return r
}

func (r *releaseRepo) git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// release runs scripts/release with args and returns its output and exit
// code.
func (r *releaseRepo) release(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"scripts/release"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// built writes what scripts/release build leaves for VERSION.
func (r *releaseRepo) built(t *testing.T, version string) {
	writeFiles(t, r.dir, map[string]string{
		"release/version":           version + "\n",
		"release/checksums.txt":     strings.Repeat("a", 64) + "  xedgesim-linux-amd64\n",
		"dist/xedgesim-linux-amd64": "binary\n",
		"dist/checksums.txt":        strings.Repeat("a", 64) + "  xedgesim-linux-amd64\n",
		"dist/image-ref":            "ghcr.io/o/r@sha256:" + strings.Repeat("b", 64) + "\n",
		"dist/image.json":           "{}\n",
		".gitignore":                "dist/\n",
	})
}

// originTag is the commit a tag of origin points at, "" if it has none.
func (r *releaseRepo) originTag(t *testing.T, tag string) string {
	cmd := exec.Command("git", "rev-parse", "--verify", "--quiet", "refs/tags/"+tag+"^{commit}")
	cmd.Dir = r.origin
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out))
}

// TestReleaseScript runs the steps of .github/workflows/release.yml
// (scripts/release) against a local origin: check refuses a branch other
// than main and a version released before; tag pushes the version tag
// alone and publishes; move-major then moves v1, only forward. Through all
// of it the token is in no git or gh argument, while git's credential
// helper hands it over when a push asks.
func TestReleaseScript(t *testing.T) {
	t.Parallel()
	r := newReleaseRepo(t)

	// check: main only, a new version only, vMAJOR.MINOR.PATCH only.
	for _, tc := range []struct {
		ref, version, want string
	}{
		{"refs/heads/feature", "v1.2.3", "releases are made from main only, this run is on refs/heads/feature"},
		{"refs/tags/v1.2.3", "v1.2.3", "releases are made from main only"},
		{"refs/heads/main", "1.2.3", `version "1.2.3" is not vMAJOR.MINOR.PATCH`},
	} {
		cmd := exec.Command("bash", "scripts/release", "check", tc.version)
		cmd.Dir, cmd.Env = r.dir, append(r.env, "GITHUB_REF="+tc.ref)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("check %s on %s: %v, want it refused with %q\n%s", tc.version, tc.ref, err, tc.want, out)
		}
	}
	if out, code := r.release(t, "check", "v1.2.3"); code != 0 {
		t.Fatalf("check v1.2.3 on main: exit %d\n%s", code, out)
	}

	// tag: the version tag alone, then the release.
	r.built(t, "v1.2.3")
	if out, code := r.release(t, "tag", "v1.2.3"); code != 0 {
		t.Fatalf("tag: exit %d\n%s", code, out)
	}
	v123 := r.originTag(t, "v1.2.3")
	if v123 == "" {
		t.Fatal("origin has no tag v1.2.3")
	}
	if got := r.originTag(t, "v1"); got != "" {
		t.Errorf("origin's v1 = %s after tag; it moves only in move-major, after the release's checks", got)
	}
	if main := r.git(t, r.origin, "rev-parse", "main"); main == v123 {
		t.Errorf("main was moved to the release commit")
	}
	if files := r.git(t, r.dir, "show", "--name-only", "--format=", v123); files != "release/checksums.txt\nrelease/version" {
		t.Errorf("the release commit changes %q, want release/ alone", files)
	}
	if out, code := r.release(t, "check", "v1.2.3"); code == 0 || !strings.Contains(out, "tag v1.2.3 exists already") {
		t.Errorf("check of a released version: exit %d, want it refused\n%s", code, out)
	}

	// move-major: v1 to v1.2.3.
	if out, code := r.release(t, "move-major", "v1.2.3"); code != 0 {
		t.Fatalf("move-major: exit %d\n%s", code, out)
	}
	if got := r.originTag(t, "v1"); got != v123 {
		t.Errorf("origin's v1 = %q, want %s (v1.2.3)", got, v123)
	}

	// Only forward: a v1.3.0 exists, so releasing v1.2.4 leaves v1 alone.
	r.git(t, r.dir, "tag", "v1.3.0", v123)
	r.git(t, r.dir, "push", "-q", "origin", "refs/tags/v1.3.0")
	r.git(t, r.dir, "tag", "v1.2.4", v123+"~1")
	r.git(t, r.dir, "push", "-q", "origin", "refs/tags/v1.2.4")
	if out, code := r.release(t, "move-major", "v1.2.4"); code == 0 || !strings.Contains(out, "v1.3.0 is newer than v1.2.4; v1 stays where it is") {
		t.Errorf("move-major v1.2.4 after v1.3.0: exit %d, want it refused\n%s", code, out)
	}
	if got := r.originTag(t, "v1"); got != v123 {
		t.Errorf("origin's v1 = %q after a refused move, want %s", got, v123)
	}

	log := readFile(t, r.log)
	var helperLines, pushes int
	for line := range strings.Lines(log) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "helper: password="):
			helperLines++
			if line != "helper: password="+releaseToken {
				t.Errorf("the credential helper gave git %q, want the token", line)
			}
		case strings.HasPrefix(line, "gh-env: "):
			if line != "gh-env: "+releaseToken {
				t.Errorf("gh ran without the token in its environment: %q", line)
			}
		case line == "git: push":
			pushes++
		case strings.Contains(line, releaseToken):
			t.Errorf("the token is in a command's arguments: %q", line)
		}
	}
	// The pushes of tag and move-major (the test's own git runs without
	// the wrapper).
	if pushes != 2 || helperLines != pushes {
		t.Errorf("%d pushes, %d of them with the token from the helper; want the script's pushes to have it\n%s", pushes, helperLines, log)
	}
	if !strings.Contains(log, "gh: release\ngh: create\ngh: v1.2.3\n") || !strings.Contains(log, "gh: --verify-tag\n") {
		t.Errorf("gh release create v1.2.3 --verify-tag was not run:\n%s", log)
	}
}

// TestReleaseScriptPin moves the example workflows' pins of this
// repository to a release: every reference gets the commit and the version
// comment, and the workflows still pass internal/actionmeta.
func TestReleaseScriptPin(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	dir := t.TempDir()
	files := map[string]string{"scripts/release": readFile(t, filepath.Join(root, "scripts/release"))}
	names, err := filepath.Glob(filepath.Join(root, "workflows", "*.yml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no example workflows: %v", err)
	}
	for _, n := range names {
		files["workflows/"+filepath.Base(n)] = readFile(t, n)
	}
	writeFiles(t, dir, files)
	commit := strings.Repeat("c", 40)
	cmd := exec.Command("bash", "scripts/release", "pin", "v1.4.0", commit)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pin: %v\n%s", err, out)
	}
	refs := 0
	for _, n := range names {
		path := filepath.Join(dir, "workflows", filepath.Base(n))
		w, err := actionmeta.LoadWorkflow(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range actionmeta.CheckWorkflow(w) {
			t.Error(p)
		}
		for _, j := range w.Jobs {
			for _, s := range j.Steps {
				repo, ref, _ := strings.Cut(s.Uses, "@")
				if !strings.HasPrefix(repo, actionmeta.Repository) {
					continue
				}
				refs++
				if ref != commit || s.UsesComment != "v1.4.0" {
					t.Errorf("%s: uses: %s # %s, want @%s # v1.4.0", filepath.Base(n), s.Uses, s.UsesComment, commit)
				}
			}
		}
	}
	if refs < 5 {
		t.Errorf("%d references to %s moved, want every one of the examples'", refs, actionmeta.Repository)
	}
}
