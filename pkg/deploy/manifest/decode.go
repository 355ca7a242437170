package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/ident"
	"github.com/xedgesim/simulate/internal/yamldiag"
)

// Diagnostic is one problem found in a manifest.
type Diagnostic = yamldiag.Diagnostic

// Error is returned for a manifest that cannot be used: every problem
// found, in file order, with exit code 3. It is the scenario loader's error
// type too, so the CLI renders both the same way.
type Error = yamldiag.Error

// Defaults applied to what the manifest leaves out.
const (
	DefaultHealthTimeout  = 30 * time.Second
	DefaultHealthInterval = 500 * time.Millisecond
	DefaultHealthWindow   = 3 * time.Second
	DefaultSSHTimeout     = 30 * time.Second
	DefaultRestart        = "unless-stopped"
	DefaultWaveTimeout    = 30 * time.Minute
)

// Load reads and validates the manifest at path.
func Load(path string) (*Manifest, error) {
	data, err := readManifestFile(path)
	if err != nil {
		msg, hint := fmt.Sprintf("reading manifest: %v", err), fileHint(err, "manifest")
		if errors.Is(err, fs.ErrNotExist) {
			msg, hint = "manifest file not found", "check the path; it is relative to the working directory"
		}
		return nil, yamldiag.NewError([]Diagnostic{{Pos: Pos{File: path}, Message: msg, Hint: hint}},
			fmt.Errorf("reading manifest: %w", err))
	}
	return Parse(data, path)
}

// Parse is Load for a file already in memory; path names it in errors and
// is the base of relative paths.
func Parse(data []byte, path string) (*Manifest, error) {
	d := newDecoder(path)
	m := &Manifest{Path: path, Dir: filepath.Dir(path)}
	root, empty := d.Document(data, "a manifest")
	if empty {
		d.Add(Diagnostic{Pos: Pos{File: path, Line: 1, Col: 1}, Message: "the manifest is empty", Hint: "write image:, service:, hosts:"})
	}
	if root != nil {
		d.manifest(root, m)
		d.checkCopySources(m)
	}
	// Unknown and duplicated keys are errors (the decoder is strict), so
	// there are no warnings to return.
	if _, err := d.Result(); err != nil {
		return nil, err
	}
	return m, nil
}

type decoder struct {
	*yamldiag.Decoder
	root *yaml.Node
	// knownHosts are ssh.known_hosts_file's lines, for the hosts that
	// name no key; knownHostsBad says the file could not be read (that
	// error is enough: the hosts it was for say nothing more).
	knownHosts    string
	knownHostsBad bool
}

// newDecoder reads file strictly: a deploy acts on what the manifest says,
// so a misspelt or repeated key is an error, not a warning.
func newDecoder(file string) *decoder {
	return &decoder{Decoder: yamldiag.New(file, yamldiag.WithStrict(true))}
}

// field is one key of a mapping; its value has aliases followed.
type field = yamldiag.Entry

// topLevel names the manifest's root mapping in messages.
const topLevel = "the manifest"

// mapping checks n is a mapping of known keys and returns its fields by
// name; unknown and repeated keys are errors. what is the mapping's dotted
// path, or topLevel.
func (d *decoder) mapping(n *yaml.Node, what string, known ...string) map[string]field {
	path := what
	if what == topLevel {
		path = ""
	}
	m := d.Map(n, path, what, "")
	if m == nil {
		return nil
	}
	d.CheckKeys(m, yamldiag.Keys{
		Known:   known,
		Message: func(_, name string) string { return fmt.Sprintf("unknown key %q in %s", name, what) },
	})
	out := map[string]field{}
	for _, e := range m.Entries {
		if slices.Contains(known, e.Name) {
			e.Val = yamldiag.Deref(e.Val)
			out[e.Name] = e
		}
	}
	return out
}

// The getters below read an optional field: a missing one (nil Val) gives
// the zero value, or def, and no report.

func (d *decoder) str(f field, what string) string {
	if f.Val == nil {
		return ""
	}
	s, _ := d.String(f.Val, what, "")
	return s
}

func (d *decoder) integer(f field, what string, lo, hi int) int {
	if f.Val == nil {
		return 0
	}
	v, _ := d.IntIn(f.Val, what, "", int64(lo), int64(hi))
	return int(v)
}

