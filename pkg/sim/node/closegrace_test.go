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
	"syscall"
	"testing"
	"time"

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
