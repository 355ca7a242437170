package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Receiver is a session started before its payload is known: the host's
// login shell (whose rc files can take longer than the payload) starts
// while the payload is being prepared. The host runs
// [HeaderReceiveScript]; [Receiver.Send] then writes the payload's size
// and SHA-256 on one line, and the payload.
type Receiver struct {
	c      *Client
	shown  string
	sess   *ssh.Session
	stdin  io.WriteCloser
	stdout bytes.Buffer
	stderr bytes.Buffer
	once   sync.Once
}

// HeaderReceiveScript is [ReceiveScript] for a payload whose size and
// SHA-256 come first on stdin, as one line "SIZE SHA256" (read by the
// shell's read, which takes no byte past the line).
func HeaderReceiveScript(tag, script string) string {
	return fmt.Sprintf(`set -u
IFS=' ' read -r n sum || exit 1
case $n in ''|*[!0-9]*) echo "bad payload size $n" >&2; exit 1;; esac
f=$(mktemp "${TMPDIR:-/var/tmp}/xedgesim-%[1]s.XXXXXXXX") || exit 1
trap 'rm -f "$f"' EXIT
trap 'exit 129' HUP INT TERM PIPE
head -c "$n" >"$f" || exit 1
got=$(wc -c <"$f")
if [ "$got" -ne "$n" ]; then echo "received $got of $n bytes" >&2; exit 1; fi
got=$(sha256sum "$f" | cut -d' ' -f1)
if [ "$got" != "$sum" ]; then echo "checksum mismatch: got sha256:$got, want sha256:$sum" >&2; exit 1; fi
%[2]s`, tag, script)
}

// StartReceive starts a session that will receive a payload into a
// temporary file and run script with it as "$f" (see [HeaderReceiveScript]);
// tag names the file. Send or Close it.
func (c *Client) StartReceive(tag, script string) (*Receiver, error) {
	if !safeTag().MatchString(tag) {
		return nil, fmt.Errorf("sending to %s: bad file tag %q", c.name, tag)
	}
	sess, err := c.ssh.NewSession()
	if err != nil {
		return nil, fmt.Errorf("opening a session on %s: %w", c.name, err)
	}
	r := &Receiver{c: c, shown: "receive a payload; " + script, sess: sess}
	sess.Stdout, sess.Stderr = &r.stdout, &r.stderr
	if r.stdin, err = sess.StdinPipe(); err == nil {
		err = sess.Start(HeaderReceiveScript(tag, script))
	}
	if err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("starting to receive on %s: %w", c.name, err)
	}
	return r, nil
}

// Send sends p and waits for the script; it returns the script's stdout
// and the payload bytes sent, also when it fails. A non-zero exit is a
// *CommandError.
func (r *Receiver) Send(ctx context.Context, p Payload) (string, int64, error) {
	defer r.Close()
	if !hexSum().MatchString(p.SHA256) {
		return "", 0, fmt.Errorf("sending to %s: bad sha256 %q", r.c.name, p.SHA256)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = r.sess.Signal(ssh.SIGTERM) // the context ended: Send returns its error
			_ = r.sess.Close()
		case <-done:
		}
	}()
	cr := &CountingReader{R: io.LimitReader(p.R, p.Size), Progress: p.Progress}
	_, err := fmt.Fprintf(r.stdin, "%d %s\n", p.Size, p.SHA256)
	if err == nil {
		_, err = io.Copy(r.stdin, cr)
	}
	// Closed also after a failed read here: the host then sees fewer
	// bytes than announced and removes what it got.
	err = errors.Join(err, r.stdin.Close())
	werr := r.sess.Wait()
	if ctx.Err() != nil {
		return r.stdout.String(), cr.N, fmt.Errorf("running %s on %s: %w", shortCmd(r.shown), r.c.name, ctx.Err())
	}
	var ee *ssh.ExitError
	if errors.As(werr, &ee) {
		return r.stdout.String(), cr.N, &CommandError{Host: r.c.name, Cmd: r.shown, Status: ee.ExitStatus(), Stderr: r.stderr.String()}
	}
	if err = errors.Join(err, werr); err != nil {
		return r.stdout.String(), cr.N, fmt.Errorf("running %s on %s: %w", shortCmd(r.shown), r.c.name, err)
	}
	return r.stdout.String(), cr.N, nil
}

// Close abandons the receiver (nil is none): the host's script ends at the end of its
// stdin without running (read finds no line) and leaves nothing behind.
func (r *Receiver) Close() {
	if r == nil {
		return
	}
	r.once.Do(func() {
		_ = r.stdin.Close()
		_ = r.sess.Close()
	})
}
