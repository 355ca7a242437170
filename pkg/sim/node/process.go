package node

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
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
	// done is the Done of the context watch serves, for honourCancel
	// (cancel.go), and unwatch ends that watch; nil without one.
	done    <-chan struct{}
	unwatch func()
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
	p.watch(ctx)
	if err := p.send(init); err != nil {
		return p.cancelled(ctx, err)
	}
	line, err := p.readLine("READY")
	if err != nil {
		return p.cancelled(ctx, err)
	}
	if line != "READY" {
		return p.errorf("expected READY, got %q", clip(line))
	}
	return nil
}

// Next implements Node: unknown, so the node is advanced every quantum.
func (p *Process) Next() int64 { return Never }

// Stats implements Node.
func (p *Process) Stats() Stats { return p.stats }

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

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
