package deploy

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// On the host, the native strategy keeps DIR/releases/VERSION/BINARY (one
// directory per platform manifest, with release.json saying what it is),
// DIR/current -> releases/VERSION, and DIR/log. Switching and rolling back
// swap the symlink; the supervisor runs DIR/current/BINARY.

// release is DIR/releases/VERSION/release.json.
type release struct {
	Digest         string `json:"digest"`          // the deployed reference's digest
	PlatformDigest string `json:"platform_digest"` // the host's platform manifest
	DeployID       string `json:"deploy_id"`
	Binary         string `json:"binary"` // its path in the image
	SHA256         string `json:"sha256"` // of the binary
}

// program is what the supervisor runs.
type program struct {
	name    string
	command []string // absolute path, then the arguments
	dir     string
	env     map[string]string
	restart string // the manifest's restart policy
	logDir  string
	memory  string
	cpus    float64
}

// native deploys with the native strategy.
func (d *hostDeploy) native(ctx context.Context, platform string, desc v1.Descriptor) error {
	c, nat, s := d.c, d.m.Native, d.m.Service
	img := d.im.single
	if img == nil {
		var err error
		img, err = remote.Image(d.im.ref.Context().Digest(desc.Digest.String()), append([]remote.Option{remote.WithContext(ctx)}, d.o.remote...)...)
		if err != nil {
			return fmt.Errorf("reading the %s image: %w", platform, err)
		}
	}
	sup := newSupervisor(nat, s.Name)
	if err := sup.check(ctx, c); err != nil {
		return err
	}
	binary, args, err := nativeCommand(img, nat.Binary, s.Command)
	if err != nil {
		return err
	}
	d.event("transfer", "taking %s out of the %s image", binary, platform)
	f, sum, size, err := extractFile(img, binary)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()

	version := strings.TrimPrefix(desc.Digest.String(), "sha256:")[:16]
	relDir := nat.Dir + "/releases/" + version
	exe := relDir + "/" + path.Base(binary)
	current := nat.Dir + "/current"

	// What runs now, to go back to.
	oldTarget, err := c.Run(ctx, "readlink "+transport.Quote(current)+" || true", nil)
	if err != nil {
		return fmt.Errorf("reading %s: %w", current, err)
	}
	oldTarget = strings.TrimSpace(oldTarget)
	oldConf, hadConf, err := readFile(ctx, c, sup.confPath())
	if err != nil {
		return err
	}
	if r, err := readRelease(ctx, c, current); err == nil && r != nil {
		d.rep.OldDigest = r.Digest
	}

	// The binary, unless this release is already there.
	have, _ := c.Run(ctx, "sha256sum "+transport.Quote(exe)+" 2>/dev/null | cut -d' ' -f1", nil)
	if strings.TrimSpace(have) != sum {
		if _, err := c.Run(ctx, "mkdir -p "+transport.Quote(relDir)+" "+transport.Quote(nat.Dir+"/log"), nil); err != nil {
			return fmt.Errorf("creating %s: %w", relDir, err)
		}
		d.event("transfer", "sending %d bytes", size)
		err := c.Upload(ctx, f, size, exe, "0755", func(n int64) {
			d.o.progress.Report(Event{Host: d.h.Name, Step: "transfer", Bytes: n, Total: size})
		})
		if err != nil {
			return err
		}
		d.rep.BytesSent += size
	}
	rel, _ := json.MarshalIndent(release{Digest: d.im.digest, PlatformDigest: desc.Digest.String(), DeployID: d.o.deployID, Binary: binary, SHA256: sum}, "", "  ")
	if err := writeFile(ctx, c, relDir+"/release.json", string(rel)+"\n", "0644"); err != nil {
		return err
	}
	if err := d.files(ctx); err != nil {
		return err
	}

	p := program{name: s.Name, command: append([]string{current + "/" + path.Base(binary)}, args...), dir: current,
		env: s.Env, restart: s.Restart, logDir: nat.Dir + "/log", memory: s.Memory, cpus: s.CPUs}
	conf := sup.conf(p, d.o.deployID, d.im.digest)

	// undo puts back what ran before: the previous release and program
	// section, or no program at all (its log stays: it says why the
	// program failed). It runs on d.c, which a fleet rollback may have
	// reconnected.
	undo := func(ctx context.Context) error {
		c := d.c
		if oldTarget == "" {
			err := errors.Join(sup.remove(ctx, c), runErr(c.Run(ctx, "rm -rf "+transport.Quote(current)+" "+transport.Quote(relDir)+" && { rmdir "+transport.Quote(nat.Dir+"/releases")+" 2>/dev/null || true; }", nil)))
			if err != nil {
				return fmt.Errorf("removing the program: %w", err)
			}
			return nil
		}
		err := swapLink(ctx, c, current, oldTarget)
		if err == nil && hadConf {
			err = writeFile(ctx, c, sup.confPath(), oldConf, sup.confMode())
		}
		if err == nil {
			err = sup.apply(ctx, c, hadConf && oldConf == conf)
		}
		if err == nil {
			err = waitRunning(ctx, c, sup, s.Health)
		}
		if err != nil {
			return fmt.Errorf("going back to %s: %w", oldTarget, err)
		}
		if "releases/"+version != oldTarget {
			c.Run(ctx, "rm -rf "+transport.Quote(relDir), nil)
		}
		return nil
	}
	// The clean-up must run even when ctx is cancelled.
	bg := context.WithoutCancel(ctx)
	rollback := func(cause error) error {
		d.event("rollback", "%v", cause)
		if err := undo(bg); err != nil {
			return errors.Join(cause, err)
		}
		if oldTarget == "" {
			return fmt.Errorf("%w (its output is in %s)", cause, p.logDir)
		}
		d.rep.RolledBack = true
		d.rep.Result = ResultRolledBack
		return cause
	}

	d.event("switch", "%s -> releases/%s", current, version)
	if err := swapLink(ctx, c, current, "releases/"+version); err != nil {
		return rollback(err)
	}
	if err := writeFile(ctx, c, sup.confPath(), conf, sup.confMode()); err != nil {
		return rollback(err)
	}
	d.event("create", "starting %s with %s", s.Name, nat.Supervisor)
	if err := sup.apply(ctx, c, hadConf && oldConf == conf); err != nil {
		return rollback(err)
	}
	d.event("health", "waiting up to %s for %s", s.Health.Timeout, s.Health.Kind())
	err = poll(ctx, s.Health.Timeout, s.Health.Interval, s.Health.Kind()+" check", func(ctx context.Context) (bool, error) {
		st, err := sup.status(ctx, c)
		if err != nil {
			return false, err
		}
		if st.failed {
			return fatal(fmt.Errorf("%s is %s", s.Name, st.state))
		}
		err = probe(ctx, c, s.Health)
		return err == nil, err
	})
	if err != nil {
		return rollback(&HealthError{Host: d.h.Name, Err: err})
	}
	d.pruneReleases(ctx, nat, version, oldTarget)
	if d.m.Rollout.Rollback {
		// The previous release stays (keep >= 2): nothing to commit.
		d.undo = undo
	}
	d.rep.Result = ResultDeployed
	return nil
}

