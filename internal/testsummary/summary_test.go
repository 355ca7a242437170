package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The inputs are real `go test -json` runs of a small module: tests that
// pass, skip, fail, fail in a subtest, panic, do not build and time out.
func TestSummaryGolden(t *testing.T) {
	for _, name := range []string{"pass", "fail", "timeout"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			s := newSummary(keepLines)
			if err := s.read(bytes.NewReader(in), &out); err != nil {
				t.Fatal(err)
			}
			if err := s.write(&out); err != nil {
				t.Fatal(err)
			}
			if got, want := s.failed(), name != "pass"; got != want {
				t.Errorf("failed() = %v, want %v", got, want)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// A test that prints without end keeps a bounded tail, and lines that are
// not events (go's own errors) pass through and are shown.
func TestSummaryBounds(t *testing.T) {
	var in strings.Builder
	in.WriteString("go: downloading example.com/x v1.0.0\n")
	for i := 0; i < 100000; i++ {
		in.WriteString(`{"Action":"output","Package":"p","Test":"TestLoud","Output":"line\n"}` + "\n")
	}
	in.WriteString(`{"Action":"output","Package":"p","Test":"TestLoud","Output":"    loud_test.go:9: the last word\n"}` + "\n")
	in.WriteString(`{"Action":"fail","Package":"p","Test":"TestLoud"}` + "\n")
	in.WriteString(`{"Action":"fail","Package":"p"}` + "\n")
	s := newSummary(5)
	var out bytes.Buffer
	if err := s.read(strings.NewReader(in.String()), &out); err != nil {
		t.Fatal(err)
	}
	if n := len(s.failures[0].out.before); n > 10 {
		t.Errorf("kept %d lines of TestLoud, want at most 10", n)
	}
	out.Reset()
	if err := s.write(&out); err != nil {
		t.Fatal(err)
	}
	want := "\n=== what failed, with each failure's last lines\n\n--- TestLoud (p)\nline\nline\nline\nline\n    loud_test.go:9: the last word\n\n" +
		"--- lines that were not go test's events\ngo: downloading example.com/x v1.0.0\n\n=== failed\nFAIL TestLoud (p)\nFAIL p\n=== 0 tests passed, 0 skipped, 1 failed (1 packages)\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// A line too long to be an event is copied through whole, and the events
// around it are still read.
func TestSummaryLongLine(t *testing.T) {
	long := strings.Repeat("x", maxEvent+100_000)
	in := `{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:1: first\n"}` + "\n" +
		long + "\n" +
		`{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:2: after\n"}` + "\n" +
		`{"Action":"fail","Package":"p","Test":"TestA"}` + "\n"
	s := newSummary(keepLines)
	var out bytes.Buffer
	if err := s.read(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := "    a_test.go:1: first\n" + long + "\n    a_test.go:2: after\n"
	if out.String() != want {
		t.Errorf("copied %d bytes, want %d: the long line and the events around it", out.Len(), len(want))
	}
	if !s.failed() || s.failedTests() != 1 {
		t.Errorf("failed() = %v, %d failed tests; want TestA", s.failed(), s.failedTests())
	}
}