func (d *decoder) boolean(f field, what string) bool {
	if f.Val == nil {
		return false
	}
	b, _ := d.Bool(f.Val, what, "")
	return b
}

func (d *decoder) duration(f field, what string, def time.Duration) time.Duration {
	if f.Val == nil {
		return def
	}
	v, ok := d.Duration(f.Val, what, "write the unit: 30s")
	if !ok {
		return def
	}
	return v
}

func (d *decoder) strings(f field, what string) []string {
	if f.Val == nil {
		return nil
	}
	items, ok := d.List(f.Val, what, what, "write a list of strings: [a, b]")
	if !ok {
		return nil
	}
	var out []string
	for i, it := range items {
		out = append(out, d.str(field{Val: it}, fmt.Sprintf("%s[%d]", what, i)))
	}
	return out
}

func (d *decoder) manifest(root *yaml.Node, m *Manifest) {
	f := d.mapping(root, topLevel, "image", "service", "strategy", "transfer", "hosts", "rollout", "ssh", "vars")
	if f == nil {
		return
	}
	d.root = root
	m.Vars = d.stringMap(f["vars"], "vars", false)
	if img, ok := f["image"]; ok {
		m.Image = d.str(img, "image")
		m.ImagePos = d.Pos(img.Val)
		if m.Image != "" && !strings.Contains(m.Image, "@sha256:") {
			d.Errorf(img.Val, "", "write REPO@sha256:... (xedgesim push prints it); a tag could move between simulate and deploy", "image %s is not pinned to a digest", strconv.Quote(m.Image))
		}
	}
	if s, ok := f["service"]; ok {
		d.service(s.Val, &m.Service)
	} else {
		d.Errorf(root, "", "add service: {name: ..., health: {tcp: PORT}}", "the manifest has no service")
	}
	m.Strategy = StrategyContainer
	if s, ok := f["strategy"]; ok {
		d.strategy(s.Val, m)
	}
	m.Transfer = TransferSCP
	if t, ok := f["transfer"]; ok {
		m.Transfer = Transfer(d.str(t, "transfer"))
		if m.Transfer != TransferSCP && m.Transfer != TransferPull {
			d.Errorf(t.Val, "", "write scp (the image over SSH) or pull (the host pulls by digest)", "unknown transfer %s", strconv.Quote(string(m.Transfer)))
		}
	}
	if s, ok := f["ssh"]; ok {
		d.knownHostsFile(s.Val, m)
	}
	if h, ok := f["hosts"]; ok {
		d.hosts(h.Val, m)
	} else {
		d.Errorf(root, "", "add hosts: [{name: edge1, address: 10.0.0.11, user: pi, known_hosts: ...}]", "the manifest has no hosts")
	}
	m.Rollout = Rollout{Canary: 1, Batch: 1, Rollback: true, Keep: 2}
	if r, ok := f["rollout"]; ok {
		if rf := d.mapping(r.Val, "rollout", "canary", "batch", "max_failures", "rollback", "keep", "offline", "wave_timeout", "order"); rf != nil {
			d.runnerRollout(rf, &m.Rollout)
			if v, ok := rf["keep"]; ok {
				m.Rollout.Keep = d.integer(v, "rollout.keep", 1, 100)
			}
			if v, ok := rf["canary"]; ok {
				m.Rollout.Canary = d.integer(v, "rollout.canary", 0, 1<<20)
			}
			if v, ok := rf["batch"]; ok {
				m.Rollout.Batch = d.integer(v, "rollout.batch", 1, 1<<20)
			}
			m.Rollout.MaxFailures = d.integer(rf["max_failures"], "rollout.max_failures", 0, 1<<20)
			if v, ok := rf["rollback"]; ok {
				m.Rollout.Rollback = d.boolean(v, "rollout.rollback")
			}
			d.order(rf, m)
		}
	}
	if m.Rollout.Order == "" { // no rollout, or one that is no mapping
		d.order(nil, m)
	}
	m.SSH.Timeout = DefaultSSHTimeout
	if s, ok := f["ssh"]; ok {
		d.ssh(s.Val, &m.SSH)
	}
}

