package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	scp "github.com/bramvdbogaerde/go-scp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Target is one SSH host and how to trust it.
type Target struct {
	Name    string // for messages
	Address string
	Port    int // 22 when zero
	User    string
	// KnownHosts holds known_hosts lines; Fingerprints SHA256:...
	// fingerprints. At least one must be given.
	KnownHosts   string
	Fingerprints []string
}

// Addr is host:port.
func (t Target) Addr() string {
	p := t.Port
	if p == 0 {
		p = 22
	}
	return net.JoinHostPort(t.Address, strconv.Itoa(p))
}

// HostKeyError is a host key that is not trusted: unknown, or changed.
type HostKeyError struct {
	Host        string
	Addr        string
	KeyType     string
	Fingerprint string // the fingerprint the host presented
	Changed     bool   // the host is known with other keys
}

func (e *HostKeyError) Error() string {
	what := "unknown"
	if e.Changed {
		what = "changed"
	}
	return fmt.Sprintf("checking host key of %s (%s): %s %s key %s; if the host was really re-keyed, put its new key in known_hosts (ssh-keyscan) or its fingerprint in the manifest",
		e.Host, e.Addr, what, e.KeyType, e.Fingerprint)
}

// ExitCode is 3: trust is configuration.
func (e *HostKeyError) ExitCode() int { return 3 }

// CommandError is a remote command that exited non-zero.
type CommandError struct {
	Host   string
	Cmd    string
	Status int
	Stderr string
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("running %s on %s: exit status %d", shortCmd(e.Cmd), e.Host, e.Status)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

func shortCmd(c string) string {
	if len(c) > 80 {
		return strconv.Quote(c[:77] + "...")
	}
	return strconv.Quote(c)
}

// Option configures Dial.
type Option func(*options) error

type options struct {
	auth    []ssh.AuthMethod
	timeout time.Duration
	jump    *Target
}

// WithSigner logs in with a key.
func WithSigner(s ssh.Signer) Option {
	return func(o *options) error {
		o.auth = append(o.auth, ssh.PublicKeys(s))
		return nil
	}
}

// WithKeyFile logs in with the private key in file, decrypted with
// passphrase when it is not empty.
func WithKeyFile(file, passphrase string) Option {
	return func(o *options) error {
		pem, err := os.ReadFile(file) // #nosec G304 -- the ssh key file the user configured
		if err != nil {
			return fmt.Errorf("reading ssh key: %w", err)
		}
		var s ssh.Signer
		if passphrase != "" {
			s, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(passphrase))
		} else {
			s, err = ssh.ParsePrivateKey(pem)
		}
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return &ConfigError{fmt.Errorf("parsing ssh key %s: it is encrypted; give its passphrase", file)}
		}
		if err != nil {
			return &ConfigError{fmt.Errorf("parsing ssh key %s: %w", file, err)}
		}
		o.auth = append(o.auth, ssh.PublicKeys(s))
		return nil
	}
}

// WithAgent logs in with the keys of the ssh-agent at SSH_AUTH_SOCK.
func WithAgent() Option {
	return func(o *options) error {
		sock := os.Getenv("SSH_AUTH_SOCK")
		if sock == "" {
			return &ConfigError{errors.New("connecting to ssh-agent: SSH_AUTH_SOCK is not set; give a key")}
		}
		o.auth = append(o.auth, ssh.PublicKeysCallback(func() ([]ssh.Signer, error) {
			c, err := net.Dial("unix", sock) // #nosec G704 -- the local SSH agent's socket, from SSH_AUTH_SOCK, as ssh does
			if err != nil {
				return nil, fmt.Errorf("connecting to ssh-agent: %w", err)
			}
			return agent.NewClient(c).Signers()
		}))
		return nil
	}
}

// WithTimeout bounds the TCP connection and the handshake.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		o.timeout = d
		return nil
	}
}

// WithJump reaches the target through one jump host, trusted the same way.
func WithJump(j Target) Option {
	return func(o *options) error {
		o.jump = &j
		return nil
	}
}

// ConfigError is a mistake in the SSH settings (exit code 3).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }
func (e *ConfigError) ExitCode() int { return 3 }

// Client is a connection to one target.
type Client struct {
	name string
	ssh  *ssh.Client
	jump *ssh.Client
}

// Dial connects to the target, checking its host key.
func Dial(ctx context.Context, t Target, opts ...Option) (*Client, error) {
	o := options{timeout: 30 * time.Second}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if len(o.auth) == 0 {
		return nil, &ConfigError{errors.New("connecting over ssh: no key and no agent")}
	}
	c := &Client{name: t.Name}
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: o.timeout}
		return d.DialContext(ctx, "tcp", addr)
	}
	if o.jump != nil {
		cfg, err := clientConfig(*o.jump, o)
		if err != nil {
			return nil, err
		}
		c.jump, err = dialSSH(ctx, dial, *o.jump, cfg, o.timeout)
		if err != nil {
			return nil, err
		}
		dial = func(ctx context.Context, addr string) (net.Conn, error) {
			conn, err := c.jump.DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, fmt.Errorf("through %s: %w", o.jump.Name, err)
			}
			return conn, nil
		}
	}
	cfg, err := clientConfig(t, o)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	c.ssh, err = dialSSH(ctx, dial, t, cfg, o.timeout)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