// pruneReleases keeps the current release, the previous one, and the
// newest others up to nat.Keep in all: the hosts this strategy is for are
// short of disk.
func (d *hostDeploy) pruneReleases(ctx context.Context, nat *manifest.Native, version, previous string) {
	kept := []string{"-e", version}
	if p := strings.TrimPrefix(previous, "releases/"); p != "" && p != version {
		kept = append(kept, "-e", p)
	}
	script := fmt.Sprintf("cd %s/releases && ls -1t | grep -vx %s | tail -n +%d | xargs -r rm -rf",
		transport.Quote(nat.Dir), shell(kept...), max(nat.Keep-len(kept)/2, 0)+1)
	if _, err := d.c.Run(ctx, script, nil); err != nil {
		d.event("done", "pruning old releases: %v", err)
	}
}

func runErr(_ string, err error) error { return err }

// swapLink points link at target with a rename, so the link always exists.
func swapLink(ctx context.Context, c strategyConn, link, target string) error {
	tmp := link + ".xedgesim-new"
	if _, err := c.Run(ctx, "ln -sfn "+transport.Quote(target)+" "+transport.Quote(tmp)+" && mv -Tf "+transport.Quote(tmp)+" "+transport.Quote(link), nil); err != nil {
		return fmt.Errorf("pointing %s at %s: %w", link, target, err)
	}
	return nil
}