// order reads rollout.order: how the container strategy replaces a
// serving container, start-first unless written. The other strategies
// always stop the old release first, so asking them for start-first is a
// mistake worth saying.
func (d *decoder) order(rf map[string]field, m *Manifest) {
	m.Rollout.Order = OrderStartFirst
	if m.Strategy != StrategyContainer {
		m.Rollout.Order = OrderStopFirst
	}
	o, ok := rf["order"]
	if !ok {
		return
	}
	m.Rollout.Order = Order(d.str(o, "rollout.order"))
	switch {
	case m.Rollout.Order != OrderStartFirst && m.Rollout.Order != OrderStopFirst:
		d.Errorf(o.Val, "", "write start-first (the new release is checked beside the old one) or stop-first (the old one stops first)",
			"unknown rollout.order %s", strconv.Quote(string(m.Rollout.Order)))
	case m.Rollout.Order == OrderStartFirst && m.Strategy != StrategyContainer:
		d.Errorf(o.Val, "", "remove order, or write order: stop-first",
			"rollout.order start-first is for the container strategy; %s stops the old release first", m.Strategy)
	}
}

var (
	portSpec   = lazyRegexp(`^(?:[0-9.:\[\]a-f]+:)?(?:\d{1,5}:)?\d{1,5}(?:/(?:tcp|udp))?$`)
	memorySpec = lazyRegexp(`^\d+[bkmgBKMG]?$`)
	// dockerHostSpec is a DOCKER_HOST the deploy can reach through SSH.
	dockerHostSpec = lazyRegexp(`^(unix:///\S+|tcp://[A-Za-z0-9.\-\[\]:]+:\d{1,5})$`)
	modeSpec       = lazyRegexp(`^0?[0-7]{3}$`)
)

