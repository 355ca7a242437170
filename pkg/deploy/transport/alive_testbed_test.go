package transport

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedAlive: Alive answers on a live connection, fails on a closed one,
// and gives up within its context on one whose host stopped answering (a
// proxy between us and the edge's sshd that stops forwarding).
func TestBedAlive(t *testing.T) {
	env := testbed.Need(t, testbed.PartEdges)
	edge := env.Edges[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var mu sync.Mutex
	frozen := false
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", net.JoinHostPort(edge.Addr, strconv.Itoa(edge.SSHPort)))
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					mu.Lock()
					f := frozen
					mu.Unlock()
					if f {
						return // the host is gone: nothing more arrives either way
					}
					if n > 0 {
						if _, werr := dst.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						_ = dst.Close()
						return
					}
				}
			}
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	_, key, _ := strings.Cut(edge.KnownHosts, " ")
	tg := Target{Name: edge.Name, Address: host, Port: p, User: edge.User, KnownHosts: "[" + host + "]:" + port + " " + key}
	ctx := context.Background()
	c, err := Dial(ctx, tg, WithKeyFile(edge.KeyFile, ""), WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Alive(ctx); err != nil {
		t.Fatalf("Alive() on a live connection = %v", err)
	}

	mu.Lock()
	frozen = true
	mu.Unlock()
	actx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := c.Alive(actx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Alive() on a connection whose host stopped answering = %v, want the context's deadline", err)
	}
	// It gave the connection up: the next request fails at once.
	actx, cancel = context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Alive(actx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Alive() after one that timed out = %v, want the closed connection's error", err)
	}

	c2, err := Dial(ctx, target(edge), WithKeyFile(edge.KeyFile, ""), WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	_ = c2.Close()
	if err := c2.Alive(ctx); err == nil {
		t.Error("Alive() on a closed connection = nil, want an error")
	}
}