func readRelease(ctx context.Context, c strategyConn, current string) (*release, error) {
	data, ok, err := readFile(ctx, c, current+"/release.json")
	if err != nil || !ok {
		return nil, err
	}
	var r release
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return nil, fmt.Errorf("reading %s/release.json: %w", current, err)
	}
	return &r, nil
}

// nativeCommand is the binary to take out of the image and its arguments:
// the manifest's binary (or else the image's entrypoint) and the service's
// command (or else the rest of the image's entrypoint and its cmd).
func nativeCommand(img v1.Image, binary string, command []string) (string, []string, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return "", nil, fmt.Errorf("reading the image config: %w", err)
	}
	ep := append(append([]string(nil), cf.Config.Entrypoint...), cf.Config.Cmd...)
	args := command
	if binary == "" {
		if len(ep) == 0 || !strings.HasPrefix(ep[0], "/") {
			return "", nil, &InputError{fmt.Errorf("the image has no entrypoint with an absolute path (%q); set strategy.native.binary", ep)}
		}
		binary = ep[0]
		if args == nil {
			args = ep[1:]
		}
	}
	return binary, args, nil
}

// extractFile copies the file at name in img's filesystem (following
// symbolic and hard links inside the image) to a temporary file, and
// returns it rewound, with its SHA-256 and size.
func extractFile(img v1.Image, name string) (*os.File, string, int64, error) {
	want := path.Clean("/" + name)
	for hops := 0; hops < 16; hops++ {
		f, sum, size, link, err := extractOnce(img, want)
		if err != nil || link == "" {
			return f, sum, size, err
		}
		want = link
	}
	return nil, "", 0, &InputError{fmt.Errorf("taking %s out of the image: too many links", name)}
}