func (d *decoder) service(n *yaml.Node, s *Service) {
	f := d.mapping(n, "service", "name", "restart", "ports", "volumes", "env", "command", "memory", "cpus", "files", "health", "network")
	if f == nil {
		return
	}
	s.Name = d.str(f["name"], "service.name")
	if _, ok := f["name"]; !ok {
		d.Errorf(n, "", "add name: the container's name on every host", "service has no name")
	} else if err := ident.Check("service.name", s.Name); err != nil {
		d.Errorf(f["name"].Val, "", "use "+ident.Charset, "%v", err)
	}
	s.Restart = DefaultRestart
	if r, ok := f["restart"]; ok {
		s.Restart = d.str(r, "service.restart")
		switch base, _, _ := strings.Cut(s.Restart, ":"); base {
		case "no", "always", "unless-stopped", "on-failure":
		default:
			d.Errorf(r.Val, "", "write no, always, unless-stopped or on-failure[:N]", "unknown restart policy %s", strconv.Quote(s.Restart))
		}
	}
	s.Ports = d.strings(f["ports"], "service.ports")
	for i, p := range s.Ports {
		if !portSpec().MatchString(p) {
			d.Errorf(f["ports"].Val.Content[i], "", `write "1883:1883" (quoted: YAML reads 22:22 as a number)`, "port %s is not HOST:CONTAINER", strconv.Quote(p))
		}
	}
	s.Volumes = d.strings(f["volumes"], "service.volumes")
	for i, v := range s.Volumes {
		if !strings.Contains(v, ":") {
			d.Errorf(f["volumes"].Val.Content[i], "", `write "/opt/app/data:/data"`, "volume %s is not HOST:CONTAINER", strconv.Quote(v))
		}
	}
	if e, ok := f["env"]; ok {
		if e.Val.Kind != yaml.MappingNode {
			d.Errorf(e.Val, "", "", "service.env must be a mapping of NAME: value, got %s", yamldiag.Describe(e.Val))
		} else {
			s.Env = map[string]string{}
			d.checkEnv(e.Val, "service.env")
			for i := 0; i+1 < len(e.Val.Content); i += 2 {
				k, v := e.Val.Content[i], e.Val.Content[i+1]
				if v.Kind != yaml.ScalarNode {
					d.Errorf(v, "", "", "service.env.%s must be a string, got %s", k.Value, yamldiag.Describe(v))
					continue
				}
				s.Env[k.Value] = v.Value
			}
		}
	}
	s.Command = d.strings(f["command"], "service.command")
	for i, a := range s.Command {
		d.checkValue(f["command"].Val.Content[i], fmt.Sprintf("service.command[%d]", i), a)
	}
	if mem, ok := f["memory"]; ok {
		s.Memory = d.str(mem, "service.memory")
		if !memorySpec().MatchString(s.Memory) {
			d.Errorf(mem.Val, "", "write 128m or 1g", "service.memory %s is not a size", strconv.Quote(s.Memory))
		}
	}
	if c, ok := f["cpus"]; ok {
		v, err := strconv.ParseFloat(c.Val.Value, 64)
		if c.Val.Kind != yaml.ScalarNode || err != nil || v <= 0 {
			d.Errorf(c.Val, "", "write 0.5", "service.cpus must be a positive number, got %s", yamldiag.Describe(c.Val))
		}
		s.CPUs = v
	}
	if fl, ok := f["files"]; ok {
		if fl.Val.Kind != yaml.SequenceNode {
			d.Errorf(fl.Val, "", "", "service.files must be a list, got %s", yamldiag.Describe(fl.Val))
		} else {
			for i, it := range fl.Val.Content {
				w := fmt.Sprintf("service.files[%d]", i)
				ff := d.mapping(it, w, "src", "dst", "mode", "template")
				if ff == nil {
					continue
				}
				file := File{Src: d.str(ff["src"], w+".src"), Dst: d.str(ff["dst"], w+".dst"), Mode: "0644", Pos: d.Pos(it), Template: d.boolean(ff["template"], w+".template")}
				if m, ok := ff["mode"]; ok {
					file.Mode = d.str(m, w+".mode")
					if !modeSpec().MatchString(file.Mode) {
						d.Errorf(m.Val, "", `write "0640" (quoted)`, "%s.mode %s is not an octal mode", w, strconv.Quote(file.Mode))
					}
				}
				if file.Src == "" || file.Dst == "" {
					d.Errorf(it, "", "write {src: deploy/app.conf, dst: /opt/app/app.conf}", "%s needs src and dst", w)
				} else if !strings.HasPrefix(file.Dst, "/") {
					d.Errorf(ff["dst"].Val, "", "", "%s.dst must be an absolute path on the host", w)
				}
				s.Files = append(s.Files, file)
			}
		}
	}
	d.network(f["network"], s)
	s.Health = Health{Timeout: DefaultHealthTimeout, Interval: DefaultHealthInterval, Window: DefaultHealthWindow}
	if h, ok := f["health"]; ok {
		d.health(h.Val, &s.Health)
	} else {
		d.Errorf(n, "", "add health: {tcp: PORT} or health: {http: {port: 8080, path: /healthz}}: a deploy that cannot tell a broken service from a good one cannot roll back", "service has no health check")
	}
}

func (d *decoder) health(n *yaml.Node, h *Health) {
	f := d.mapping(n, "service.health", "tcp", "http", "mqtt", "cmd", "timeout", "interval", "window")
	if f == nil {
		return
	}
	kinds := 0
	if t, ok := f["tcp"]; ok {
		kinds++
		h.TCP = d.integer(t, "service.health.tcp", 1, 65535)
	}
	if hv, ok := f["http"]; ok {
		kinds++
		hf := d.mapping(hv.Val, "service.health.http", "port", "path", "status")
		if hf != nil {
			h.HTTP = &HTTPHealth{Port: d.integer(hf["port"], "service.health.http.port", 1, 65535), Path: "/", Status: 200}
			if _, ok := hf["port"]; !ok {
				d.Errorf(hv.Val, "", "write http: {port: 8080, path: /healthz}", "service.health.http has no port")
			}
			if p, ok := hf["path"]; ok {
				h.HTTP.Path = d.str(p, "service.health.http.path")
				if !strings.HasPrefix(h.HTTP.Path, "/") {
					d.Errorf(p.Val, "", "", "service.health.http.path must start with /")
				}
			}
			if s, ok := hf["status"]; ok {
				h.HTTP.Status = d.integer(s, "service.health.http.status", 100, 599)
			}
		}
	}
	if m, ok := f["mqtt"]; ok {
		kinds++
		h.MQTT = d.mqttHealth(m)
	}
	if c, ok := f["cmd"]; ok {
		kinds++
		h.Cmd = d.str(c, "service.health.cmd")
	}
	if kinds != 1 {
		d.Errorf(n, "", "write {tcp: 1883}, {mqtt: 1883} or {http: {port: 8080, path: /}}", "service.health needs exactly one of tcp, http, mqtt and cmd, got %d", kinds)
	}
	h.Timeout = d.duration(f["timeout"], "service.health.timeout", DefaultHealthTimeout)
	h.Interval = d.duration(f["interval"], "service.health.interval", DefaultHealthInterval)
	h.Window = d.duration(f["window"], "service.health.window", DefaultHealthWindow)
}

