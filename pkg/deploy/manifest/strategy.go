package manifest

import (
	"path"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// DefaultDir is where the compose and native strategies keep their files on
// a host: DIR/SERVICE.
const DefaultDir = "/opt/xedgesim"

// Compose is strategy {compose: {file, service, dir}}: the service runs
// from a compose file applied with the host's compose tool.
type Compose struct {
	// File is the compose file as written (relative to the manifest's
	// directory); Data its content, read and checked when the manifest is
	// loaded, so that what is checked is what is deployed.
	File string `json:"file"`
	Data []byte `json:"-"`
	// Service is the compose service that runs the deployed image; its
	// image: is pinned to the digest. Default: service.name.
	Service string `json:"service"`
	// Dir is the directory on the host that holds the compose file (and is
	// the compose project directory). Default: /opt/xedgesim/SERVICE.
	Dir string `json:"dir"`
	Pos Pos    `json:"-"`
}

// Supervisor runs a native program.
type Supervisor string

// The supervisors.
const (
	// SupervisorSupervisord writes a [program:SERVICE] section into the
	// conf.d directory beside supervisord's config.
	SupervisorSupervisord Supervisor = "supervisord"
	// SupervisorSystemd writes a unit to /etc/systemd/system.
	SupervisorSystemd Supervisor = "systemd"
)

// DefaultSupervisordConfig is Debian's supervisord config.
const DefaultSupervisordConfig = "/etc/supervisor/supervisord.conf"

// Native is strategy {native: {binary, supervisor, config, dir, keep}}: the
// program is taken out of the image and run by a supervisor, without a
// container engine.
type Native struct {
	// Binary is the program's path inside the image; empty means the
	// image's entrypoint.
	Binary     string     `json:"binary,omitempty"`
	Supervisor Supervisor `json:"supervisor"`
	// Config is supervisord's config file on the host (supervisord only);
	// the program section goes to conf.d beside it.
	Config string `json:"config,omitempty"`
	// Dir holds DIR/SERVICE/releases/VERSION/ and the current symlink.
	Dir string `json:"dir"`
	// Keep is how many releases stay on the host (the current one and
	// the ones before it, for rollback).
	Keep int `json:"keep"`
	Pos  Pos `json:"-"`
}

// UnitPath is where the systemd unit of service goes.
func UnitPath(service string) string { return "/etc/systemd/system/" + service + ".service" }

// strategy reads strategy: as a name (container, native) or a mapping of
// one name to its settings.
func (d *decoder) strategy(n *yaml.Node, m *Manifest) {
	name, body := n.Value, (*yaml.Node)(nil)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			d.Errorf(n, "", "write container, native, or {compose: {file: compose.yaml}}", "strategy has no value")
			return
		}
	case yaml.MappingNode:
		f := d.mapping(n, "strategy", string(StrategyContainer), string(StrategyCompose), string(StrategyNative))
		if f == nil {
			return
		}
		if len(f) != 1 {
			if len(n.Content) == 2*len(f) {
				d.Errorf(n, "", "write {compose: {file: ...}} or {native: {binary: ...}}", "strategy names %d strategies, want one", len(f))
			}
			return
		}
		for k, v := range f {
			name, body = k, v.Val
		}
		if body.Tag == "!!null" {
			body = nil
		}
	default:
		d.Errorf(n, "", "write container, native, or {compose: {file: compose.yaml}}", "strategy must be a name or a mapping, got %s", yamldiag.Describe(n))
		return
	}
	m.Strategy = Strategy(name)
	switch m.Strategy {
	case StrategyContainer:
		if body != nil {
			d.Errorf(body, "", "write strategy: container", "strategy container has no settings")
		}
	case StrategyCompose:
		if body == nil {
			d.Errorf(n, "", "write strategy: {compose: {file: deploy/compose.yaml}}", "strategy compose needs the compose file")
			return
		}
		d.compose(body, m)
	case StrategyNative:
		d.native(body, n, m)
	default:
		hint := "write container, native, or {compose: {file: compose.yaml}}"
		if s := yamldiag.Suggest(name, []string{"container", "compose", "native"}); s != "" {
			hint = "did you mean " + s + "?"
		}
		d.Errorf(n, "", hint, "unknown strategy %s", strconv.Quote(name))
	}
}

