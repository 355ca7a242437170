package deploy

import (
	"context"
	"io"
	"net"

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// hostConn is where a host's commands run: over SSH ([transport.Client])
// or on this machine ([localConn], for hosts marked local). Every step of a
// deploy goes through it, so a local host gets exactly the same steps.
type hostConn interface {
	// Run runs cmd in the host's shell; a non-zero exit is a
	// *transport.CommandError.
	Run(ctx context.Context, cmd string, stdin io.Reader) (string, error)
	// RunWithPayload receives p into a temporary file, checks it, and runs
	// script with it as "$f" (see transport.ReceiveScript).
	RunWithPayload(ctx context.Context, tag string, p transport.Payload, script string) (string, int64, error)
	// Upload writes a file atomically.
	Upload(ctx context.Context, r io.Reader, size int64, dst, mode string, progress func(int64)) error
	// DialContext connects from the host, for probes.
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	// Alive tells whether the connection still answers, without running
	// a command: a command would start the login's shell and its profile
	// on the host, often the slowest part of a small step. The wrappers
	// that embed a hostConn forward it.
	Alive(ctx context.Context) error
	Close() error
}

var _ hostConn = (*transport.Client)(nil)
