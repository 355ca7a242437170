package transport

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedShellKeepsCommandsApart: the commands of one connection share its
// shell, yet each starts as in a session of its own: in the home
// directory, without the last one's variables or options, with empty
// stdin; exit, a syntax error or a cancelled command do not stop the next
// one; output without a final newline and stderr come back whole;
// commands at the same time all run.
func TestBedShellKeepsCommandsApart(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	edge := env.Edges[0]
	ctx := context.Background()
	c, err := Dial(ctx, target(edge), WithKeyFile(edge.KeyFile, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := func(cmd string) (string, error) {
		t.Helper()
		return c.Run(ctx, cmd, nil)
	}
	home, err := run(`printf %s "$HOME"`)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		cmd, want string
		status    int // of a *CommandError; 0 for success
	}{
		{cmd: "cd /tmp && x=1 && set -e && pwd", want: "/tmp\n"},
		{cmd: `pwd; echo "x=${x:-unset}"; false; echo "set -e is gone"`, want: home + "\nx=unset\nset -e is gone\n"},
		{cmd: "echo $XEDGESIM_EDGE", want: edge.Name + "\n"},
		{cmd: "printf 'no newline'", want: "no newline"},
		{cmd: "cat; echo read-nothing", want: "read-nothing\n"},
		{cmd: "echo out; echo oops >&2; exit 7", want: "out\n", status: 7},
		{cmd: "if then fi (", status: 2},
		{cmd: "trap 'echo trapped' EXIT; echo body", want: "body\ntrapped\n"},
		{cmd: "echo 'xedgesim-end- is only text'", want: "xedgesim-end- is only text\n"},
	}
	for _, s := range steps {
		got, err := run(s.cmd)
		var ce *CommandError
		switch {
		case s.status == 0 && err != nil:
			t.Errorf("Run(%q) = %v", s.cmd, err)
		case s.status != 0 && (!errors.As(err, &ce) || ce.Status != s.status):
			t.Errorf("Run(%q) = %v, want a *CommandError with status %d", s.cmd, err, s.status)
		case s.status == 7 && ce.Stderr != "oops\n":
			t.Errorf("Run(%q) stderr = %q, want oops", s.cmd, ce.Stderr)
		}
		if s.status != 2 {
			if diff := cmp.Diff(s.want, got); diff != "" {
				t.Errorf("Run(%q) (-want +got):\n%s", s.cmd, diff)
			}
		}
	}

	// A command cancelled half-way closes the shell; the next one gets a
	// new shell.
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = c.Run(cctx, "sleep 30", nil)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run(sleep 30) with a 300 ms deadline = %v, want the deadline", err)
	}
	if got, err := run("echo again"); err != nil || got != "again\n" {
		t.Errorf("Run(echo again) after a cancelled command = %q, %v", got, err)
	}

	// At the same time: one in the shell, the others in sessions.
	var wg sync.WaitGroup
	outs := make([]string, 4)
	errs := make([]error, 4)
	for i := range outs {
		wg.Go(func() { outs[i], errs[i] = c.Run(ctx, "sleep 0.2; echo "+strings.Repeat("x", i+1), nil) })
	}
	wg.Wait()
	for i := range outs {
		if want := strings.Repeat("x", i+1) + "\n"; errs[i] != nil || outs[i] != want {
			t.Errorf("concurrent Run %d = %q, %v; want %q", i, outs[i], errs[i], want)
		}
	}
}
