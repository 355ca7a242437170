package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// TestNodeLineIsBounded: a node that answers with more than 64 MiB and no
// newline fails with a message that says so, instead of growing the
// runner's memory for as long as it sends.
func TestNodeLineIsBounded(t *testing.T) {
	t.Parallel()
	ours, theirs := net.Pipe()
	go func() {
		r := bufio.NewReader(theirs)
		if _, err := r.ReadString('\n'); err != nil { // INIT
			return
		}
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range 80 {
			if _, err := theirs.Write(chunk); err != nil {
				return // closed by Close below
			}
		}
		_ = theirs.Close()
	}()
	p := Attach("n1", ours)
	err := p.Start(context.Background(), Env{Seed: 1})
	_ = theirs.Close() // the node's end, still writing: Close's SHUTDOWN fails at once
	if cerr := p.Close(); cerr != nil {
		t.Errorf("Close() = %v", cerr)
	}
	if err == nil || !errors.Is(err, errLineTooLong) || !strings.Contains(err.Error(), `node "n1": waiting for READY: the node sent a line longer than 64 MiB`) {
		t.Errorf("Start() = %v, want the line limit", err)
	}
}

func TestBoundedLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		err      error
	}{
		{"READY\nDONE\n", "READY\n", nil},
		{strings.Repeat("a", 40) + "\n", strings.Repeat("a", 40) + "\n", nil},
		{strings.Repeat("a", 41) + "\n", "", errLineTooLong},
		{"partial", "partial", io.EOF},
	} {
		// A 16-byte buffer makes every long line span several reads.
		got, err := boundedLine(bufio.NewReaderSize(strings.NewReader(tc.in), 16), 41)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("boundedLine(%.20q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}
