package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// keepLines is how many of a test's last output lines a failure shows:
// enough for its messages and the framing around them.
const keepLines = 40

// event is one line of `go test -json` (cmd/test2json's TestEvent, with
// the build events of Go 1.24).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

// failure is a failed test (Test empty: the package itself) and what it
// printed.
type failure struct {
	pkg, test string
	out       *output
	note      string
}

// output keeps what a test printed within bounds: its last lines before a
// panic, the panic's message, and the first lines after it (the goroutine
// that panicked; a timeout's dump of every goroutine is cut there).
type output struct {
	before []string
	panic  []string
	after  []string
	state  int // 0 before a panic, 1 in its message, 2 after it
}

const (
	panicLines = 20
	afterLines = 15
)

func (o *output) add(text string, keep int) {
	switch {
	case o.state == 0 && strings.HasPrefix(text, "panic: "):
		o.state = 1
		o.panic = append(o.panic, text)
	case o.state == 1 && strings.TrimSpace(text) == "":
		o.state = 2
	case o.state == 1:
		if len(o.panic) < panicLines {
			o.panic = append(o.panic, text)
		}
	case o.state == 2:
		if len(o.after) < afterLines {
			o.after = append(o.after, text)
		}
	default:
		o.before = appendKept(o.before, text, keep)
	}
}

// lines is what a failure shows, without go test -v's framing.
func (o *output) lines(keep int) []string {
	if o == nil {
		return nil
	}
	out := tail(framed(o.before), keep)
	out = append(out, o.panic...)
	if len(o.after) > 0 {
		out = append(append(out, "\n"), o.after...)
	}
	return out
}

type summary struct {
	keep     int
	running  map[string]*output // package + "\x00" + test
	failures []failure
	passed   int
	skipped  int
	stray    []string // lines that were not JSON, e.g. go's own errors
}

func newSummary(keep int) *summary {
	return &summary{keep: keep, running: make(map[string]*output)}
}

// maxEvent is the longest line read as an event; a longer one (a test
// that prints megabytes without a newline) is copied through as it is.
const maxEvent = 4 << 20

// read copies the text of every event to w as it comes and keeps what a
// failure needs. It reads to the end whatever comes: go test must never
// block on a pipe nobody reads.
func (s *summary) read(r io.Reader, w io.Writer) error {
	br := bufio.NewReaderSize(r, 64*1024)
	out := bufio.NewWriter(w)
	var line []byte // a line longer than br's buffer, so far
	long := false   // copying the rest of a line too long to be an event
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			return err
		}
		if long {
			_, _ = out.Write(chunk) // a bufio.Writer keeps its first error for Flush
			if !isPrefix {
				_ = out.WriteByte('\n')
				long = false
			}
			continue
		}
		if isPrefix || line != nil {
			line = append(line, chunk...) // ReadLine reuses its buffer
			if len(line) > maxEvent {
				_, _ = out.Write(line)
				if long = isPrefix; !long {
					_ = out.WriteByte('\n')
				}
				s.stray = appendKept(s.stray, "(a line of over 4 MiB, not an event)\n", s.keep)
				line = nil
				continue
			}
			if isPrefix {
				continue
			}
			chunk, line = line, nil
		}
		s.line(chunk, out)
		// A test that hangs should show its last lines now, not when
		// the buffer fills.
		if err := out.Flush(); err != nil {
			return err
		}
	}
}

func (s *summary) line(line []byte, out io.Writer) {
	var e event
	if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
		s.stray = appendKept(s.stray, string(line)+"\n", s.keep)
		fmt.Fprintf(out, "%s\n", line)
		return
	}
	s.add(e, out)
}

func (s *summary) add(e event, out io.Writer) {
	if e.Action == "build-output" || e.Action == "build-fail" {
		// A package that does not build fails with a "fail" event of
		// its own; its compiler errors come first, under ImportPath.
		e.Package, e.Test = e.ImportPath, ""
		if i := strings.Index(e.Package, " ["); i > 0 {
			e.Package = e.Package[:i] // "pkg [pkg.test]"
		}
	}
	key := e.Package + "\x00" + e.Test
	switch e.Action {
	case "output", "build-output":
		_, _ = io.WriteString(out, e.Output)
		o := s.running[key]
		if o == nil {
			o = &output{}
			s.running[key] = o
		}
		o.add(e.Output, s.keep)
	case "pass", "skip":
		if e.Test != "" {
			if e.Action == "pass" {
				s.passed++
			} else {
				s.skipped++
			}
		}
		delete(s.running, key)
	case "fail":
		if e.Test == "" {
			s.stillRunning(e.Package)
		}
		s.failures = append(s.failures, failure{pkg: e.Package, test: e.Test, out: s.running[key]})
		delete(s.running, key)
	}
}

