package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary be the measuring parent, as the bench
// binary is.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == measureArg {
		os.Exit(measureChild(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// A command the bench starts is measured as itself, however large the
// bench: before, /bin/true measured as large as the bench.
func TestMeasuredRSSIsTheChilds(t *testing.T) {
	big := make([]byte, 256<<20)
	for i := range big {
		big[i] = 1
	}
	s, err := runProcess(t.TempDir(), "/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxRSS <= 0 || s.MaxRSS > 64<<20 {
		t.Errorf("/bin/true measured %d bytes of RSS while the bench holds %d, want a few MiB", s.MaxRSS, len(big))
	}
	if s.Wall <= 0 {
		t.Errorf("wall time %v, want > 0", s.Wall)
	}
	big[0] = 2 // big is alive until the command has run
}

func TestMeasuredExitAndOutput(t *testing.T) {
	_, err := runProcess(t.TempDir(), "sh", "-c", "echo the reason >&2; exit 3")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("err = %v, want exit status 3", err)
	}
	if got := err.Error(); !strings.Contains(got, "the reason") {
		t.Errorf("err = %q, want the command's output in it", got)
	}
	if _, err := runProcess(t.TempDir(), "/nonexistent/command"); err == nil {
		t.Error("a command that does not exist ran")
	}
}

// TestMachineCPU: the machine's busy time is read, and grows while this
// process keeps a core busy.
func TestMachineCPU(t *testing.T) {
	before := machineCPU()
	if before < 0 {
		t.Fatal("machineCPU() = -1, want /proc/stat read")
	}
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
	}
	if after := machineCPU(); after-before < int64(50*time.Millisecond) {
		t.Errorf("the machine's CPU time grew by %s while a core was busy for 100ms", time.Duration(after-before))
	}
}
