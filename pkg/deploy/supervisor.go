package deploy

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// program is what the supervisor runs.
type program struct {
	name    string
	command []string // absolute path, then the arguments
	dir     string
	env     map[string]string
	// envFile is where systemd reads env from (a 0600 file: the unit
	// itself is world-readable).
	envFile string
	restart string // the manifest's restart policy
	logDir  string
	memory  string
	cpus    float64
}

// supervisor installs and controls a program on the host.
type supervisor struct {
	kind   manifest.Supervisor
	config string // supervisord's config
	name   string
}

func newSupervisor(nat *manifest.Native, name string) supervisor {
	return supervisor{kind: nat.Supervisor, config: nat.Config, name: name}
}

// confPath is the program section (in conf.d beside supervisord's config,
// which Debian's includes) or the unit.
func (s supervisor) confPath() string {
	if s.kind == manifest.SupervisorSystemd {
		return manifest.UnitPath(s.name)
	}
	return path.Join(path.Dir(s.config), "conf.d", s.name+".conf")
}

// confMode keeps a program section (its environment= may carry secrets)
// to root; a unit is world-readable as systemd expects, and its
// environment is in p.envFile (0600).
func (s supervisor) confMode() string {
	if s.kind == manifest.SupervisorSystemd {
		return "0644"
	}
	return "0600"
}

func (s supervisor) ctl(args ...string) string {
	return shell(append([]string{"supervisorctl", "-c", s.config}, args...)...)
}

// check tells whether the supervisor answers, before anything is changed.
func (s supervisor) check(ctx context.Context, c hostConn) error {
	if s.kind == manifest.SupervisorSystemd {
		if _, err := c.Run(ctx, "test -d /run/systemd/system", nil); err != nil {
			return fmt.Errorf("systemd does not run on the host (no /run/systemd/system); use supervisor: supervisord")
		}
		return nil
	}
	out, err := c.Run(ctx, s.ctl("pid"), nil)
	if _, perr := strconv.Atoi(strings.TrimSpace(out)); err != nil || perr != nil {
		if err == nil {
			err = errors.New(strings.TrimSpace(out))
		}
		return fmt.Errorf("supervisord does not answer on the host with config %s (install the supervisor package and start it, or set strategy.native.config): %w", s.config, err)
	}
	return nil
}

// apply makes the supervisor run the program as configured now; same says
// the configuration did not change, so only a restart picks up the new
// binary.
func (s supervisor) apply(ctx context.Context, c hostConn, same bool) error {
	var script string
	switch {
	case s.kind == manifest.SupervisorSystemd:
		script = "systemctl daemon-reload && systemctl enable -q " + transport.Quote(s.name) + " && systemctl restart " + transport.Quote(s.name)
	case same:
		script = s.ctl("restart", s.name)
	default:
		// update adds a new program, or restarts a changed one.
		script = s.ctl("reread") + " >/dev/null && " + s.ctl("update", s.name)
	}
	out, err := c.Run(ctx, script, nil)
	if err == nil && strings.Contains(out, "ERROR") {
		err = errors.New(strings.TrimSpace(out))
	}
	if err != nil {
		return fmt.Errorf("starting %s with %s: %w", s.name, s.kind, err)
	}
	return nil
}

// remove stops the program and removes its configuration.
func (s supervisor) remove(ctx context.Context, c hostConn) error {
	script := "rm -f " + transport.Quote(s.confPath()) + " && " + s.ctl("reread") + " >/dev/null && " + s.ctl("update", s.name) + " >/dev/null"
	if s.kind == manifest.SupervisorSystemd {
		script = "systemctl disable -q --now " + transport.Quote(s.name) + "; rm -f " + transport.Quote(s.confPath()) + " && systemctl daemon-reload"
	}
	_, err := c.Run(ctx, script, nil)
	return err
}

// progState is what the supervisor says of the program.
type progState struct {
	state   string // RUNNING, active, ...
	pid     int
	running bool
	// failed says it stopped for good: waiting longer will not help.
	failed bool
}

var statusLine = regexp.MustCompile(`^(\S+)\s+([A-Z]+)(?:\s+pid (\d+),)?`)