func dialSSH(ctx context.Context, dial func(context.Context, string) (net.Conn, error), t Target, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	sc, err := handshake(ctx, dial, t, cfg, timeout)
	if err != nil && len(cfg.HostKeyAlgorithms) > 0 && strings.Contains(err.Error(), "no common algorithm for host key") {
		// The host has no key of the types it is known with: its keys
		// changed. Shake hands again, offering any type, so the error
		// names the key it presents.
		open := *cfg
		open.HostKeyAlgorithms = nil
		sc, err = handshake(ctx, dial, t, &open, timeout)
	}
	return sc, err
}

func handshake(ctx context.Context, dial func(context.Context, string) (net.Conn, error), t Target, cfg *ssh.ClientConfig, timeout time.Duration) (*ssh.Client, error) {
	conn, err := dial(ctx, t.Addr())
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", t.Name, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl) // a channel through the jump host has no deadlines and says so
	} else {
		_ = conn.SetDeadline(time.Now().Add(timeout))
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, t.Addr(), cfg)
	if err != nil {
		_ = conn.Close()
		var hk *HostKeyError
		if errors.As(err, &hk) {
			return nil, hk
		}
		return nil, fmt.Errorf("logging in to %s as %s: %w", t.Name, t.User, err)
	}
	_ = conn.SetDeadline(time.Time{}) // as above: a jump host channel had none to clear
	return ssh.NewClient(sc, chans, reqs), nil
}

// clientConfig builds the host-key check for t. Only the key types t is
// known with are offered, so a host with several keys presents the one the
// user pinned.
func clientConfig(t Target, o options) (*ssh.ClientConfig, error) {
	cb, algos, err := HostKeyCallback(t)
	if err != nil {
		return nil, err
	}
	return &ssh.ClientConfig{
		User:              t.User,
		Auth:              o.auth,
		HostKeyCallback:   cb,
		HostKeyAlgorithms: algos,
		Timeout:           o.timeout,
	}, nil
}

// HostKeyCallback checks t's host key against its known_hosts lines and
// fingerprints. It returns the host key algorithms to offer (nil for any).
func HostKeyCallback(t Target) (ssh.HostKeyCallback, []string, error) {
	if t.KnownHosts == "" && len(t.Fingerprints) == 0 {
		return nil, nil, &ConfigError{fmt.Errorf("checking host key of %s: no known_hosts and no fingerprint; host keys are never skipped", t.Name)}
	}
	var known ssh.HostKeyCallback
	var algos []string
	if t.KnownHosts != "" {
		var err error
		known, algos, err = knownHostsCallback(t.KnownHosts)
		if err != nil {
			return nil, nil, &ConfigError{fmt.Errorf("reading known_hosts of %s: %w", t.Name, err)}
		}
	}
	if len(t.Fingerprints) > 0 {
		algos = nil // a fingerprint does not say which key type it is
	}
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		fp := ssh.FingerprintSHA256(key)
		for _, want := range t.Fingerprints {
			if fp == want {
				return nil
			}
		}
		changed := len(t.Fingerprints) > 0
		if known != nil {
			err := known(hostname, remote, key)
			if err == nil {
				return nil
			}
			var ke *knownhosts.KeyError
			if errors.As(err, &ke) && len(ke.Want) > 0 {
				changed = true
			}
			var re *knownhosts.RevokedError
			if errors.As(err, &re) {
				changed = true
			}
		}
		return &HostKeyError{Host: t.Name, Addr: t.Addr(), KeyType: key.Type(), Fingerprint: fp, Changed: changed}
	}, algos, nil
}

