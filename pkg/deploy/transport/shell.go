package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
)

// A command in its own SSH session costs a channel, an exec request and,
// on the host, a login shell that reads its rc files first: tens of
// milliseconds on an idle host, seconds on a loaded one whose ~/.bashrc
// starts a version manager. A deploy runs some twenty commands per host,
// so the commands without stdin go instead to one /bin/sh per connection,
// started once, which runs them one after another, each in a subshell of
// its own (so exit, cd, set and traps stay inside it) with stdin from
// /dev/null, as a session without stdin gives it. What the host's
// login shell exports is inherited; the commands are POSIX sh.

// errShellGone is a persistent shell that ended or was closed mid-command.
var errShellGone = errors.New("the host's shell ended")

// remoteShell is one /bin/sh in a session of its own.
type remoteShell struct {
	mu   sync.Mutex // one command at a time
	sess *ssh.Session
	in   io.WriteCloser
	out  *bufio.Reader
	errs *bufio.Reader
	// gone is set once the shell cannot be used again (it ended, or a
	// command was cancelled inside it).
	gone atomic.Bool
}

// startShell starts /bin/sh in a new session of c and checks that it
// answers: a host that forces another command (ForceCommand, a restricted
// key) gets no shell, and its commands go to sessions of their own.
func startShell(ctx context.Context, c *ssh.Client, timeout time.Duration) (*remoteShell, error) {
	sess, err := c.NewSession()
	if err != nil {
		return nil, err
	}
	sh := &remoteShell{sess: sess}
	in, err1 := sess.StdinPipe()
	out, err2 := sess.StdoutPipe()
	errs, err3 := sess.StderrPipe()
	if err := errors.Join(err1, err2, err3); err != nil {
		_ = sess.Close()
		return nil, err
	}
	sh.in, sh.out, sh.errs = in, bufio.NewReader(out), bufio.NewReader(errs)
	if err := sess.Start("exec /bin/sh"); err != nil {
		_ = sess.Close()
		return nil, err
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if out, _, status, err := sh.run(hctx, "echo xedgesim-shell"); err != nil || status != 0 || out != "xedgesim-shell\n" {
		sh.close()
		if err == nil {
			err = fmt.Errorf("the shell answered %q (status %d)", out, status)
		}
		return nil, err
	}
	return sh, nil
}

// run runs cmd in a subshell and returns its stdout, stderr and exit
// status. An error means the shell is gone: it ended, or ctx ended and the
// shell was closed, since a command cannot be stopped in it alone.
func (sh *remoteShell) run(ctx context.Context, cmd string) (stdout, stderr string, status int, err error) {
	marker := "xedgesim-end-" + randHex(12)
	script := "( eval " + Quote(cmd) + "\n) </dev/null; printf '%s %d\\n' " + marker + " $?; printf '%s\\n' " + marker + " >&2\n"
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			sh.gone.Store(true)
			_ = sh.sess.Signal(ssh.SIGTERM) // the command's result no longer matters
			sh.close()
		case <-done:
		}
	}()
	if _, err := io.WriteString(sh.in, script); err != nil {
		sh.gone.Store(true)
		return "", "", 0, errors.Join(errShellGone, err)
	}
	type result struct {
		s   string
		err error
	}
	errc := make(chan result, 1)
	go func() {
		s, _, err := readUntil(sh.errs, marker)
		errc <- result{s, err}
	}()
	stdout, rest, oerr := readUntil(sh.out, marker+" ")
	e := <-errc
	stderr = e.s
	if oerr == nil {
		oerr = e.err
	}
	if oerr == nil {
		status, oerr = strconv.Atoi(rest)
	}
	if oerr != nil || ctx.Err() != nil {
		sh.gone.Store(true)
		sh.close()
		if ctx.Err() != nil {
			return stdout, stderr, 0, ctx.Err()
		}
		return stdout, stderr, 0, errors.Join(errShellGone, oerr)
	}
	return stdout, stderr, status, nil
}

// readUntil reads r up to the line that holds marker and returns what came
// before the marker (the command's output need not end in a newline) and
// what followed it on that line.
func readUntil(r *bufio.Reader, marker string) (before, after string, err error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if i := strings.Index(line, marker); i >= 0 && strings.HasSuffix(line, "\n") {
			b.WriteString(line[:i])
			return b.String(), strings.TrimSuffix(line[i+len(marker):], "\n"), nil
		}
		b.WriteString(line)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return b.String(), "", err
		}
	}
}

func (sh *remoteShell) close() {
	_ = sh.in.Close() // the shell ends at the end of its input
	_ = sh.sess.Close()
}

// shellRun runs cmd in the connection's shell, starting it first. ok is
// false when the shell is busy with another command or cannot be had:
// the caller then runs cmd in a session of its own.
func (c *Client) shellRun(ctx context.Context, cmd string) (stdout, stderr string, status int, ok bool, err error) {
	c.shellMu.Lock()
	sh := c.shell
	if sh == nil || sh.gone.Load() {
		if c.noShell {
			c.shellMu.Unlock()
			return "", "", 0, false, nil
		}
		var err error
		if sh, err = startShell(ctx, c.ssh, c.timeout); err != nil {
			// Not a shell that can be driven this way; a connection
			// that broke fails again in the caller's own session.
			c.noShell = ctx.Err() == nil
			c.shellMu.Unlock()
			return "", "", 0, false, nil
		}
		c.shell = sh
	}
	c.shellMu.Unlock()
	if !sh.mu.TryLock() {
		return "", "", 0, false, nil
	}
	defer sh.mu.Unlock()
	if sh.gone.Load() {
		return "", "", 0, false, nil
	}
	stdout, stderr, status, err = sh.run(ctx, cmd)
	return stdout, stderr, status, true, err
}

// closeShell ends the connection's shell, if any.
func (c *Client) closeShell() {
	c.shellMu.Lock()
	defer c.shellMu.Unlock()
	if c.shell != nil {
		c.shell.close()
		c.shell = nil
	}
}
