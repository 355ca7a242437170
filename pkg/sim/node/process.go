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
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xedgesim/simulate/internal/pyfmt"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// Process is a node that runs outside the kernel and speaks upstream's TCP
// line protocol (INIT/READY, ADVANCE/DONE with event arrays, SHUTDOWN). With
// a command the kernel starts it and always reaps it; with only an address
// it connects to a node someone else started, as upstream's coordinator
// does.
type Process struct {
	id      string
	command []string // argv; nil when only connecting
	shell   bool     // command is one string for /bin/sh -c
	address string
	port    int
	config  map[string]any
	env     []string
	timeout time.Duration
	connect time.Duration
	netMeta bool
	lossOf  func(src, dst string) (float64, bool)
	// cmdPos is where config.command is written, for CheckCommand.
	cmdPos scenario.Pos

	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
	output  *Tail
	conn    net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	stats   Stats
	buf     []byte
	// logs, when set, replaces output as the node's last output quoted in
	// errors (a container's logs).
	logs func() string
	// stdio speaks the dialect of upstream's stdin/stdout protocol (M3h):
	// INIT without the node id, events with renamed keys, ERROR lines. The
	// connection is given (docker exec -i), not dialled.
	stdio bool
}

var _ External = (*Process)(nil)

// Keys of a process node's config that configure the runner; the rest is
// sent to the node in INIT.
var processKeys = map[string]bool{
	"command": true, "address": true, "timeout_s": true, "connect_timeout_s": true,
	"env": true, "network_metadata": true, "model": true, "protocol": true,
}

