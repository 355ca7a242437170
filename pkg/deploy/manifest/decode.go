package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// Diagnostic is one problem found in a manifest.
type Diagnostic = scenario.Diagnostic

// Error is returned for a manifest that cannot be used: every problem
// found, in file order, with exit code 3. It is the scenario loader's error
// type, so the CLI renders both the same way.
type Error = scenario.Error

// Defaults applied to what the manifest leaves out.
const (
	DefaultHealthTimeout  = 30 * time.Second
	DefaultHealthInterval = 500 * time.Millisecond
	DefaultHealthWindow   = 3 * time.Second
	DefaultSSHTimeout     = 30 * time.Second
	DefaultRestart        = "unless-stopped"
)

// Load reads and validates the manifest at path.
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg, hint := fmt.Sprintf("reading manifest: %v", err), ""
		if errors.Is(err, fs.ErrNotExist) {
			msg, hint = "manifest file not found", "check the path; it is relative to the working directory"
		}
		return nil, scenario.NewError([]Diagnostic{{Pos: Pos{File: path}, Message: msg, Hint: hint}},
			fmt.Errorf("reading manifest: %w", err))
	}
	return Parse(data, path)
}

// Parse is Load for a file already in memory; path names it in errors and
// is the base of relative paths.
func Parse(data []byte, path string) (*Manifest, error) {
	d := &decoder{file: path}
	m := &Manifest{Path: path, Dir: filepath.Dir(path)}
	var doc yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc)
	switch {
	case errors.Is(err, io.EOF) || err == nil && (len(doc.Content) == 0 || doc.Content[0].Tag == "!!null"):
		d.errorf(nil, "the manifest is empty", "write image:, service:, hosts:")
	case err != nil:
		d.syntax(err)
	default:
		d.manifest(doc.Content[0], m)
	}
	if len(d.diags) > 0 {
		sort.SliceStable(d.diags, func(i, j int) bool {
			a, b := d.diags[i].Pos, d.diags[j].Pos
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Col < b.Col
		})
		return nil, scenario.NewError(d.diags, nil)
	}
	return m, nil
}

type decoder struct {
	file  string
	diags []Diagnostic
	root  *yaml.Node
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file, Line: 1, Col: 1}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format, hint string, args ...any) {
	d.diags = append(d.diags, Diagnostic{Pos: d.pos(n), Message: fmt.Sprintf(format, args...), Hint: hint})
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *decoder) syntax(err error) {
	msg := err.Error()
	p := Pos{File: d.file}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	d.diags = append(d.diags, Diagnostic{Pos: p, Message: "invalid YAML: " + msg, Hint: "check the indentation and quoting"})
}

// field is one key of a mapping.
type field struct {
	key, val *yaml.Node
}

// mapping checks n is a mapping of known keys and returns its fields by
// name; unknown and repeated keys are errors.
func (d *decoder) mapping(n *yaml.Node, what string, known ...string) map[string]field {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, got %s", "", what, describe(n))
		return nil
	}
	out := map[string]field{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := out[k.Value]; dup {
			d.errorf(k, "%s.%s is given twice", "keep one", what, k.Value)
			continue
		}
		if !contains(known, k.Value) {
			hint := "known keys: " + strings.Join(known, ", ")
			if s := closest(k.Value, known); s != "" {
				hint = "did you mean " + s + "?"
			}
			d.errorf(k, "unknown key %s in %s", hint, strconv.Quote(k.Value), what)
			continue
		}
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		out[k.Value] = field{k, v}
	}
	return out
}

func (d *decoder) str(f field, what string) string {
	if f.val == nil {
		return ""
	}
	if f.val.Kind != yaml.ScalarNode || f.val.Tag == "!!null" {
		d.errorf(f.val, "%s must be a string, got %s", "", what, describe(f.val))
		return ""
	}
	return f.val.Value
}

func (d *decoder) integer(f field, what string, lo, hi int) int {
	if f.val == nil {
		return 0
	}
	n, err := strconv.Atoi(f.val.Value)
	if f.val.Kind != yaml.ScalarNode || f.val.Tag != "!!int" || err != nil {
		d.errorf(f.val, "%s must be a whole number, got %s", "", what, describe(f.val))
		return 0
	}
	if n < lo || n > hi {
		d.errorf(f.val, "%s must be between %d and %d, got %d", "", what, lo, hi, n)
		return 0
	}
	return n
}

