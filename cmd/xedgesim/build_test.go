package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/pkg/image/build"
)

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestBuildInvalidInput(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	notLayout := t.TempDir()
	if err := os.WriteFile(filepath.Join(notLayout, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"nothing to build", []string{"--output", "oci:" + out}, "build needs --go PKG or --dockerfile FILE"},
		{"not a main package", []string{"--go", "../../pkg/image/build", "--output", "oci:" + out}, "is package build, not a main package"},
		{"platform syntax", []string{"--go", "../../nodes/hello", "--platform", "linux-arm64", "--output", "oci:" + out}, `platform "linux-arm64": want os/arch`},
		{"missing Dockerfile", []string{"--dockerfile", "nope/Dockerfile", "--output", "oci:" + out}, "Dockerfile nope/Dockerfile: no such file"},
		{"base not reachable", []string{"--go", "../../nodes/hello", "--base", "127.0.0.1:1/base:v1", "--output", "oci:" + out}, "resolving base image 127.0.0.1:1/base:v1"},
		{"bad output", []string{"--go", "../../nodes/hello", "--output", out}, "want oci:<dir>, tar:<file>, docker: or registry"},
		{"push without tag", []string{"--go", "../../nodes/hello", "--push"}, "--push needs --tag REF"},
		{"go flag on a Dockerfile build", []string{"--dockerfile", "Dockerfile", "--port", "80", "--output", "oci:" + out}, "--port applies to --go builds"},
		{"output over a directory", []string{"--go", "../../nodes/hello", "--output", "oci:" + notLayout}, "is a directory but not an OCI layout"},
		{"unknown flag", []string{"--go", "../../nodes/hello", "--bogus"}, "unknown flag: --bogus"},
		{"provenance without a signer", []string{"--go", "../../nodes/hello", "--provenance", "--output", "oci:" + out}, "--provenance needs a signer: --key FILE or --keyless"},
		{"key without provenance", []string{"--go", "../../nodes/hello", "--key", "cosign.key", "--output", "oci:" + out}, "give --provenance too"},
		{"provenance key missing", []string{"--go", "../../nodes/hello", "--provenance", "--key", "nope/cosign.key", "--output", "oci:" + out}, "--key: open nope/cosign.key"},
		{"key and keyless", []string{"--go", "../../nodes/hello", "--provenance", "--key", "cosign.key", "--keyless", "--output", "oci:" + out}, "--key and --keyless exclude each other"},
		{"provenance on a Dockerfile build", []string{"--dockerfile", "Dockerfile", "--provenance", "--output", "oci:" + out}, "--provenance applies to --go builds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, append([]string{"build"}, tc.args...)...)
			if r.code != 3 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("build %q: exit %d, stderr %q; want exit 3 and %q", tc.args, r.code, r.stderr, tc.want)
			}
			var errLines []string
			for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if !strings.HasPrefix(l, "build: ") {
					errLines = append(errLines, l)
				}
			}
			if len(errLines) != 1 {
				t.Errorf("build %q: want a one-line error, got %q", tc.args, errLines)
			}
		})
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed build left %s behind", out)
	}
	if b, _ := os.ReadFile(filepath.Join(notLayout, "keep.txt")); string(b) != "mine" {
		t.Error("a failed build changed a directory it must not touch")
	}
}

// TestBuildReproducibleCLI builds twice with SOURCE_DATE_EPOCH and checks the
// printed digest reference, the files and the metadata.
func TestBuildReproducibleCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := []string{"SOURCE_DATE_EPOCH=1700000000", "GITHUB_ACTIONS=", "GITHUB_REPOSITORY="}
	var refs [2]string
	for i := range refs {
		lay := filepath.Join(dir, "hello")
		meta := filepath.Join(dir, "meta.json")
		r := cliEnv(t, env, "build", "--go", "../../nodes/hello", "--buildvcs=false", "--output", "oci:"+lay,
			"--image-refs", filepath.Join(dir, "refs"), "--metadata-file", meta)
		if r.code != 0 {
			t.Fatalf("build: exit %d: %s", r.code, r.stderr)
		}
		refs[i] = lastLine(r.stdout)
		if !strings.HasPrefix(refs[i], "oci:"+lay+"@sha256:") {
			t.Errorf("last line %q, want oci:%s@sha256:...", refs[i], lay)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "refs")); strings.TrimSpace(string(b)) != refs[i] {
			t.Errorf("--image-refs holds %q, want %q", b, refs[i])
		}
		b, err := os.ReadFile(meta)
		if err != nil {
			t.Fatal(err)
		}
		var m build.Metadata
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		var ps []string
		for _, p := range m.Platforms {
			ps = append(ps, p.Platform)
			if p.Size == 0 || p.ContentSize <= p.Size || !strings.HasPrefix(p.Digest, "sha256:") {
				t.Errorf("metadata of %s: %+v", p.Platform, p)
			}
		}
		if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, ps); diff != "" {
			t.Errorf("metadata platforms (-want +got):\n%s", diff)
		}
		if m.Created != "2023-11-14T22:13:20Z" || !strings.HasSuffix(refs[i], m.Digest) {
			t.Errorf("metadata created %s digest %s, ref %s", m.Created, m.Digest, refs[i])
		}
	}
	if refs[0] != refs[1] {
		t.Errorf("two builds printed %s and %s", refs[0], refs[1])
	}
}

// ghaEnv sets the environment of an in-process gha build (ghaBuild reads
// os.Getenv, as under the runner) and runs it.
func ghaRun(t *testing.T, env []string) (stdout, stderr string, err error) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	cmd := &cobra.Command{Use: "build", RunE: ghaBuild}
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetContext(context.Background())
	err = ghaBuild(cmd, nil)
	return out.String(), errb.String(), err
}

