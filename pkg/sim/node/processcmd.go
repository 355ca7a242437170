package node

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// open starts the process, if there is a command, and connects to it.
func (p *Process) open(ctx context.Context, env Env) error {
	if p.stdio {
		return p.startProcess(env)
	}
	if p.port == 0 && p.address == "" {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("node %q: picking a port: %w", p.id, err)
		}
		p.port = port
	}
	addr := p.address
	if addr == "" {
		addr = net.JoinHostPort("localhost", strconv.Itoa(p.port))
	}
	if p.command != nil {
		if err := p.startProcess(env); err != nil {
			return err
		}
	}
	return p.dial(ctx, addr)
}

func (p *Process) startProcess(env Env) error {
	dir := env.WorkDir
	if dir == "" {
		dir = env.Dir
	}
	if dir != "" {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- the node's work directory the scenario names
			return fmt.Errorf("node %q: creating its working directory: %w", p.id, err)
		}
	}
	args := p.argv(env.Dir, dir)
	// Not CommandContext: Close decides how the process ends, gracefully
	// first, and it must be reaped even when the context is gone.
	cmd := exec.Command(args[0], args[1:]...) // #nosec G204 -- the command the scenario's node config names: starting it is the point; argv, no shell
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XEDGESIM_NODE_ID="+p.id, "XEDGESIM_PORT="+strconv.Itoa(p.port))
	cmd.Env = append(cmd.Env, p.env...)
	cmd.Stdout, cmd.Stderr = p.output, p.output
	var childIn, childOut *os.File
	if p.stdio {
		// The protocol runs over the process's stdin and stdout; its
		// stderr is the output quoted in errors.
		conn, in, out, err := newPipeConn()
		if err != nil {
			return fmt.Errorf("node %q: %w", p.id, err)
		}
		childIn, childOut = in, out
		cmd.Stdin, cmd.Stdout = in, out
		p.conn, p.r, p.w = conn, bufio.NewReaderSize(conn, 64<<10), bufio.NewWriterSize(conn, 64<<10)
	}
	// Its own process group, so a shell's children are ended with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err := cmd.Start()
	if childIn != nil {
		// The child holds its ends now; ours would keep its stdin open.
		_ = childIn.Close()
		_ = childOut.Close()
	}
	if err != nil {
		if p.conn != nil {
			_ = p.conn.Close()
			p.conn = nil
		}
		return fmt.Errorf("node %q: starting %q: %w", p.id, args[0], err)
	}
	p.cmd = cmd
	p.exited = make(chan struct{})
	go func() {
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	return nil
}