func (d *decoder) boolean(f field, what string) bool {
	if f.val == nil {
		return false
	}
	if f.val.Tag != "!!bool" {
		d.errorf(f.val, "%s must be true or false, got %s", "", what, describe(f.val))
		return false
	}
	return f.val.Value == "true"
}

func (d *decoder) duration(f field, what string, def time.Duration) time.Duration {
	if f.val == nil {
		return def
	}
	v, err := time.ParseDuration(f.val.Value)
	if f.val.Kind != yaml.ScalarNode || err != nil || v <= 0 {
		d.errorf(f.val, "%s must be a positive duration such as 30s or 2m, got %s", "write the unit: 30s", what, describe(f.val))
		return def
	}
	return v
}

func (d *decoder) strings(f field, what string) []string {
	if f.val == nil {
		return nil
	}
	if f.val.Kind != yaml.SequenceNode {
		d.errorf(f.val, "%s must be a list of strings, got %s", "", what, describe(f.val))
		return nil
	}
	var out []string
	for i, it := range f.val.Content {
		out = append(out, d.str(field{val: it}, fmt.Sprintf("%s[%d]", what, i)))
	}
	return out
}

func (d *decoder) manifest(root *yaml.Node, m *Manifest) {
	f := d.mapping(root, "the manifest", "image", "service", "strategy", "transfer", "hosts", "rollout", "ssh")
	if f == nil {
		return
	}
	d.root = root
	if img, ok := f["image"]; ok {
		m.Image = d.str(img, "image")
		m.ImagePos = d.pos(img.val)
		if m.Image != "" && !strings.Contains(m.Image, "@sha256:") {
			d.errorf(img.val, "image %s is not pinned to a digest", "write REPO@sha256:... (xedgesim push prints it); a tag could move between simulate and deploy", strconv.Quote(m.Image))
		}
	}
	if s, ok := f["service"]; ok {
		d.service(s.val, &m.Service)
	} else {
		d.errorf(root, "the manifest has no service", "add service: {name: ..., health: {tcp: PORT}}")
	}
	m.Strategy = StrategyContainer
	if s, ok := f["strategy"]; ok {
		d.strategy(s.val, m)
	}
	m.Transfer = TransferSCP
	if t, ok := f["transfer"]; ok {
		m.Transfer = Transfer(d.str(t, "transfer"))
		if m.Transfer != TransferSCP && m.Transfer != TransferPull {
			d.errorf(t.val, "unknown transfer %s", "write scp (the image over SSH) or pull (the host pulls by digest)", strconv.Quote(string(m.Transfer)))
		}
	}
	if h, ok := f["hosts"]; ok {
		d.hosts(h.val, m)
	} else {
		d.errorf(root, "the manifest has no hosts", "add hosts: [{name: edge1, address: 10.0.0.11, user: pi, known_hosts: ...}]")
	}
	m.Rollout = Rollout{Canary: 1, Batch: 1, Rollback: true}
	if r, ok := f["rollout"]; ok {
		if rf := d.mapping(r.val, "rollout", "canary", "batch", "max_failures", "rollback"); rf != nil {
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
		}
	}
	m.SSH.Timeout = DefaultSSHTimeout
	if s, ok := f["ssh"]; ok {
		d.ssh(s.val, &m.SSH)
	}
}

var (
	serviceName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	portSpec    = regexp.MustCompile(`^(?:[0-9.:\[\]a-f]+:)?(?:\d{1,5}:)?\d{1,5}(?:/(?:tcp|udp))?$`)
	memorySpec  = regexp.MustCompile(`^\d+[bkmgBKMG]?$`)
	modeSpec    = regexp.MustCompile(`^0?[0-7]{3}$`)
)