func (s supervisor) status(ctx context.Context, c hostConn) (progState, error) {
	if s.kind == manifest.SupervisorSystemd {
		out, err := c.Run(ctx, "systemctl show -p ActiveState -p MainPID "+transport.Quote(s.name), nil)
		if err != nil {
			return progState{}, err
		}
		var st progState
		for _, line := range strings.Split(out, "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
			switch k {
			case "ActiveState":
				st.state = v
			case "MainPID":
				st.pid, _ = strconv.Atoi(v)
			}
		}
		st.running = st.state == "active"
		st.failed = st.state == "failed" || st.state == "inactive"
		return st, nil
	}
	// status exits non-zero when the program is not running: the output
	// says how it is.
	out, _ := c.Run(ctx, s.ctl("status", s.name)+" || true", nil)
	m := statusLine.FindStringSubmatch(strings.TrimSpace(out))
	if m == nil || m[1] != s.name {
		return progState{}, fmt.Errorf("supervisorctl status %s: %s", s.name, strings.TrimSpace(out))
	}
	st := progState{state: m[2]}
	st.pid, _ = strconv.Atoi(m[3])
	st.running = st.state == "RUNNING"
	st.failed = st.state == "FATAL" || st.state == "EXITED" || st.state == "STOPPED"
	return st, nil
}

// waitRunning waits until the supervisor says the program runs.
func waitRunning(ctx context.Context, c hostConn, s supervisor, h manifest.Health) error {
	return poll(ctx, h.Timeout, h.Interval, "the previous program", func(ctx context.Context) (bool, error) {
		st, err := s.status(ctx, c)
		switch {
		case err != nil:
			return false, err
		case st.failed:
			return fatal(fmt.Errorf("%s is %s", s.name, st.state))
		case !st.running:
			return false, fmt.Errorf("%s is %s", s.name, st.state)
		}
		return true, nil
	})
}

// conf is the program section or unit for p.
func (s supervisor) conf(p program, deployID, digest string) string {
	var b strings.Builder
	if s.kind == manifest.SupervisorSystemd {
		fmt.Fprintf(&b, "# Written by xedgesim deploy %s: %s.\n[Unit]\nDescription=%s (xedgesim)\nAfter=network-online.target\nWants=network-online.target\n\n[Service]\n", deployID, digest, p.name)
		fmt.Fprintf(&b, "ExecStart=%s\nWorkingDirectory=%s\n", systemdQuote(p.command), strings.ReplaceAll(p.dir, "%", "%%"))
		if len(p.env) > 0 {
			fmt.Fprintf(&b, "EnvironmentFile=%s\n", strings.ReplaceAll(p.envFile, "%", "%%"))
		}
		fmt.Fprintf(&b, "Restart=%s\nRestartSec=1\n", systemdRestart(p.restart))
		if p.memory != "" {
			fmt.Fprintf(&b, "MemoryMax=%s\n", strings.ToUpper(strings.TrimRight(p.memory, "bB")))
		}
		if p.cpus > 0 {
			fmt.Fprintf(&b, "CPUQuota=%d%%\n", int(p.cpus*100+0.5))
		}
		b.WriteString("\n[Install]\nWantedBy=multi-user.target\n")
		return b.String()
	}
	fmt.Fprintf(&b, "; Written by xedgesim deploy %s: %s.\n[program:%s]\n", deployID, digest, p.name)
	fmt.Fprintf(&b, "command=%s\ndirectory=%s\n", supervisordCommand(p.command), supervisorEscape(p.dir))
	autorestart := "true"
	switch base, _, _ := strings.Cut(p.restart, ":"); base {
	case "no":
		autorestart = "false"
	case "on-failure":
		autorestart = "unexpected"
	}
	fmt.Fprintf(&b, "autostart=true\nautorestart=%s\nstartsecs=1\nstopsignal=TERM\nstopwaitsecs=10\n", autorestart)
	if len(p.env) > 0 {
		fmt.Fprintf(&b, "environment=%s\n", supervisordEnv(p.env))
	}
	fmt.Fprintf(&b, "stdout_logfile=%s/%s.out.log\nstderr_logfile=%s/%s.err.log\n", p.logDir, p.name, p.logDir, p.name)
	return b.String()
}

// supervisorEscape escapes % (supervisord expands %(name)s in values).
func supervisorEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

func systemdRestart(policy string) string {
	switch base, _, _ := strings.Cut(policy, ":"); base {
	case "no":
		return "no"
	case "on-failure":
		return "on-failure"
	}
	return "always"
}

// systemdQuote quotes words for ExecStart=, where systemd expands
// specifiers (%) and variables ($), so both are doubled.
func systemdQuote(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		w = strings.ReplaceAll(w, "%", "%%")
		if w != "" && !strings.ContainsAny(w, " \t\"'\\$;") {
			q[i] = w
			continue
		}
		q[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `$$`).Replace(w) + `"`
	}
	return strings.Join(q, " ")
}