// dial connects with retries until the connect timeout, failing early when
// the process exits first.
func (p *Process) dial(ctx context.Context, addr string) error {
	deadline := time.Now().Add(p.connect)
	var last error
	for {
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			p.conn = conn
			p.r = bufio.NewReaderSize(conn, 64<<10)
			p.w = bufio.NewWriterSize(conn, 64<<10)
			return nil
		}
		last = err
		if p.hasExited() {
			return p.errorf("exited before accepting connections on %s (%v)", addr, p.exitErr)
		}
		if time.Now().After(deadline) {
			return p.errorf("connecting to %s: %w", addr, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// shellWords are what a /bin/sh -c command may start with that is no
// program on PATH.
var shellWords = map[string]bool{
	"cd": true, "echo": true, "exec": true, "exit": true, "export": true, "set": true, "true": true,
	"false": true, ":": true, ".": true, "test": true, "[": true, "if": true, "for": true, "while": true,
	"case": true, "eval": true, "read": true, "printf": true, "trap": true, "umask": true, "wait": true,
	"ulimit": true, "unset": true, "until": true, "{": true, "(": true, "!": true, "env": true,
}

// CheckCommand reports, as a config mistake (exit 3), a command whose
// program does not exist: on PATH, or as a path relative to the scenario's
// directory or the working directory. The run checks it before starting
// any node, and so does a dry run. A node without a command passes.
func (p *Process) CheckCommand(scenarioDir string) error {
	if p.command == nil {
		return nil
	}
	prog := p.argv(scenarioDir, "")[0]
	if p.shell {
		fields := strings.Fields(p.command[0])
		if len(fields) == 0 {
			return nil
		}
		prog = resolveArg(fields[0], absDir(scenarioDir))
		if shellWords[prog] || strings.ContainsAny(prog, "=$`{}()'\"\\;|&<>*?") {
			return nil // the shell's business
		}
	}
	var err error
	if strings.Contains(prog, "/") {
		_, err = os.Stat(prog)
	} else {
		_, err = exec.LookPath(prog)
	}
	if err != nil {
		return &ConfigError{Pos: p.cmdPos, NodeID: p.id, Key: "command",
			Message: fmt.Sprintf("program %q not found (on PATH, or relative to the scenario's directory or the working directory)", prog)}
	}
	return nil
}

func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// argv is the command with its placeholders filled in ({port}, {id}, {out}
// for the run's directory, {dir} for the scenario's) and its relative paths
// made absolute: the node runs in the run's directory, but a path in the
// scenario means the scenario's directory or, when nothing is there, the
// working directory (as upstream resolves it).
func (p *Process) argv(scenarioDir, workDir string) []string {
	scenarioDir = absDir(scenarioDir)
	r := strings.NewReplacer("{port}", strconv.Itoa(p.port), "{id}", p.id, "{out}", workDir, "{dir}", scenarioDir)
	args := make([]string, len(p.command))
	for i, a := range p.command {
		if p.shell {
			words := strings.Split(a, " ")
			for j, w := range words {
				words[j] = resolveArg(w, scenarioDir)
			}
			a = strings.Join(words, " ")
		} else {
			a = resolveArg(a, scenarioDir)
		}
		args[i] = r.Replace(a)
	}
	if p.shell {
		args = []string{"/bin/sh", "-c", args[0]}
	}
	return args
}

// resolveArg makes a word that names an existing file by a relative path
// (it has a slash or a dot, like nodes/sensor.py) absolute. Other words,
// flags and placeholders stay as written.
func resolveArg(w, scenarioDir string) string {
	if w == "" || filepath.IsAbs(w) || strings.ContainsAny(w, "{}$'\"=") || strings.HasPrefix(w, "-") ||
		!strings.ContainsAny(w, "/.") || w == "." || w == ".." {
		return w
	}
	for _, full := range []string{filepath.Join(scenarioDir, w), w} {
		if _, err := os.Stat(full); err == nil {
			if abs, err := filepath.Abs(full); err == nil {
				return abs
			}
		}
	}
	return w
}

func (p *Process) hasExited() bool {
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// shutdownGrace bounds the write of SHUTDOWN. A node that no longer reads
// its input (a full pipe or socket) held Close for its whole timeout_s, up
// to years, and the run's cleanup and exit with it; one that cannot be
// told to shut down is signalled at once.
const shutdownGrace = 2 * time.Second

// Close implements Node: SHUTDOWN, then wait for the process to leave, then
// SIGTERM and SIGKILL its process group. The process is always reaped.
func (p *Process) Close() error {
	told := false
	// SHUTDOWN gets its grace also after a cancelled run.
	p.stopWatch()
	if p.conn != nil {
		told = p.sendWithin("SHUTDOWN\n", min(p.timeout, shutdownGrace)) == nil
		_ = p.conn.Close() // the process is ended and reaped below either way
	}
	if p.cmd == nil {
		return nil
	}
	pgid := p.cmd.Process.Pid
	leave := 5 * time.Second
	if !told {
		leave = 0
	}
	for _, step := range []struct {
		sig  syscall.Signal
		wait time.Duration
	}{{0, leave}, {syscall.SIGTERM, 2 * time.Second}, {syscall.SIGKILL, 10 * time.Second}} {
		if step.sig != 0 {
			_ = syscall.Kill(-pgid, step.sig)
		}
		select {
		case <-p.exited:
			// The group may still hold children of a shell.
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			return nil
		case <-time.After(step.wait):
		}
	}
	return fmt.Errorf("node %q: process %d did not exit after SIGKILL", p.id, pgid)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
