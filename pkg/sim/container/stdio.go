package container

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// startStdio runs docker.stdio_command in the container with its standard
// streams attached (docker exec -i) and speaks upstream's stdin/stdout
// protocol over them, in lockstep. Its stderr goes to the node's output,
// quoted in errors, beside the container's logs.
func (d *Node) startStdio(ctx context.Context, env node.Env) error {
	exID, err := d.cli.ExecCreate(ctx, d.cid, engine.ExecConfig{Cmd: d.spec.stdioCommand,
		AttachStdin: true, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return d.errorf("docker exec %s: %w", strings.Join(d.spec.stdioCommand, " "), err)
	}
	hij, err := d.cli.ExecAttach(ctx, exID)
	if err != nil {
		return d.errorf("docker exec %s: attaching: %w", strings.Join(d.spec.stdioCommand, " "), err)
	}
	// A pipe gives the protocol the deadlines of a connection: one end is
	// the node's, the other copies to and from the exec's streams.
	ours, theirs := net.Pipe()
	stderr := node.NewTail(16 << 10)
	go func() {
		// The exec's stdout and stderr come multiplexed.
		_, _ = engine.Demux(theirs, stderr, hij.Reader)
		_ = theirs.Close() // ends the node's reads; the stream is over
	}()
	go func() {
		_, _ = io.Copy(hij.Conn, theirs)
		_ = hij.Close()
	}()
	d.wire = node.Attach(d.id, ours, node.WithModel("docker"), node.WithLogs(func() string {
		out := strings.TrimSpace(stderr.String())
		if logs := strings.TrimSpace(d.tailLogs(20)); logs != "" {
			out = strings.TrimSpace(out + "\n" + logs)
		}
		return out
	}))
	if err := d.wire.Start(ctx, env); err != nil {
		return fmt.Errorf("%w (protocol stdio through docker exec -i %s)", err, strings.Join(d.spec.stdioCommand, " "))
	}
	return nil
}
