package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// localConn runs a local host's steps on this machine, with the shell and
// the engine (DOCKER_HOST) the deploy itself runs with: a self-hosted
// runner on the edge device deploys to itself without SSH.
type localConn struct{}

var _ hostConn = localConn{}

func (l localConn) Run(ctx context.Context, cmd string, stdin io.Reader) (string, error) {
	return l.run(ctx, cmd, cmd, stdin)
}

// run is Run, naming the command shown in errors.
func (localConn) run(ctx context.Context, cmd, shown string, stdin io.Reader) (string, error) {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd) // #nosec G204 -- the local host runs the same commands as an SSH host's shell; every value in them is quoted by transport.Quote
	var stdout, stderr bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = stdin, &stdout, &stderr
	// The shell and its children form one group, so a cancel stops them all.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGTERM) }
	err := c.Run()
	if ctx.Err() != nil {
		return stdout.String(), fmt.Errorf("running %s locally: %w", strconv.Quote(firstLine(shown)), ctx.Err())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stdout.String(), &transport.CommandError{Host: "local", Cmd: shown, Status: ee.ExitCode(), Stderr: stderr.String()}
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("running %s locally: %w", strconv.Quote(firstLine(shown)), err)
	}
	return stdout.String(), nil
}

func (l localConn) RunWithPayload(ctx context.Context, tag string, p transport.Payload, script string) (string, int64, error) {
	cr := &transport.CountingReader{R: io.LimitReader(p.R, p.Size), Progress: p.Progress}
	out, err := l.run(ctx, transport.ReceiveScript(tag, p.Size, p.SHA256, script), fmt.Sprintf("receive %d bytes; %s", p.Size, script), cr)
	return out, cr.N, err
}

func (localConn) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// Alive: this machine is always there.
func (localConn) Alive(context.Context) error { return nil }

func (localConn) Close() error { return nil }

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