// maxTimeoutS is the longest timeout_s and connect_timeout_s, about 31
// years: more seconds would soon not fit in a time.Duration, which would
// wrap to a negative, immediate timeout.
const maxTimeoutS = 1e9

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// NewProcess builds a protocol node. Config keys: command (string for
// /bin/sh -c, or a list), address (host:port; default localhost:<port>),
// timeout_s (every read, default 30), connect_timeout_s (default 10), env
// (a mapping), network_metadata (send latency metadata with delivered
// events; off by default because upstream's M0 nodes reject the field).
// "{port}" and "{id}" in the command are replaced.
func NewProcess(n scenario.Node) (*Process, error) {
	c := newConfig(n)
	p := &Process{
		id:      n.ID,
		port:    n.Port,
		timeout: seconds(c.floatIn("timeout_s", 30, 0.001, maxTimeoutS)),
		connect: seconds(c.floatIn("connect_timeout_s", 10, 0.001, maxTimeoutS)),
		output:  NewTail(16 << 10),
		stats:   Stats{Model: "process"},
	}
	p.cmdPos = n.Pos
	if pos, ok := n.ConfigPos["command"]; ok {
		p.cmdPos = pos
	}
	if v, ok := c.value("command"); ok {
		switch x := v.(type) {
		case string:
			p.command, p.shell = []string{x}, true
		case []any:
			for _, a := range x {
				s, isStr := a.(string)
				if !isStr {
					s = fmt.Sprint(a)
				}
				p.command = append(p.command, s)
			}
		default:
			c.fail("command", "must be a string or a list of strings")
		}
		if len(p.command) == 0 || p.command[0] == "" {
			c.fail("command", "must not be empty")
		}
	}
	if v, ok := c.value("network_metadata"); ok {
		b, isBool := v.(bool)
		if !isBool {
			c.fail("network_metadata", "must be true or false")
		}
		p.netMeta = b
	}
	if v, ok := c.value("env"); ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			c.fail("env", "must be a mapping of NAME: value")
		}
		for _, k := range sortedKeys(m) {
			p.env = append(p.env, k+"="+fmt.Sprint(m[k]))
		}
	}
	switch proto := c.str("protocol", "tcp"); proto {
	case "tcp":
	case "stdio":
		// Upstream's stdin/stdout dialect, over the process's own streams.
		p.stdio = true
		if p.command == nil {
			c.fail("protocol", "stdio needs a command: xedgesim talks to the program over its stdin and stdout")
		}
	default:
		c.fail("protocol", "must be tcp (upstream's TCP line protocol) or stdio (its stdin/stdout dialect), got %q", proto)
	}
	p.address = c.str("address", "")
	if p.command == nil && p.address == "" && !n.HasPort {
		c.fail("command", "a process node needs a command, an address or a port to connect to")
	}
	p.config = map[string]any{}
	for k, v := range n.Config {
		if !processKeys[k] {
			p.config[k] = v
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// ProcessOption configures a protocol node that a runtime made with
// Connect or Attach.
type ProcessOption func(*Process)

// WithModel names what runs the node in its Stats (default "process").
func WithModel(model string) ProcessOption {
	return func(p *Process) { p.stats.Model = model }
}

// WithConnectTimeout bounds how long Start retries connecting (default 10 s).
func WithConnectTimeout(d time.Duration) ProcessOption {
	return func(p *Process) { p.connect = d }
}

// WithLogs replaces the node's own output, quoted in errors, by what logs
// returns (a container's last log lines).
func WithLogs(logs func() string) ProcessOption {
	return func(p *Process) { p.logs = logs }
}

// Connect returns a protocol node for a node someone else runs and that
// speaks upstream's TCP protocol at address (a container's published
// port). Start connects, INITs and waits for READY; Close sends SHUTDOWN.
func Connect(id, address string, opts ...ProcessOption) *Process {
	p := &Process{id: id, address: address, config: map[string]any{}, timeout: 30 * time.Second,
		connect: 10 * time.Second, output: NewTail(16 << 10), stats: Stats{Model: "process"}}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// Attach returns a protocol node that speaks the dialect of upstream's
// stdin/stdout protocol over conn (the streams of docker exec -i). Close
// sends SHUTDOWN and closes conn.
func Attach(id string, conn net.Conn, opts ...ProcessOption) *Process {
	p := &Process{id: id, config: map[string]any{}, timeout: 30 * time.Second, stdio: true,
		conn: conn, r: bufio.NewReaderSize(conn, 64<<10), w: bufio.NewWriterSize(conn, 64<<10),
		output: NewTail(16 << 10), stats: Stats{Model: "process"}}
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// ID implements Node.
func (p *Process) ID() string { return p.id }

// Start implements Node: start the process (if any), connect, INIT, READY.
func (p *Process) Start(ctx context.Context, env Env) error {
	if p.conn == nil {
		if err := p.open(ctx, env); err != nil {
			return err
		}
	}
	p.lossOf = lossRates(env.Network)
	// {"seed": N} first, as upstream sends it, then the node's own config.
	js := append([]byte(`{"seed": `), strconv.AppendInt(nil, env.Seed, 10)...)
	for _, k := range sortedKeys(p.config) {
		if k == "seed" {
			continue
		}
		js = append(js, ", "...)
		js = appendPyString(js, k)
		js = append(js, ": "...)
		var err error
		if js, err = appendPyValue(js, p.config[k]); err != nil {
			return fmt.Errorf("node %q: encoding INIT config key %s: %w", p.id, k, err)
		}
	}
	js = append(js, '}')
	init := "INIT " + p.id + " " + string(js) + "\n"
	if p.stdio {
		init = "INIT " + string(js) + "\n"
	}
	if err := p.send(init); err != nil {
		return err
	}
	line, err := p.readLine("READY")
	if err != nil {
		return err
	}
	if line != "READY" {
		return p.errorf("expected READY, got %q", clip(line))
	}
	return nil
}

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

// wireEvent is upstream's Event dataclass as JSON (dataclasses.asdict).
type wireEvent struct {
	TimeUS    *int64          `json:"time_us"`
	Type      string          `json:"type"`
	Src       string          `json:"src"`
	Dst       *string         `json:"dst"`
	Payload   json.RawMessage `json:"payload"`
	SizeBytes int             `json:"size_bytes"`
}

// Send implements External. The events line is what upstream's
// coordinator writes (json.dumps of dataclasses.asdict): keys in the
// dataclass's order, Python's spacing, network_metadata when asked for.
func (p *Process) Send(_ context.Context, target int64, in []event.Event) error {
	p.stats.MessagesReceived += int64(len(in))
	b := append(p.buf[:0], "ADVANCE "...)
	b = strconv.AppendInt(b, target, 10)
	b = append(b, '\n', '[')
	var err error
	for i := range in {
		if i > 0 {
			b = append(b, ", "...)
		}
		if b, err = p.appendEvent(b, &in[i]); err != nil {
			return p.errorf("encoding events: %w", err)
		}
	}
	b = append(b, ']', '\n')
	p.buf = b
	return p.send(string(b))
}

func (p *Process) appendEvent(b []byte, e *event.Event) ([]byte, error) {
	keys := [...]string{`{"time_us": `, `, "type": `, `, "src": `, `, "dst": `, `, "payload": `}
	if p.stdio {
		// The stdin/stdout adapter renames the keys and drops size_bytes
		// and network_metadata.
		keys = [...]string{`{"timestamp_us": `, `, "event_type": `, `, "source": `, `, "destination": `, `, "payload": `}
	}
	b = append(b, keys[0]...)
	b = strconv.AppendInt(b, e.TimeUS, 10)
	b = append(b, keys[1]...)
	b = appendPyString(b, e.Type)
	b = append(b, keys[2]...)
	b = appendPyString(b, e.Src)
	b = append(b, keys[3]...)
	if e.Dst == "" {
		b = append(b, "null"...)
	} else {
		b = appendPyString(b, e.Dst)
	}
	b = append(b, keys[4]...)
	var err error
	if b, err = appendPyRaw(b, payloadJSON(e)); err != nil {
		return b, err
	}
	if p.stdio {
		return append(b, '}'), nil
	}
	b = append(b, `, "size_bytes": `...)
	b = strconv.AppendInt(b, int64(e.SizeBytes), 10)
	if p.netMeta {
		b = append(b, `, "network_metadata": `...)
		if loss, ok := p.lossOf(e.Src, e.Dst); ok {
			// The latency model's metadata; the direct model's is {}.
			b = append(b, `{"latency_us": `...)
			b = strconv.AppendInt(b, e.LatencyUS, 10)
			b = append(b, `, "sent_time_us": `...)
			b = strconv.AppendInt(b, e.SentUS, 10)
			b = append(b, `, "delivery_time_us": `...)
			b = strconv.AppendInt(b, e.TimeUS, 10)
			b = append(b, `, "loss_rate": `...)
			b = pyfmt.AppendRepr(b, loss)
			b = append(b, '}')
		} else {
			b = append(b, "{}"...)
		}
	}
	return append(b, '}'), nil
}

// lossRates returns the loss rate of the link (src, dst) as upstream's
// latency model reports it in network_metadata, and false on the direct
// model, which reports no metadata.
func lossRates(n scenario.Network) func(src, dst string) (float64, bool) {
	if n.Model != scenario.ModelLatency {
		return func(string, string) (float64, bool) { return 0, false }
	}
	links := map[[2]string]float64{}
	for _, l := range n.Links {
		links[[2]string{l.Src, l.Dst}] = l.LossRate
		if l.Bidirectional {
			links[[2]string{l.Dst, l.Src}] = l.LossRate
		}
	}
	return func(src, dst string) (float64, bool) {
		if r, ok := links[[2]string{src, dst}]; ok {
			return r, true
		}
		return n.DefaultLossRate, true
	}
}

// Advance implements Node: wait for DONE and the emitted events. Send must
// have been called for this step.
func (p *Process) Advance(_ context.Context, target int64, _ []event.Event, out []event.Event) ([]event.Event, error) {
	line, err := p.readLine("DONE")
	if err != nil {
		return out, err
	}
	if msg, ok := strings.CutPrefix(line, "ERROR "); ok && p.stdio {
		return out, p.errorf("ADVANCE %d: the node says: %s", target, clip(msg))
	}
	if line != "DONE" {
		return out, p.errorf("expected DONE for ADVANCE %d, got %q", target, clip(line))
	}
	line, err = p.readLine("the events line after DONE")
	if err != nil {
		return out, err
	}
	var wire []wireEvent
	if p.stdio {
		var se []stdioEvent
		err = json.Unmarshal([]byte(line), &se)
		wire = fromStdio(se)
	} else {
		err = json.Unmarshal([]byte(line), &wire)
	}
	if err != nil {
		return out, p.errorf("decoding events after DONE: %v (line %q)", err, clip(line))
	}
	for i, w := range wire {
		if w.TimeUS == nil {
			return out, p.errorf("event %d after DONE has no time_us", i)
		}
		if w.Type == "" {
			return out, p.errorf("event %d after DONE has no type", i)
		}
		e := event.Event{TimeUS: *w.TimeUS, Type: w.Type, Src: w.Src, SizeBytes: w.SizeBytes}
		if e.Src == "" {
			e.Src = p.id
		}
		if w.Dst != nil {
			e.Dst = *w.Dst
		}
		if len(w.Payload) > 0 && !bytes.Equal(w.Payload, []byte("null")) {
			e.Raw = w.Payload
		}
		out = append(out, e)
		p.stats.MessagesSent++
	}
	p.stats.Events++
	return out, nil
}

// Next implements Node: unknown, so the node is advanced every quantum.
func (p *Process) Next() int64 { return Never }

// Stats implements Node.
func (p *Process) Stats() Stats { return p.stats }

// shutdownGrace bounds the write of SHUTDOWN. A node that no longer reads
// its input (a full pipe or socket) held Close for its whole timeout_s, up
// to years, and the run's cleanup and exit with it; one that cannot be
// told to shut down is signalled at once.
const shutdownGrace = 2 * time.Second

// Close implements Node: SHUTDOWN, then wait for the process to leave, then
// SIGTERM and SIGKILL its process group. The process is always reaped.
func (p *Process) Close() error {
	told := false
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

func (p *Process) send(s string) error { return p.sendWithin(s, p.timeout) }

// sendWithin writes s, failing after d.
func (p *Process) sendWithin(s string, d time.Duration) error {
	if err := p.conn.SetWriteDeadline(time.Now().Add(d)); err != nil {
		return p.errorf("setting write deadline: %w", err)
	}
	if _, err := p.w.WriteString(s); err != nil {
		return p.errorf("writing to node: %w", err)
	}
	if err := p.w.Flush(); err != nil {
		return p.errorf("writing to node: %w", err)
	}
	return nil
}

func (p *Process) readLine(what string) (string, error) {
	if err := p.conn.SetReadDeadline(time.Now().Add(p.timeout)); err != nil {
		return "", p.errorf("setting read deadline: %w", err)
	}
	line, err := boundedLine(p.r, maxLineBytes)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "", p.errorf("no %s within %s", what, p.timeout)
		}
		if errors.Is(err, errLineTooLong) {
			return "", p.errorf("waiting for %s: %w", what, err)
		}
		if line == "" {
			return "", p.errorf("connection closed while waiting for %s", what)
		}
	}
	return strings.TrimSpace(line), nil
}

// errorf names the node and adds the process's last output, which usually
// says why it misbehaved.
func (p *Process) errorf(format string, args ...any) error {
	err := fmt.Errorf("node %q: "+format, append([]any{p.id}, args...)...)
	out := p.output.String()
	if p.logs != nil {
		out = p.logs()
	}
	if out = strings.TrimSpace(out); out != "" {
		err = fmt.Errorf("%w\nlast output of node %q:\n%s", err, p.id, out)
	}
	return err
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