// knownHostsCallback builds knownhosts' callback from lines in memory: the
// library reads files only, so the lines go through a temporary file that
// is removed at once (they are public keys, not secrets).
func knownHostsCallback(lines string) (ssh.HostKeyCallback, []string, error) {
	var algos []string
	rest := []byte(lines)
	for len(rest) > 0 {
		_, _, key, _, r, err := ssh.ParseKnownHosts(rest)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		rest = r
		algos = append(algos, algorithmsFor(key.Type())...)
	}
	f, err := os.CreateTemp("", "xedgesim-known-hosts-*")
	if err != nil {
		return nil, nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(lines + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, err
	}
	cb, err := knownhosts.New(f.Name())
	return cb, algos, err
}

func algorithmsFor(keyType string) []string {
	switch keyType {
	case ssh.KeyAlgoRSA:
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	case ssh.CertAlgoRSAv01:
		return []string{ssh.CertAlgoRSASHA512v01, ssh.CertAlgoRSASHA256v01, ssh.CertAlgoRSAv01}
	}
	return []string{keyType}
}

// Close closes the connection (and the jump host's).
func (c *Client) Close() error {
	var err error
	if c.ssh != nil {
		err = c.ssh.Close()
	}
	if c.jump != nil {
		_ = c.jump.Close() // the target's Close error is the one returned
	}
	return err
}

// SSH is the underlying connection, e.g. to dial the host's ports.
func (c *Client) SSH() *ssh.Client { return c.ssh }

// Run runs cmd in the host's shell with stdin (nil for none) and returns
// its stdout. A non-zero exit is a *CommandError; cancelling ctx closes the
// session.
func (c *Client) Run(ctx context.Context, cmd string, stdin io.Reader) (string, error) {
	return c.run(ctx, cmd, cmd, stdin)
}

// run is Run, naming the command shown in errors.
func (c *Client) run(ctx context.Context, cmd, shown string, stdin io.Reader) (string, error) {
	s, err := c.ssh.NewSession()
	if err != nil {
		return "", fmt.Errorf("opening a session on %s: %w", c.name, err)
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdout, s.Stderr, s.Stdin = &stdout, &stderr, stdin
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Signal(ssh.SIGTERM) // the context ended: Run returns its error
			_ = s.Close()
		case <-done:
		}
	}()
	err = s.Run(cmd)
	if ctx.Err() != nil {
		return stdout.String(), fmt.Errorf("running %s on %s: %w", shortCmd(shown), c.name, ctx.Err())
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return stdout.String(), &CommandError{Host: c.name, Cmd: shown, Status: ee.ExitStatus(), Stderr: stderr.String()}
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("running %s on %s: %w", shortCmd(shown), c.name, err)
	}
	return stdout.String(), nil
}

// Upload copies size bytes of r to dst on the host with mode (e.g. "0640").
// The bytes go to a temporary name beside dst, their SHA-256 is checked on
// the host, and only then is the file renamed to dst. progress, when not
// nil, is called with the bytes sent so far.
func (c *Client) Upload(ctx context.Context, r io.Reader, size int64, dst, mode string, progress func(int64)) error {
	sum := sha256.New()
	tmp := dst + ".xedgesim-" + randHex(6) + ".part"
	sc, err := scp.NewClientBySSH(c.ssh)
	if err != nil {
		return fmt.Errorf("copying to %s: %w", c.name, err)
	}
	var pass scp.PassThru
	if progress != nil {
		pass = func(r io.Reader, _ int64) io.Reader { return &CountingReader{R: r, Progress: progress} }
	}
	if err := sc.CopyPassThru(ctx, io.TeeReader(r, sum), tmp, mode, size, pass); err != nil {
		_, _ = c.Run(context.WithoutCancel(ctx), "rm -f "+Quote(tmp), nil) // removing the partial copy is best effort; the copy error is returned
		return fmt.Errorf("copying to %s:%s: %w", c.name, dst, err)
	}
	want := hex.EncodeToString(sum.Sum(nil))
	script := fmt.Sprintf(`got=$(sha256sum %[1]s | cut -d' ' -f1) && if [ "$got" != %[2]s ]; then echo "checksum mismatch: got $got" >&2; rm -f %[1]s; exit 1; fi && mv -f %[1]s %[3]s`,
		Quote(tmp), want, Quote(dst))
	if _, err := c.Run(ctx, script, nil); err != nil {
		_, _ = c.Run(context.WithoutCancel(ctx), "rm -f "+Quote(tmp), nil) // the script removes it on a mismatch already
		return fmt.Errorf("checking the copy of %s on %s: %w", dst, c.name, err)
	}
	return nil
}

// CountingReader reads R, counts the bytes in N and, when Progress is set,
// reports N after each read: the progress of a copy.
type CountingReader struct {
	R        io.Reader
	N        int64
	Progress func(int64)
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	if c.Progress != nil {
		c.Progress(c.N)
	}
	return n, err
}

// Quote quotes s for a POSIX shell.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// DialContext opens a TCP connection from the host, e.g. to probe a port
// that is not reachable from here.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return c.ssh.DialContext(ctx, network, addr)
}

// Alive tells whether the connection still carries requests: one global
// request that sshd answers without starting anything (OpenSSH's
// ServerAliveInterval sends the same). Opening a session instead would
// start the login's shell and its profile on the host, a process per
// check. An answer of either kind counts; ctx bounds the wait, and a
// connection that does not answer within it is closed.
func (c *Client) Alive(ctx context.Context) error {
	done := make(chan error, 1)
	go func() {
		_, _, err := c.ssh.SendRequest("keepalive@openssh.com", true, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("the connection to %s: %w", c.name, err)
		}
		return nil
	case <-ctx.Done():
		// A connection that does not answer is given up, as ssh's
		// ServerAliveCountMax does; closing it also ends the request's wait.
		_ = c.ssh.Close()
		return fmt.Errorf("the connection to %s did not answer: %w", c.name, ctx.Err())
	}
}