// mqttHealth reads mqtt: PORT or mqtt: {port, topic}.
func (d *decoder) mqttHealth(m field) *MQTTHealth {
	if m.Val.Kind == yaml.ScalarNode {
		return &MQTTHealth{Port: d.integer(m, "service.health.mqtt", 1, 65535)}
	}
	mf := d.mapping(m.Val, "service.health.mqtt", "port", "topic")
	if mf == nil {
		return nil
	}
	if _, ok := mf["port"]; !ok {
		d.Errorf(m.Val, "", "write mqtt: 1883 or mqtt: {port: 1883, topic: health/check}", "service.health.mqtt has no port")
	}
	mh := &MQTTHealth{Port: d.integer(mf["port"], "service.health.mqtt.port", 1, 65535)}
	if t, ok := mf["topic"]; ok {
		mh.Topic = d.str(t, "service.health.mqtt.topic")
		if mh.Topic == "" || strings.ContainsAny(mh.Topic, "+#") {
			d.Errorf(t.Val, "", "write topic: health/check", "service.health.mqtt.topic must be a topic name without wildcards")
		}
	}
	return mh
}

var fingerprint = lazyRegexp(`^SHA256:[A-Za-z0-9+/]{43}$`)

func (d *decoder) hostKeys(f map[string]field, what string, n *yaml.Node) (string, []string) {
	kh := d.str(f["known_hosts"], what+".known_hosts")
	fps := d.strings(f["fingerprints"], what+".fingerprints")
	if fp, ok := f["fingerprint"]; ok {
		fps = append(fps, d.str(fp, what+".fingerprint"))
	}
	for _, fp := range fps {
		if !fingerprint().MatchString(fp) {
			d.Errorf(n, "", "write SHA256:... as ssh-keygen -lf prints it", "%s: %s is not a SHA256 fingerprint", what, strconv.Quote(fp))
		}
	}
	if kh != "" {
		if _, err := ParseKnownHosts(kh); err != nil {
			d.Errorf(f["known_hosts"].Val, "", "paste lines of ssh-keyscan HOST", "%s.known_hosts: %v", what, err)
		}
	}
	if kh == "" && len(fps) == 0 && d.knownHosts != "" {
		kh = d.knownHosts // ssh.known_hosts_file serves the hosts that name no key
	}
	if kh == "" && len(fps) == 0 && !d.knownHostsBad {
		d.Errorf(n, "", "add known_hosts: (a line of ssh-keyscan HOST) or fingerprint: SHA256:...; host keys are never skipped", "%s has no known_hosts and no fingerprint: its host key could not be checked", what)
	}
	return kh, fps
}