// TestGHABuild runs the action's entry point for a pull request and pushes
// to an in-memory registry: tags pr-N and sha-<head>, annotations from the
// context, outputs and step summary. It sets the process environment, so it
// does not run in parallel.
func TestGHABuild(t *testing.T) {
	s := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(s.Close)
	u, _ := url.Parse(s.URL)
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	head := "0123456789abcdef0123456789abcdef01234567"
	payload := `{"pull_request": {"number": 17, "head": {"sha": "` + head + `"}}, "repository": {"default_branch": "main", "license": {"spdx_id": "Apache-2.0"}}}`
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	outputs, summary := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	for _, f := range []string{outputs, summary} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo := u.Host + "/acme/hello"
	env := []string{
		"GITHUB_ACTIONS=true", "GITHUB_EVENT_NAME=pull_request", "GITHUB_REF=refs/pull/17/merge",
		"GITHUB_SHA=ffffffffffffffffffffffffffffffffffffffff", "GITHUB_REPOSITORY=acme/hello",
		"GITHUB_SERVER_URL=https://github.com", "GITHUB_EVENT_PATH=" + event,
		"GITHUB_OUTPUT=" + outputs, "GITHUB_STEP_SUMMARY=" + summary, "RUNNER_TEMP=" + dir,
		"SOURCE_DATE_EPOCH=1700000000",
		"INPUT_GO=../../nodes/hello", "INPUT_PLATFORMS=linux/amd64, linux/arm64", "INPUT_IMAGES=" + repo,
		"INPUT_PUSH=true", "INPUT_SBOM=true", "INPUT_TAGS=", "INPUT_OUTPUT=",
	}
	stdout, stderr, err := ghaRun(t, env)
	if err != nil {
		t.Fatalf("gha build = %v\n%s", err, stderr)
	}
	if !strings.HasPrefix(lastLine(stdout), repo+"@sha256:") {
		t.Errorf("last line %q, want %s@sha256:...", lastLine(stdout), repo)
	}
	b, _ := os.ReadFile(outputs)
	out := string(b)
	for _, want := range []string{"digest<<", "image-ref<<", "metadata<<", repo + "@sha256:"} {
		if !strings.Contains(out, want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, out)
		}
	}
	b, _ = os.ReadFile(summary)
	if !strings.Contains(string(b), "| linux/arm64 | `sha256:") || !strings.Contains(string(b), "`"+repo+":pr-17`") {
		t.Errorf("step summary:\n%s", b)
	}
	for _, tag := range []string{"pr-17", "sha-0123456"} {
		ref, _ := name.NewTag(repo + ":" + tag)
		idx, err := remote.Index(ref)
		if err != nil {
			t.Fatalf("pulling %s: %v", ref, err)
		}
		im, _ := idx.IndexManifest()
		want := map[string]string{
			"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
			"org.opencontainers.image.source":   "https://github.com/acme/hello",
			"org.opencontainers.image.url":      "https://github.com/acme/hello",
			"org.opencontainers.image.title":    "hello",
			"org.opencontainers.image.revision": head,
			"org.opencontainers.image.version":  "pr-17",
			"org.opencontainers.image.licenses": "Apache-2.0",
		}
		if diff := cmp.Diff(want, im.Annotations); diff != "" {
			t.Errorf("annotations of %s (-want +got):\n%s", ref, diff)
		}
	}
}

func TestGHABuildBadInput(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		want string
	}{
		{"push not a boolean", []string{"INPUT_GO=../../nodes/hello", "INPUT_PUSH=maybe"}, "push"},
		{"plain tags without images", []string{"INPUT_GO=../../nodes/hello", "INPUT_TAGS=edge", "INPUT_OUTPUT=oci:x"}, "input images names no repository"},
		{"neither go nor dockerfile", []string{"INPUT_OUTPUT=oci:x"}, "build needs --go PKG or --dockerfile FILE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := append([]string{"GITHUB_ACTIONS=true", "RUNNER_TEMP=" + t.TempDir(), "INPUT_GO=", "INPUT_PUSH=", "INPUT_TAGS=", "INPUT_OUTPUT=", "INPUT_IMAGES="}, tc.env...)
			_, _, err := ghaRun(t, env)
			if exitcode.Of(err) != exitcode.Invalid || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("gha build = %v (exit %d), want exit 3 and %q", err, exitcode.Of(err), tc.want)
			}
		})
	}
}

// TestBuildCLIInActionsWritesOutputs is `run: xedgesim build` in a
// workflow: the digest, the reference and the summary reach the runner as
// the build action's do.
func TestBuildCLIInActionsWritesOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outFile := filepath.Join(dir, "github_output")
	sumFile := filepath.Join(dir, "step_summary")
	lay := filepath.Join(dir, "hello")
	r := cliEnv(t, []string{"SOURCE_DATE_EPOCH=1700000000", "GITHUB_ACTIONS=true", "GITHUB_REPOSITORY=",
		"GITHUB_OUTPUT=" + outFile, "GITHUB_STEP_SUMMARY=" + sumFile},
		"build", "--go", "../../nodes/hello", "--buildvcs=false", "--platform", "linux/amd64", "--output", "oci:"+lay)
	if r.code != 0 {
		t.Fatalf("build: exit %d: %s", r.code, r.stderr)
	}
	ref := lastLine(r.stdout)
	outputs, _ := os.ReadFile(outFile)
	for _, want := range []string{"digest<<", "image-ref<<", "\n" + ref + "\n", "metadata<<"} {
		if !strings.Contains(string(outputs), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, outputs)
		}
	}
	if summary, _ := os.ReadFile(sumFile); !strings.Contains(string(summary), "linux/amd64") {
		t.Errorf("step summary does not name the platform:\n%s", summary)
	}
}