func (d *decoder) compose(n *yaml.Node, m *Manifest) {
	f := d.mapping(n, "strategy.compose", "file", "service", "dir")
	if f == nil {
		return
	}
	c := &Compose{File: d.str(f["file"], "strategy.compose.file"), Service: d.str(f["service"], "strategy.compose.service"), Pos: d.Pos(n)}
	m.Compose = c
	if c.Service == "" {
		c.Service = m.Service.Name
	}
	c.Dir = d.hostDir(f["dir"], "strategy.compose.dir", m.Service.Name)
	if c.File == "" {
		d.Errorf(n, "", "write {compose: {file: deploy/compose.yaml}}", "strategy.compose has no file")
		return
	}
	// The compose file says how the service runs.
	if k := d.serviceKey("restart", "ports", "volumes", "env", "command", "memory", "cpus", "network"); k != nil {
		d.Errorf(k, "", "move it into "+c.File, "service.%s does not apply to strategy compose: the compose file says how the service runs", k.Value)
	}
	d.composeFile(f["file"].Val, m)
}

func (d *decoder) native(n, strategy *yaml.Node, m *Manifest) {
	nat := &Native{Supervisor: SupervisorSupervisord, Keep: 2, Pos: d.Pos(strategy)}
	m.Native = nat
	var f map[string]field
	if n != nil {
		if f = d.mapping(n, "strategy.native", "binary", "supervisor", "config", "dir", "keep"); f == nil {
			return
		}
	}
	nat.Binary = d.str(f["binary"], "strategy.native.binary")
	if b, ok := f["binary"]; ok && !strings.HasPrefix(nat.Binary, "/") {
		d.Errorf(b.Val, "", "write /ko-app/NAME or /app; leave it out to use the image's entrypoint", "strategy.native.binary must be an absolute path inside the image")
	}
	if s, ok := f["supervisor"]; ok {
		nat.Supervisor = Supervisor(d.str(s, "strategy.native.supervisor"))
		if nat.Supervisor != SupervisorSupervisord && nat.Supervisor != SupervisorSystemd {
			d.Errorf(s.Val, "", "write supervisord (a [program:] section) or systemd (a unit)", "unknown supervisor %s", strconv.Quote(string(nat.Supervisor)))
		}
	}
	if c, ok := f["config"]; ok {
		nat.Config = d.str(c, "strategy.native.config")
		switch {
		case nat.Supervisor == SupervisorSystemd:
			d.Errorf(c.Key, "", "leave config out", "strategy.native.config is supervisord's config file, and the supervisor is systemd")
		case !strings.HasPrefix(nat.Config, "/"):
			d.Errorf(c.Val, "", "write "+DefaultSupervisordConfig, "strategy.native.config must be an absolute path on the host")
		}
	} else if nat.Supervisor == SupervisorSupervisord {
		nat.Config = DefaultSupervisordConfig
	}
	if k, ok := f["keep"]; ok {
		nat.Keep = d.integer(k, "strategy.native.keep", 2, 100)
	}
	nat.Dir = d.hostDir(f["dir"], "strategy.native.dir", m.Service.Name)
	// What a container has and a bare process has not.
	if n := d.serviceKey("ports", "volumes", "network"); n != nil {
		d.Errorf(n, "", "remove it; the program binds its ports itself", "service.%s does not apply to strategy native: the program runs on the host", n.Value)
	}
	if t := mapKey(d.root, "transfer"); t != nil {
		d.Errorf(t, "", "remove transfer:", "transfer does not apply to strategy native: only the program goes to the host, over SSH")
	}
	if nat.Supervisor == SupervisorSupervisord {
		d.checkSupervisordEnv()
		if n := d.serviceKey("memory", "cpus"); n != nil {
			d.Errorf(n, "", "remove it or write supervisor: systemd", "service.%s needs supervisor: systemd; supervisord cannot limit it", n.Value)
		}
	}
}

// hostDir is a dir: setting, default DefaultDir; the service's files go
// under DIR/SERVICE.
func (d *decoder) hostDir(f field, what, service string) string {
	dir := DefaultDir
	if f.Val != nil {
		dir = d.str(f, what)
		if !strings.HasPrefix(dir, "/") {
			d.Errorf(f.Val, "", "write "+DefaultDir, "%s must be an absolute path on the host", what)
		}
		d.checkValue(f.Val, what, dir)
	}
	return path.Join(dir, service)
}

// serviceKey is the first of keys written in service:, or nil.
func (d *decoder) serviceKey(keys ...string) *yaml.Node {
	svc := mapValue(d.root, "service")
	if svc == nil || svc.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(svc.Content); i += 2 {
		if slices.Contains(keys, svc.Content[i].Value) {
			return svc.Content[i]
		}
	}
	return nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
