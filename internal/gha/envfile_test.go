package gha

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}

// tricky values that must come back byte for byte.
var roundTripRecords = []record{
	{"digest", "sha256:0123abcd"},
	{"empty", ""},
	{"report", "line 1\nline 2\n\nline 4"},
	{"trailing-newline", "ends with a newline\n"},
	{"only-newline", "\n"},
	{"crlf", "windows\r\nline\r\n"},
	{"looks-like-records", "x=1\ny<<EOF\nEOF\nz=2"},
	{"old-fixed-delimiter", "a\n_GitHubActionsFileCommandDelimeter_\nb=1"},
	{"equals-and-heredoc", "a=b<<c"},
	{"unicode", "Grüße, 世界 ✓"},
	{"leading-space", "  kept  "},
}

func TestSetOutputRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	r, stdout, stderr := newTestRunner(t, inActions("GITHUB_OUTPUT", path))
	for _, rec := range roundTripRecords {
		if err := r.SetOutput(rec.Name, rec.Value); err != nil {
			t.Fatalf("SetOutput(%q, %q) = %v", rec.Name, rec.Value, err)
		}
	}
	text := readFile(t, path)
	got, err := parseEnvFile(text)
	if err != nil {
		t.Fatalf("parsing GITHUB_OUTPUT: %v\n%s", err, text)
	}
	if diff := cmpDiff(roundTripRecords, got); diff != "" {
		t.Errorf("GITHUB_OUTPUT read back mismatch (-want +got):\n%s", diff)
	}
	if stdout.Len()+stderr.Len() != 0 {
		t.Errorf("SetOutput with GITHUB_OUTPUT set printed %q %q, want nothing", stdout, stderr)
	}

	// Every record uses its own random delimiter.
	headers := regexp.MustCompile(`(?m)^[a-z-]+<<(ghadelimiter_[0-9a-f]{32})$`).FindAllStringSubmatch(text, -1)
	if len(headers) != len(roundTripRecords) {
		t.Fatalf("found %d heredoc headers, want %d:\n%s", len(headers), len(roundTripRecords), text)
	}
	seen := map[string]bool{}
	for _, h := range headers {
		if seen[h[1]] {
			t.Errorf("delimiter %s used twice", h[1])
		}
		seen[h[1]] = true
	}
}

func TestSetEnvRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "env")
	r, _, _ := newTestRunner(t, inActions("GITHUB_ENV", path))
	for _, rec := range roundTripRecords {
		if err := r.SetEnv(rec.Name, rec.Value); err != nil {
			t.Fatalf("SetEnv(%q, %q) = %v", rec.Name, rec.Value, err)
		}
	}
	got, err := parseEnvFile(readFile(t, path))
	if err != nil {
		t.Fatalf("parsing GITHUB_ENV: %v", err)
	}
	if diff := cmpDiff(roundTripRecords, got); diff != "" {
		t.Errorf("GITHUB_ENV read back mismatch (-want +got):\n%s", diff)
	}
}

func TestSetOutputAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	// The runner creates the file and other steps' tools may have written
	// to it; we append.
	if err := os.WriteFile(path, []byte("earlier=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _, _ := newTestRunner(t, inActions("GITHUB_OUTPUT", path))
	if err := r.SetOutput("later", "2"); err != nil {
		t.Fatalf("SetOutput() = %v", err)
	}
	got, err := parseEnvFile(readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmpDiff([]record{{"earlier", "1"}, {"later", "2"}}, got); diff != "" {
		t.Errorf("GITHUB_OUTPUT mismatch (-want +got):\n%s", diff)
	}
}

func TestDelimiterForgeryRejected(t *testing.T) {
	t.Parallel()
	const delim = "ghadelimiter_known"
	// A value that closes the heredoc early, smuggles in a record of its
	// own and reopens a heredoc for the real closing line, as a hostile
	// pull request title could.
	evil := "innocent\n" + delim + "\nINJECTED=1\nrest<<" + delim

	// The attack works when the delimiter is known (the bug of a fixed
	// delimiter); this also shows the parser sees a forgery.
	forged, err := parseEnvFile(heredoc("title", evil, delim))
	if err != nil {
		t.Fatalf("parseEnvFile(forged) = %v", err)
	}
	if diff := cmpDiff([]record{{"title", "innocent"}, {"INJECTED", "1"}, {"rest", ""}}, forged); diff != "" {
		t.Fatalf("forged record mismatch (-want +got):\n%s", diff)
	}

	cases := []struct {
		name, outName, value, want string
	}{
		{"value", "title", evil, "value contains the heredoc delimiter"},
		{"value, no newline", "title", "x" + delim + "y", "value contains the heredoc delimiter"},
		{"name", "a" + delim, "v", "name contains the heredoc delimiter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out, env := filepath.Join(dir, "output"), filepath.Join(dir, "env")
			r, stdout, _ := newTestRunner(t, inActions("GITHUB_OUTPUT", out, "GITHUB_ENV", env),
				withDelimiter(func() string { return delim }))

			err := r.SetOutput(tc.outName, tc.value)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "writing output") {
				t.Errorf("SetOutput(%q, %q) = %v, want error containing %q", tc.outName, tc.value, err, tc.want)
			}
			err = r.SetEnv(tc.outName, tc.value)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "writing environment variable") {
				t.Errorf("SetEnv(%q, %q) = %v, want error containing %q", tc.outName, tc.value, err, tc.want)
			}
			if got := readFile(t, out) + readFile(t, env) + stdout.String(); got != "" {
				t.Errorf("rejected records wrote %q, want nothing", got)
			}
		})
	}
}

func TestSetOutputBadNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, outName, want string
	}{
		{"empty", "", "name is empty"},
		{"newline", "a\nb", "line break"},
		{"carriage return", "a\rb", "line break"},
		{"equals", "a=b", `"="`},
		{"heredoc marker", "a<<b", `"<<"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "output")
			for _, env := range []map[string]string{inActions("GITHUB_OUTPUT", path), {}} {
				r, stdout, _ := newTestRunner(t, env)
				err := r.SetOutput(tc.outName, "v")
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("SetOutput(%q) with env %v = %v, want error containing %q", tc.outName, env, err, tc.want)
				}
				if got := readFile(t, path) + stdout.String(); got != "" {
					t.Errorf("SetOutput(%q) wrote %q, want nothing", tc.outName, got)
				}
			}
		})
	}
}

func TestSetOutputFallback(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{{}, inActions()} {
		r, stdout, stderr := newTestRunner(t, env)
		if err := r.SetOutput("digest", "sha256:abc"); err != nil {
			t.Fatalf("SetOutput() without GITHUB_OUTPUT = %v", err)
		}
		if err := r.SetOutput("report", "a\nb\n"); err != nil {
			t.Fatalf("SetOutput(multiline) without GITHUB_OUTPUT = %v", err)
		}
		text := stdout.String()
		if !strings.HasPrefix(text, "digest=sha256:abc\nreport<<ghadelimiter_") {
			t.Errorf("fallback output = %q, want name=value then a heredoc", text)
		}
		got, err := parseEnvFile(text)
		if err != nil {
			t.Fatalf("parsing fallback output: %v\n%s", err, text)
		}
		if diff := cmpDiff([]record{{"digest", "sha256:abc"}, {"report", "a\nb\n"}}, got); diff != "" {
			t.Errorf("fallback output read back mismatch (-want +got):\n%s", diff)
		}
		if stderr.Len() != 0 {
			t.Errorf("fallback wrote %q to stderr, want nothing", stderr)
		}
	}
}

func TestSetEnvUnsetIsNoOp(t *testing.T) {
	t.Parallel()
	r, stdout, stderr := newTestRunner(t, inActions())
	if err := r.SetEnv("FOO", "bar"); err != nil {
		t.Errorf("SetEnv() without GITHUB_ENV = %v, want nil", err)
	}
	if stdout.Len()+stderr.Len() != 0 {
		t.Errorf("SetEnv() without GITHUB_ENV printed %q %q, want nothing", stdout, stderr)
	}
	if err := r.SetEnv("A=B", "bar"); err == nil {
		t.Error("SetEnv(\"A=B\") without GITHUB_ENV = nil, want the name rejected anyway")
	}
}

func TestSetOutputUnwritableFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "output")
	r, _, _ := newTestRunner(t, inActions("GITHUB_OUTPUT", path))
	err := r.SetOutput("digest", "sha256:abc")
	if err == nil || !strings.Contains(err.Error(), `writing output "digest": opening GITHUB_OUTPUT`) {
		t.Errorf("SetOutput() to a missing directory = %v, want a wrapped open error", err)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("SetOutput() error %v does not wrap os.ErrNotExist", err)
	}
}

func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	r, stdout, _ := newTestRunner(t, inActions("GITHUB_OUTPUT", path))
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := "out" + strings.Repeat("x", i)
			if err := r.SetOutput(name, "first\nsecond"); err != nil {
				t.Errorf("SetOutput(%q) = %v", name, err)
			}
			r.Error("boom\nline two", Annotation{File: "a.yaml", Line: i + 1})
		})
	}
	wg.Wait()

	got, err := parseEnvFile(readFile(t, path))
	if err != nil {
		t.Fatalf("parsing GITHUB_OUTPUT after concurrent writes: %v", err)
	}
	if len(got) != n {
		t.Fatalf("read back %d records, want %d", len(got), n)
	}
	for _, rec := range got {
		if rec.Value != "first\nsecond" {
			t.Errorf("record %q = %q, want %q", rec.Name, rec.Value, "first\nsecond")
		}
	}
	line := regexp.MustCompile(`^::error file=a\.yaml,line=\d+::boom%0Aline two$`)
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d command lines, want %d", len(lines), n)
	}
	for _, l := range lines {
		if !line.MatchString(l) {
			t.Errorf("command line %q is not whole", l)
		}
	}
}
