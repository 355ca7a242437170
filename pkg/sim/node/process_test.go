package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// The test binary doubles as a protocol node: with XEDGESIM_NODE_HELPER set
// it serves one coordinator on XEDGESIM_PORT and behaves as told.
func TestMain(m *testing.M) {
	if mode := os.Getenv("XEDGESIM_NODE_HELPER"); mode != "" {
		helperNode(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helperNode(mode string) {
	if mode == "deaf" {
		deafNode()
		return
	}
	if mode == "exit" {
		fmt.Fprintln(os.Stderr, "boom: cannot open sensor device")
		os.Exit(3)
	}
	l, err := net.Listen("tcp", "localhost:"+os.Getenv("XEDGESIM_PORT"))
	if err != nil {
		os.Exit(1)
	}
	conn, err := l.Accept()
	if err != nil {
		os.Exit(1)
	}
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.SplitN(strings.TrimSpace(line), " ", 3)
		switch {
		case f[0] == "INIT" && mode == "silent":
			time.Sleep(time.Minute)
		case f[0] == "INIT" && mode == "garbage":
			w.WriteString("HELLO\n")
		case f[0] == "INIT":
			w.WriteString("READY\n")
		case f[0] == "ADVANCE" && mode == "mute":
			_, _ = r.ReadString('\n') // the events, never answered
		case f[0] == "ADVANCE":
			events, _ := r.ReadString('\n')
			if mode == "badjson" {
				w.WriteString("DONE\n[{\"time_us\": \n")
			} else {
				// Echo every event back to its sender, stamped with target,
				// compacted as a Go node writes JSON (the coordinator
				// writes Python's spacing).
				var compact bytes.Buffer
				_ = json.Compact(&compact, []byte(strings.TrimSpace(events)))
				out := strings.ReplaceAll(compact.String(), `"dst":"echo"`, `"dst":"back"`)
				w.WriteString("DONE\n" + out + "\n")
			}
		case f[0] == "SHUTDOWN":
			w.Flush()
			if mode == "linger" {
				time.Sleep(time.Minute)
			}
			return
		}
		w.Flush()
	}
}

func helperProcess(t *testing.T, mode string, timeout float64) *Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	n := scenario.Node{ID: "n1", Type: "custom", Implementation: scenario.ImplProcess,
		Config: map[string]any{"command": []any{exe}, "timeout_s": timeout, "connect_timeout_s": 5.0,
			"env": map[string]any{"XEDGESIM_NODE_HELPER": mode}}}
	p, err := NewProcess(n)
	if err != nil {
		t.Fatalf("NewProcess() = %v", err)
	}
	return p
}

// reaped reports whether the process has left the process table.
func reaped(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestProcessRoundTrip(t *testing.T) {
	t.Parallel()
	p := helperProcess(t, "echo", 5)
	ctx := context.Background()
	if err := p.Start(ctx, Env{Seed: 42, Dir: t.TempDir()}); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	in := []event.Event{{TimeUS: 1500, Type: "TRANSMIT", Src: "s1", Dst: "echo", SizeBytes: 64, Value: 21.5, Unit: "C", Seq: 3, HasReading: true}}
	if err := p.Send(ctx, 2000, in); err != nil {
		t.Fatal(err)
	}
	out, err := p.Advance(ctx, 2000, nil, nil)
	if err != nil {
		t.Fatalf("Advance() = %v", err)
	}
	if len(out) != 1 || out[0].Dst != "back" || out[0].TimeUS != 1500 || out[0].SizeBytes != 64 ||
		string(out[0].Raw) != `{"temperature":21.5,"unit":"C","sample_id":3}` {
		t.Errorf("Advance() = %+v (payload %s)", out, out[0].Raw)
	}
	pid := p.cmd.Process.Pid
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !reaped(pid) {
		t.Errorf("process %d still exists after Close", pid)
	}
}

func TestProcessMisbehaviourNamesTheNode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode    string
		advance bool
		want    []string
	}{
		{"exit", false, []string{`node "n1"`, "exited before accepting connections", "boom: cannot open sensor device"}},
		{"silent", false, []string{`node "n1"`, "no READY within 300ms"}},
		{"garbage", false, []string{`node "n1"`, `expected READY, got "HELLO"`}},
		{"badjson", true, []string{`node "n1"`, "decoding events after DONE"}},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			p := helperProcess(t, tc.mode, 0.3)
			ctx := context.Background()
			err := p.Start(ctx, Env{Seed: 1, Dir: t.TempDir()})
			if tc.advance {
				if err != nil {
					t.Fatalf("Start() = %v", err)
				}
				if err = p.Send(ctx, 1000, nil); err == nil {
					_, err = p.Advance(ctx, 1000, nil, nil)
				}
			}
			pid := p.cmd.Process.Pid
			if cerr := p.Close(); cerr != nil {
				t.Errorf("Close() = %v", cerr)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !reaped(pid) {
				t.Errorf("process %d still exists after Close", pid)
			}
		})
	}
}

func TestProcessThatIgnoresShutdownIsKilled(t *testing.T) {
	t.Parallel()
	p := helperProcess(t, "linger", 5)
	if err := p.Start(context.Background(), Env{Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	pid := p.cmd.Process.Pid
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !reaped(pid) {
		t.Errorf("process %d still exists after Close", pid)
	}
	if d := time.Since(start); d > 9*time.Second {
		t.Errorf("Close took %s", d)
	}
}
