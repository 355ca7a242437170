package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// deafNode is a stdio node that answers INIT and then never reads its
// input again.
func deafNode() {
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		os.Exit(1)
	}
	os.Stdout.WriteString("READY\n")
	time.Sleep(10 * time.Minute)
}

// startGuarded starts p and returns its pid. If the test fails, a cleanup
// ends the process's group: a Close or a wait that hangs leaves the child
// to the test.
func startGuarded(t *testing.T, p *Process) int {
	t.Helper()
	if err := p.Start(context.Background(), Env{Seed: 1, Dir: t.TempDir()}); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	pid := p.cmd.Process.Pid
	t.Cleanup(func() {
		if t.Failed() && !reaped(pid) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	})
	return pid
}

// TestCloseOfANodeThatStoppedReading: Close of a node whose input is full
// (it stopped reading) does not wait for its timeout_s, here an hour: it
// gives SHUTDOWN a short grace, then ends the process, which is reaped.
// Close waited the whole hour on SHUTDOWN's write before. The deadline
// below only turns that hang into a failure; it is no timing assertion.
func TestCloseOfANodeThatStoppedReading(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProcess(scenario.Node{ID: "n1", Type: "custom", Implementation: scenario.ImplProcess,
		Config: map[string]any{"command": []any{exe}, "protocol": "stdio", "timeout_s": 3600.0,
			"env": map[string]any{"XEDGESIM_NODE_HELPER": "deaf"}}})
	if err != nil {
		t.Fatal(err)
	}
	pid := startGuarded(t, p)
	// Fill the node's input as a run's events would: the write stops when
	// the pipe is full.
	if err := p.conn.SetWriteDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	n, err := p.conn.Write(bytes.Repeat([]byte("x"), 4<<20))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("writing 4 MiB to a node that does not read: %d bytes, %v; want a timeout", n, err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close() = %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Close still waits after two minutes: it waits for timeout_s (an hour)")
	}
	if !reaped(pid) {
		t.Errorf("process %d still exists after Close", pid)
	}
}

// TestCancelEndsAWaitForANode: a run that is cancelled (Ctrl-C, --timeout)
// while a node does not answer ADVANCE stops waiting with the
// cancellation, instead of after the node's timeout_s (an hour here), and
// the node is then closed and reaped; also when the cancel came before the
// call, whose own read deadline would otherwise replace the cancel's. The
// guard only turns a hang into a failure.
func TestCancelEndsAWaitForANode(t *testing.T) {
	t.Parallel()
	for _, before := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancelled before the call %v", before), func(t *testing.T) {
			t.Parallel()
			p := helperProcess(t, "mute", 3600)
			pid := startGuarded(t, p)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if err := p.Send(ctx, 1000, nil); err != nil {
				t.Fatal(err)
			}
			if before {
				cancel()
			}
			done := make(chan error, 1)
			go func() {
				_, err := p.Advance(ctx, 1000, nil, nil)
				done <- err
			}()
			if !before {
				time.Sleep(100 * time.Millisecond) // most likely waiting for DONE by now; either way it must end
				cancel()
			}
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `node "n1"`) {
					t.Errorf("Advance() = %v, want the cancellation naming the node", err)
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("Advance still waits two minutes after the cancel: it waits for timeout_s (an hour)")
			}
			if err := p.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
			if !reaped(pid) {
				t.Errorf("process %d still exists after Close", pid)
			}
		})
	}
}

// countingCtx counts the callbacks registered on it: context.AfterFunc
// uses a context's own AfterFunc method when it has one. Value hides the
// cancelCtx beneath, which AfterFunc would use instead.
type countingCtx struct {
	context.Context
	watches atomic.Int32
}

func (c *countingCtx) Value(any) any { return nil }

func (c *countingCtx) AfterFunc(f func()) (stop func() bool) {
	c.watches.Add(1)
	return context.AfterFunc(c.Context, f)
}

// TestOneWatchPerRun: a node watches the run's context once, in Start,
// however many quanta the run has; it registered a callback on every Send
// and Advance before, two per node and quantum. TestCancelEndsAWaitForANode checks
// that the one watch still ends a wait.
func TestOneWatchPerRun(t *testing.T) {
	t.Parallel()
	for _, quanta := range []int{1, 50} {
		t.Run(fmt.Sprintf("%d quanta", quanta), func(t *testing.T) {
			t.Parallel()
			p := helperProcess(t, "echo", 5)
			inner, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx := &countingCtx{Context: inner}
			if err := p.Start(ctx, Env{Seed: 1, Dir: t.TempDir()}); err != nil {
				t.Fatalf("Start() = %v", err)
			}
			defer p.Close()
			// Start's dial registers its own (a timeout per attempt).
			before := ctx.watches.Load()
			for q := 1; q <= quanta; q++ {
				target := int64(q) * 1000
				if err := p.Send(ctx, target, nil); err != nil {
					t.Fatal(err)
				}
				if _, err := p.Advance(ctx, target, nil, nil); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(int32(0), ctx.watches.Load()-before); diff != "" {
				t.Errorf("callbacks the quanta registered on the run's context (-want +got):\n%s", diff)
			}
		})
	}
}