// extractOnce walks the flattened filesystem once; link is set when want
// is a link, to the path it points at.
func extractOnce(img v1.Image, want string) (f *os.File, sum string, size int64, link string, err error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, "", 0, "", &InputError{fmt.Errorf("taking %s out of the image: there is no such file in it; set strategy.native.binary", want)}
		}
		if err != nil {
			return nil, "", 0, "", fmt.Errorf("reading the image's layers: %w", err)
		}
		if path.Clean("/"+h.Name) != want {
			continue
		}
		switch h.Typeflag {
		case tar.TypeSymlink:
			if path.IsAbs(h.Linkname) {
				return nil, "", 0, path.Clean(h.Linkname), nil
			}
			return nil, "", 0, path.Join(path.Dir(want), h.Linkname), nil
		case tar.TypeLink:
			return nil, "", 0, path.Clean("/" + h.Linkname), nil
		case tar.TypeReg:
		default:
			return nil, "", 0, "", &InputError{fmt.Errorf("taking %s out of the image: it is not a file", want)}
		}
		tmp, err := os.CreateTemp("", "xedgesim-native-*")
		if err != nil {
			return nil, "", 0, "", err
		}
		hash := sha256.New()
		n, err := io.Copy(io.MultiWriter(tmp, hash), tr)
		if err == nil {
			_, err = tmp.Seek(0, io.SeekStart)
		}
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return nil, "", 0, "", fmt.Errorf("taking %s out of the image: %w", want, err)
		}
		return tmp, hex.EncodeToString(hash.Sum(nil)), n, "", nil
	}
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
// to root; a unit is world-readable as systemd expects.
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
func (s supervisor) check(ctx context.Context, c strategyConn) error {
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
func (s supervisor) apply(ctx context.Context, c strategyConn, same bool) error {
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
func (s supervisor) remove(ctx context.Context, c strategyConn) error {
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

func (s supervisor) status(ctx context.Context, c strategyConn) (progState, error) {
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
func waitRunning(ctx context.Context, c strategyConn, s supervisor, h manifest.Health) error {
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
	keys := make([]string, 0, len(p.env))
	for k := range p.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if s.kind == manifest.SupervisorSystemd {
		fmt.Fprintf(&b, "# Written by xedgesim deploy %s: %s.\n[Unit]\nDescription=%s (xedgesim)\nAfter=network-online.target\nWants=network-online.target\n\n[Service]\n", deployID, digest, p.name)
		fmt.Fprintf(&b, "ExecStart=%s\nWorkingDirectory=%s\n", systemdQuote(p.command), p.dir)
		for _, k := range keys {
			fmt.Fprintf(&b, "Environment=%s\n", systemdQuote([]string{k + "=" + p.env[k]}))
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
	q := make([]string, len(p.command))
	for i, a := range p.command {
		q[i] = transport.Quote(a)
	}
	fmt.Fprintf(&b, "command=%s\ndirectory=%s\n", supervisorEscape(strings.Join(q, " ")), supervisorEscape(p.dir))
	autorestart := "true"
	switch base, _, _ := strings.Cut(p.restart, ":"); base {
	case "no":
		autorestart = "false"
	case "on-failure":
		autorestart = "unexpected"
	}
	fmt.Fprintf(&b, "autostart=true\nautorestart=%s\nstartsecs=1\nstopsignal=TERM\nstopwaitsecs=10\n", autorestart)
	if len(keys) > 0 {
		env := make([]string, len(keys))
		for i, k := range keys {
			env[i] = k + `="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p.env[k]) + `"`
		}
		fmt.Fprintf(&b, "environment=%s\n", supervisorEscape(strings.Join(env, ",")))
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

// systemdQuote quotes words for ExecStart= and Environment=.
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

// verifyNative is Verify for the native strategy: the supervisor runs the
// program with the same pid over the window, the installed binary is the
// release of the wanted digest (its checksum checked on the host), and the
// probe passes.
func verifyNative(ctx context.Context, c strategyConn, m *manifest.Manifest, hc HostCheck, want string) HostCheck {
	nat, h := m.Native, m.Service.Health
	sup := newSupervisor(nat, m.Service.Name)
	current := nat.Dir + "/current"
	r, err := readRelease(ctx, c, current)
	if err != nil {
		hc.err = err
		return hc
	}
	if r == nil {
		hc.err = &checkError{fmt.Sprintf("nothing is installed at %s", current)}
		return hc
	}
	hc.Digest = r.Digest
	sum, err := c.Run(ctx, "sha256sum "+transport.Quote(current+"/"+path.Base(r.Binary))+" | cut -d' ' -f1", nil)
	if err != nil {
		hc.err = fmt.Errorf("checking the binary: %w", err)
		return hc
	}
	hc.DigestMatches = r.Digest == want && strings.TrimSpace(sum) == r.SHA256
	first, err := sup.status(ctx, c)
	if err != nil {
		hc.err = err
		return hc
	}
	select {
	case <-ctx.Done():
		hc.err = ctx.Err()
		return hc
	case <-time.After(h.Window):
	}
	second, err := sup.status(ctx, c)
	if err != nil {
		hc.err = err
		return hc
	}
	hc.Running = first.running && second.running
	hc.RestartsStable = first.pid != 0 && first.pid == second.pid
	perr := probe(ctx, c, h)
	hc.Healthy = perr == nil
	return finishCheck(hc, perr, h, want, "the program")
}