func (d *decoder) service(n *yaml.Node, s *Service) {
	f := d.mapping(n, "service", "name", "restart", "ports", "volumes", "env", "command", "memory", "cpus", "files", "health")
	if f == nil {
		return
	}
	s.Name = d.str(f["name"], "service.name")
	if _, ok := f["name"]; !ok {
		d.errorf(n, "service has no name", "add name: the container's name on every host")
	} else if s.Name != "" && !serviceName.MatchString(s.Name) {
		d.errorf(f["name"].val, "service.name %s is not a valid container name", "use letters, digits, _ . -", strconv.Quote(s.Name))
	}
	s.Restart = DefaultRestart
	if r, ok := f["restart"]; ok {
		s.Restart = d.str(r, "service.restart")
		switch base, _, _ := strings.Cut(s.Restart, ":"); base {
		case "no", "always", "unless-stopped", "on-failure":
		default:
			d.errorf(r.val, "unknown restart policy %s", "write no, always, unless-stopped or on-failure[:N]", strconv.Quote(s.Restart))
		}
	}
	s.Ports = d.strings(f["ports"], "service.ports")
	for i, p := range s.Ports {
		if !portSpec.MatchString(p) {
			d.errorf(f["ports"].val.Content[i], "port %s is not HOST:CONTAINER", `write "1883:1883" (quoted: YAML reads 22:22 as a number)`, strconv.Quote(p))
		}
	}
	s.Volumes = d.strings(f["volumes"], "service.volumes")
	for i, v := range s.Volumes {
		if !strings.Contains(v, ":") {
			d.errorf(f["volumes"].val.Content[i], "volume %s is not HOST:CONTAINER", `write "/opt/app/data:/data"`, strconv.Quote(v))
		}
	}
	if e, ok := f["env"]; ok {
		if e.val.Kind != yaml.MappingNode {
			d.errorf(e.val, "service.env must be a mapping of NAME: value, got %s", "", describe(e.val))
		} else {
			s.Env = map[string]string{}
			for i := 0; i+1 < len(e.val.Content); i += 2 {
				k, v := e.val.Content[i], e.val.Content[i+1]
				if v.Kind != yaml.ScalarNode {
					d.errorf(v, "service.env.%s must be a string, got %s", "", k.Value, describe(v))
					continue
				}
				s.Env[k.Value] = v.Value
			}
		}
	}
	s.Command = d.strings(f["command"], "service.command")
	if mem, ok := f["memory"]; ok {
		s.Memory = d.str(mem, "service.memory")
		if !memorySpec.MatchString(s.Memory) {
			d.errorf(mem.val, "service.memory %s is not a size", "write 128m or 1g", strconv.Quote(s.Memory))
		}
	}
	if c, ok := f["cpus"]; ok {
		v, err := strconv.ParseFloat(c.val.Value, 64)
		if c.val.Kind != yaml.ScalarNode || err != nil || v <= 0 {
			d.errorf(c.val, "service.cpus must be a positive number, got %s", "write 0.5", describe(c.val))
		}
		s.CPUs = v
	}
	if fl, ok := f["files"]; ok {
		if fl.val.Kind != yaml.SequenceNode {
			d.errorf(fl.val, "service.files must be a list, got %s", "", describe(fl.val))
		} else {
			for i, it := range fl.val.Content {
				w := fmt.Sprintf("service.files[%d]", i)
				ff := d.mapping(it, w, "src", "dst", "mode")
				if ff == nil {
					continue
				}
				file := File{Src: d.str(ff["src"], w+".src"), Dst: d.str(ff["dst"], w+".dst"), Mode: "0644", Pos: d.pos(it)}
				if m, ok := ff["mode"]; ok {
					file.Mode = d.str(m, w+".mode")
					if !modeSpec.MatchString(file.Mode) {
						d.errorf(m.val, "%s.mode %s is not an octal mode", `write "0640" (quoted)`, w, strconv.Quote(file.Mode))
					}
				}
				if file.Src == "" || file.Dst == "" {
					d.errorf(it, "%s needs src and dst", "write {src: deploy/app.conf, dst: /opt/app/app.conf}", w)
				} else if !strings.HasPrefix(file.Dst, "/") {
					d.errorf(ff["dst"].val, "%s.dst must be an absolute path on the host", "", w)
				}
				s.Files = append(s.Files, file)
			}
		}
	}
	s.Health = Health{Timeout: DefaultHealthTimeout, Interval: DefaultHealthInterval, Window: DefaultHealthWindow}
	if h, ok := f["health"]; ok {
		d.health(h.val, &s.Health)
	} else {
		d.errorf(n, "service has no health check", "add health: {tcp: PORT} or health: {http: {port: 8080, path: /healthz}}: a deploy that cannot tell a broken service from a good one cannot roll back")
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
		hf := d.mapping(hv.val, "service.health.http", "port", "path", "status")
		if hf != nil {
			h.HTTP = &HTTPHealth{Port: d.integer(hf["port"], "service.health.http.port", 1, 65535), Path: "/", Status: 200}
			if _, ok := hf["port"]; !ok {
				d.errorf(hv.val, "service.health.http has no port", "write http: {port: 8080, path: /healthz}")
			}
			if p, ok := hf["path"]; ok {
				h.HTTP.Path = d.str(p, "service.health.http.path")
				if !strings.HasPrefix(h.HTTP.Path, "/") {
					d.errorf(p.val, "service.health.http.path must start with /", "")
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
		d.errorf(n, "service.health needs exactly one of tcp, http, mqtt and cmd, got %d", "write {tcp: 1883}, {mqtt: 1883} or {http: {port: 8080, path: /}}", kinds)
	}
	h.Timeout = d.duration(f["timeout"], "service.health.timeout", DefaultHealthTimeout)
	h.Interval = d.duration(f["interval"], "service.health.interval", DefaultHealthInterval)
	h.Window = d.duration(f["window"], "service.health.window", DefaultHealthWindow)
}

// mqttHealth reads mqtt: PORT or mqtt: {port, topic}.
func (d *decoder) mqttHealth(m field) *MQTTHealth {
	if m.val.Kind == yaml.ScalarNode {
		return &MQTTHealth{Port: d.integer(m, "service.health.mqtt", 1, 65535)}
	}
	mf := d.mapping(m.val, "service.health.mqtt", "port", "topic")
	if mf == nil {
		return nil
	}
	if _, ok := mf["port"]; !ok {
		d.errorf(m.val, "service.health.mqtt has no port", "write mqtt: 1883 or mqtt: {port: 1883, topic: health/check}")
	}
	mh := &MQTTHealth{Port: d.integer(mf["port"], "service.health.mqtt.port", 1, 65535)}
	if t, ok := mf["topic"]; ok {
		mh.Topic = d.str(t, "service.health.mqtt.topic")
		if mh.Topic == "" || strings.ContainsAny(mh.Topic, "+#") {
			d.errorf(t.val, "service.health.mqtt.topic must be a topic name without wildcards", "write topic: health/check")
		}
	}
	return mh
}

var fingerprint = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)

func (d *decoder) hostKeys(f map[string]field, what string, n *yaml.Node) (string, []string) {
	kh := d.str(f["known_hosts"], what+".known_hosts")
	fps := d.strings(f["fingerprints"], what+".fingerprints")
	if fp, ok := f["fingerprint"]; ok {
		fps = append(fps, d.str(fp, what+".fingerprint"))
	}
	for _, fp := range fps {
		if !fingerprint.MatchString(fp) {
			d.errorf(n, "%s: %s is not a SHA256 fingerprint", "write SHA256:... as ssh-keygen -lf prints it", what, strconv.Quote(fp))
		}
	}
	if kh != "" {
		if _, err := ParseKnownHosts(kh); err != nil {
			d.errorf(f["known_hosts"].val, "%s.known_hosts: %v", "paste lines of ssh-keyscan HOST", what, err)
		}
	}
	if kh == "" && len(fps) == 0 {
		d.errorf(n, "%s has no known_hosts and no fingerprint: its host key could not be checked", "add known_hosts: (a line of ssh-keyscan HOST) or fingerprint: SHA256:...; host keys are never skipped", what)
	}
	return kh, fps
}

func (d *decoder) hosts(n *yaml.Node, m *Manifest) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.errorf(n, "hosts must be a non-empty list, got %s", "write hosts: [{name: edge1, address: 10.0.0.11, user: pi, known_hosts: ...}]", describe(n))
		return
	}
	seen := map[string]bool{}
	for i, it := range n.Content {
		w := fmt.Sprintf("hosts[%d]", i)
		f := d.mapping(it, w, "name", "address", "port", "user", "known_hosts", "fingerprint", "fingerprints", "platform", "local")
		if f == nil {
			continue
		}
		h := Host{Name: d.str(f["name"], w+".name"), Pos: d.pos(it), Local: d.boolean(f["local"], w+".local")}
		if h.Name == "" {
			d.errorf(it, "%s has no name", "add name: edge1", w)
		} else if seen[h.Name] {
			d.errorf(f["name"].val, "host %s is listed twice", "", strconv.Quote(h.Name))
		}
		seen[h.Name] = true
		h.Platform = d.str(f["platform"], w+".platform")
		if p, ok := f["platform"]; ok {
			if parts := strings.Split(h.Platform, "/"); len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
				d.errorf(p.val, "%s.platform %s is not OS/ARCH", "write linux/arm64 or linux/arm/v7", w, strconv.Quote(h.Platform))
			}
		}
		if h.Local {
			// The engine of the machine deploy runs on: no SSH settings.
			for _, k := range []string{"address", "port", "user", "known_hosts", "fingerprint", "fingerprints"} {
				if e, ok := f[k]; ok {
					d.errorf(e.key, "%s is local: it takes no %s", "remove "+k+" or local: true", w, k)
				}
			}
			m.Hosts = append(m.Hosts, h)
			continue
		}
		h.Address = d.str(f["address"], w+".address")
		if h.Address == "" {
			d.errorf(it, "%s has no address", "add address: 10.0.0.11", w)
		}
		h.Port = 22
		if p, ok := f["port"]; ok {
			h.Port = d.integer(p, w+".port", 1, 65535)
		}
		h.User = d.str(f["user"], w+".user")
		if h.User == "" {
			d.errorf(it, "%s has no user", "add user: pi", w)
		}
		h.KnownHosts, h.Fingerprints = d.hostKeys(f, w, it)
		m.Hosts = append(m.Hosts, h)
	}
}