// stillRunning records the tests of pkg that never ended: its test binary
// died under them, by a timeout or a panic in another goroutine.
func (s *summary) stillRunning(pkg string) {
	var tests []string
	for key := range s.running {
		p, test, _ := strings.Cut(key, "\x00")
		if p == pkg && test != "" {
			tests = append(tests, test)
		}
	}
	slices.Sort(tests)
	for _, test := range tests {
		key := pkg + "\x00" + test
		s.failures = append(s.failures, failure{pkg: pkg, test: test, out: s.running[key], note: "still running when the package failed"})
		delete(s.running, key)
	}
}

// appendKept appends text's lines to lines and keeps the last keep. The
// copy when it trims keeps a long test's memory at keep lines.
func appendKept(lines []string, text string, keep int) []string {
	lines = append(lines, text)
	if len(lines) > 2*keep {
		lines = append(lines[:0:0], lines[len(lines)-keep:]...)
	}
	return lines
}

func (s *summary) failed() bool { return len(s.failures) > 0 }

// write prints the failures' lines, then one line per failure, last, so a
// log's tail names them.
func (s *summary) write(w io.Writer) error {
	b := bufio.NewWriter(w)
	if s.failed() {
		fmt.Fprintf(b, "\n=== what failed, with each failure's last lines\n")
		for _, f := range s.failures {
			lines := f.out.lines(s.keep)
			if f.test != "" && len(lines) <= 1 && s.hasFailedChild(f) {
				continue // a parent whose subtests say it all
			}
			if f.test == "" && !saysMore(lines) {
				continue // a package whose tests say it all
			}
			fmt.Fprintf(b, "\n--- %s\n", f.name())
			for _, l := range lines {
				_, _ = io.WriteString(b, l)
			}
		}
		if len(s.stray) > 0 {
			fmt.Fprintf(b, "\n--- lines that were not go test's events\n")
			for _, l := range s.stray {
				_, _ = io.WriteString(b, l)
			}
		}
		fmt.Fprintf(b, "\n=== failed\n")
		for _, f := range s.failures {
			fmt.Fprintf(b, "FAIL %s\n", f.name())
		}
	}
	fmt.Fprintf(b, "=== %d tests passed, %d skipped, %d failed (%d packages)\n", s.passed, s.skipped, s.failedTests(), s.failedPackages())
	return b.Flush()
}

func (f failure) name() string {
	n := f.pkg
	if f.test != "" {
		n = f.test + " (" + f.pkg + ")"
	}
	if f.note != "" {
		n += ": " + f.note
	}
	return n
}

// saysMore reports whether a package's own lines hold more than go test's
// FAIL lines.
func saysMore(lines []string) bool {
	for _, l := range lines {
		if l != "FAIL\n" && !strings.HasPrefix(l, "FAIL\t") && strings.TrimSpace(l) != "" {
			return true
		}
	}
	return false
}

func (s *summary) hasFailedChild(p failure) bool {
	for _, f := range s.failures {
		if f.pkg == p.pkg && strings.HasPrefix(f.test, p.test+"/") {
			return true
		}
	}
	return false
}

func (s *summary) failedTests() (n int) {
	for _, f := range s.failures {
		if f.test != "" {
			n++
		}
	}
	return n
}

func (s *summary) failedPackages() (n int) {
	return len(s.failures) - s.failedTests()
}

// framed drops the lines go test -v frames tests with, which say nothing
// about a failure.
func framed(lines []string) []string {
	var out []string
	for _, l := range lines {
		t := strings.TrimLeft(l, " ")
		if strings.HasPrefix(t, "=== RUN") || strings.HasPrefix(t, "=== PAUSE") || strings.HasPrefix(t, "=== CONT") ||
			strings.HasPrefix(t, "=== NAME") || strings.HasPrefix(t, "--- PASS") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		out = append(out, l)
	}
	return out
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