func (d *decoder) hosts(n *yaml.Node, m *Manifest) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.Errorf(n, "", "write hosts: [{name: edge1, address: 10.0.0.11, user: pi, known_hosts: ...}]", "hosts must be a non-empty list, got %s", yamldiag.Describe(n))
		return
	}
	seen := map[string]bool{}
	for i, it := range n.Content {
		w := fmt.Sprintf("hosts[%d]", i)
		f := d.mapping(it, w, "name", "address", "port", "user", "known_hosts", "fingerprint", "fingerprints", "platform", "local", "env", "vars", "runner")
		if f == nil {
			continue
		}
		h := Host{Name: d.str(f["name"], w+".name"), Pos: d.Pos(it), Local: d.boolean(f["local"], w+".local"),
			Env: d.stringMap(f["env"], w+".env", true), Vars: d.stringMap(f["vars"], w+".vars", false)}
		if h.Name == "" {
			d.Errorf(it, "", "add name: edge1", "%s has no name", w)
		} else if err := ident.Check(w+".name", h.Name); err != nil {
			d.Errorf(f["name"].Val, "", "write name: edge1", "%v", err)
		} else if seen[h.Name] {
			d.Errorf(f["name"].Val, "", "", "host %s is listed twice", strconv.Quote(h.Name))
		}
		seen[h.Name] = true
		h.Platform = d.str(f["platform"], w+".platform")
		if p, ok := f["platform"]; ok {
			if parts := strings.Split(h.Platform, "/"); len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
				d.Errorf(p.Val, "", "write linux/arm64 or linux/arm/v7", "%s.platform %s is not OS/ARCH", w, strconv.Quote(h.Platform))
			}
		}
		if r, ok := f["runner"]; ok {
			h.Runner = d.runner(r, w, f)
			h.Local = true
		}
		if h.Local {
			// The engine of the machine deploy runs on: no SSH settings.
			for _, k := range []string{"address", "port", "user", "known_hosts", "fingerprint", "fingerprints"} {
				if e, ok := f[k]; ok {
					d.Errorf(e.Key, "", "remove "+k+" or local: true", "%s is local: it takes no %s", w, k)
				}
			}
			m.Hosts = append(m.Hosts, h)
			continue
		}
		h.Address = d.str(f["address"], w+".address")
		if h.Address == "" {
			d.Errorf(it, "", "add address: 10.0.0.11", "%s has no address", w)
		}
		h.Port = 22
		if p, ok := f["port"]; ok {
			h.Port = d.integer(p, w+".port", 1, 65535)
		}
		h.User = d.str(f["user"], w+".user")
		if h.User == "" {
			d.Errorf(it, "", "add user: pi", "%s has no user", w)
		}
		h.KnownHosts, h.Fingerprints = d.hostKeys(f, w, it)
		m.Hosts = append(m.Hosts, h)
	}
}

func (d *decoder) ssh(n *yaml.Node, s *SSH) {
	f := d.mapping(n, "ssh", "key", "passphrase", "jump", "timeout", "known_hosts_file", "docker_host")
	if f == nil {
		return
	}
	if h, ok := f["docker_host"]; ok {
		s.DockerHost = d.str(h, "ssh.docker_host")
		if !dockerHostSpec().MatchString(s.DockerHost) {
			d.Errorf(h.Val, "", "write unix:///var/run/docker.sock or tcp://127.0.0.1:2375, as DOCKER_HOST on the host", "ssh.docker_host %s is not a unix:// socket path or tcp:// address", strconv.Quote(s.DockerHost))
		}
	}
	s.Key = d.str(f["key"], "ssh.Key")
	s.Passphrase = d.str(f["passphrase"], "ssh.passphrase")
	if p, ok := f["passphrase"]; ok && s.Passphrase != "" && !strings.HasPrefix(s.Passphrase, "$") {
		d.Errorf(p.Val, "", "write passphrase: $DEPLOY_PASSPHRASE (read from the environment) or use --passphrase-stdin; never commit a secret", "ssh.passphrase is written in the manifest")
	}
	s.Timeout = d.duration(f["timeout"], "ssh.timeout", DefaultSSHTimeout)
	if j, ok := f["jump"]; ok {
		jf := d.mapping(j.Val, "ssh.jump", "address", "port", "user", "known_hosts", "fingerprint", "fingerprints")
		if jf == nil {
			return
		}
		s.Jump = &Jump{Address: d.str(jf["address"], "ssh.jump.address"), User: d.str(jf["user"], "ssh.jump.user"), Port: 22}
		if p, ok := jf["port"]; ok {
			s.Jump.Port = d.integer(p, "ssh.jump.port", 1, 65535)
		}
		if s.Jump.Address == "" || s.Jump.User == "" {
			d.Errorf(j.Val, "", "", "ssh.jump needs address and user")
		}
		s.Jump.KnownHosts, s.Jump.Fingerprints = d.hostKeys(jf, "ssh.jump", j.Val)
	}
}