func (d *decoder) ssh(n *yaml.Node, s *SSH) {
	f := d.mapping(n, "ssh", "key", "passphrase", "jump", "timeout")
	if f == nil {
		return
	}
	s.Key = d.str(f["key"], "ssh.key")
	s.Passphrase = d.str(f["passphrase"], "ssh.passphrase")
	if p, ok := f["passphrase"]; ok && s.Passphrase != "" && !strings.HasPrefix(s.Passphrase, "$") {
		d.errorf(p.val, "ssh.passphrase is written in the manifest", "write passphrase: $DEPLOY_PASSPHRASE (read from the environment) or use --passphrase-stdin; never commit a secret")
	}
	s.Timeout = d.duration(f["timeout"], "ssh.timeout", DefaultSSHTimeout)
	if j, ok := f["jump"]; ok {
		jf := d.mapping(j.val, "ssh.jump", "address", "port", "user", "known_hosts", "fingerprint", "fingerprints")
		if jf == nil {
			return
		}
		s.Jump = &Jump{Address: d.str(jf["address"], "ssh.jump.address"), User: d.str(jf["user"], "ssh.jump.user"), Port: 22}
		if p, ok := jf["port"]; ok {
			s.Jump.Port = d.integer(p, "ssh.jump.port", 1, 65535)
		}
		if s.Jump.Address == "" || s.Jump.User == "" {
			d.errorf(j.val, "ssh.jump needs address and user", "")
		}
		s.Jump.KnownHosts, s.Jump.Fingerprints = d.hostKeys(jf, "ssh.jump", j.val)
	}
}

// describe names what the user wrote, for "got ..." in messages.
func describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "no value"
	case "!!bool":
		return "the boolean " + n.Value
	case "!!int", "!!float":
		return "the number " + n.Value
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return strconv.Quote(v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest is the known key within two edits of s, if any.
func closest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if dd := editDistance(s, k); dd < bestD {
			best, bestD = k, dd
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
