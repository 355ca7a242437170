package scenario

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/ident"
	"github.com/xedgesim/simulate/internal/yamldiag"
)

func (d *decoder) nodes(e yamldiag.Entry, r *refs) []Node {
	seq := d.list(e.Val, "nodes", "'nodes' section", "write each node as a list item: - id: sensor1")
	if seq == nil {
		return nil
	}
	if len(seq.Content) == 0 {
		d.Errorf(e.Val, "nodes", "add at least one node, e.g. - {id: sensor1, type: sensor, port: 5001}",
			"no nodes defined in scenario")
		return nil
	}
	if len(seq.Content) > d.maxNodes {
		// Every entry is one node or more. Refused before decoding: a
		// 16 MiB file of aliases ("- *n") holds 2.6 million entries, and
		// decoding them took 2 GB before checkLimits counted them.
		atLeast := "" // the count is exact unless a group adds devices
		for _, item := range seq.Content {
			if valueOf(item, "count") != nil {
				atLeast = "at least "
				break
			}
		}
		d.tooManyNodes(e.Val, atLeast, len(seq.Content), d.maxNodes)
		return nil
	}
	return decodeItems(d, seq, "nodes", secNode, "write a node as keys indented under '- ': id:, type: and port:",
		make([]Node, 0, len(seq.Content)), func(path string, m *yamldiag.Mapping) (Node, bool) {
			return d.node(path, m, r)
		})
}

// implementations in the order messages list them.
var implementations = []string{ImplPythonModel, ImplDocker, ImplRenode, ImplProcess}

// renodeKeys are read for renode_inprocess nodes only, as upstream does.
var renodeKeys = []string{"platform", "firmware", "monitor_port", "working_dir", "seed"}

// groupID is the id whose charset is checked: a device group's id with
// {i} standing for a device's number (its own rules are the group's), any
// other id as written.
func groupID(m *yamldiag.Mapping, id string) string {
	if _, ok := m.Get("count"); ok {
		return strings.ReplaceAll(id, "{i}", "1")
	}
	return id
}

func (d *decoder) node(path string, m *yamldiag.Mapping, r *refs) (Node, bool) {
	n := Node{Implementation: ImplPythonModel, Pos: d.Pos(m.Node)}
	who := path
	ref := nodeRef{path: path, use: m.Use}

	if e, ok := m.Get("id"); !ok {
		d.Errorf(m.Node, path+".id", "add id: <name>", "%s: missing required field 'id'", path)
	} else if id, ok := d.str(e.Val, path+".id", "sensor1"); ok {
		if id == "" {
			d.Errorf(e.Val, path+".id", "write id: sensor1", "%s.id must not be empty", path)
		} else if err := ident.Check(path+".id", groupID(m, id)); err != nil {
			// Ids name files, containers and network aliases: refused here,
			// not when a run fails to create them.
			d.Errorf(e.Val, path+".id", "write id: sensor1", "%v", err)
		}
		n.ID = id
		who = fmt.Sprintf("%s (id=%s)", path, yamldiag.Short(id))
		ref.id = e.Val
	}
	if e, ok := m.Get("type"); !ok {
		d.Errorf(m.Node, path+".type", "add type: sensor; upstream does not interpret it, so any name will do",
			"%s: missing required field 'type'", who)
	} else if t, ok := d.str(e.Val, path+".type", "sensor"); ok {
		n.Type = t
	}
	if e, ok := m.Get("implementation"); ok {
		if impl, ok := d.str(e.Val, path+".implementation", ImplPythonModel); ok {
			if contains(implementations, impl) {
				n.Implementation = impl
			} else {
				hint := "write implementation: python_model"
				if s := yamldiag.Suggest(impl, implementations); s != "" {
					hint = "did you mean " + s + "?"
				}
				d.Errorf(e.Val, path+".implementation", hint,
					"%s: implementation must be 'python_model', 'docker', 'renode_inprocess' or 'process', got '%s'", who, yamldiag.Short(impl))
				n.Implementation = ""
			}
		}
	}

	d.count(&n, m, path, who)

	// With config.command xedgesim starts the node itself, and with
	// config.address it connects where it is told: neither needs a port. A
	// docker node publishes what its docker section says.
	started := false
	if e, ok := m.Get("config"); ok {
		started = d.nodeConfig(&n, e, path)
	}

	if e, ok := m.Get("port"); ok {
		if p, ok := d.integer(e.Val, path+".port", "5001"); ok {
			if p < 1 || p > 65535 {
				d.Errorf(e.Val, path+".port", "write a TCP port between 1 and 65535", "%s.port must be between 1 and 65535, got %s", path, yamldiag.Written(e.Val))
			} else {
				n.Port, n.HasPort = int(p), true
				ref.port = e.Val
			}
		}
	} else if n.Implementation == ImplPythonModel && !started && !isGroup(m) {
		d.Errorf(m.Node, path+".port", "add port: <the TCP port the node listens on>, or config.command to have xedgesim start the node",
			"%s: missing required field 'port' for %s", who, n.Implementation)
	}

	if e, ok := m.Get("docker"); ok {
		if n.Implementation != ImplDocker {
			d.Warnf(e.Key, path+".docker", "set implementation: docker, or remove docker:",
				"%s: docker is read only when implementation is docker; ignored", who)
		} else if d.Map(e.Val, path+".docker", path+": 'docker' section", "write docker: with image: and other keys indented under it") != nil {
			n.Docker, _ = d.Value(e.Val, path+".docker").(map[string]any)
		}
	}

	if n.Implementation == ImplRenode {
		d.renode(&n, m, path, who)
	} else {
		for _, k := range renodeKeys {
			if e, ok := m.Get(k); ok {
				d.Warnf(e.Key, path+"."+k, "set implementation: renode_inprocess, or remove "+k+":",
					"%s: %s is read only for renode_inprocess nodes; ignored", who, k)
			}
		}
	}

	if n.Implementation == ImplProcess && !started && !n.HasPort {
		d.Errorf(m.Node, path+".config.command", "add config: {command: [./sensor, --flag]} for xedgesim to start it, or config.address or port to connect to it",
			"%s: a process node needs config.command, config.address or port", who)
	}
	r.nodes = append(r.nodes, ref)
	return n, true
}

// nodeConfig reads a node's config section, which upstream drops and we pass
// to the node. It reports whether config.command or config.address is set.
func (d *decoder) nodeConfig(n *Node, e yamldiag.Entry, path string) bool {
	cpath := path + ".config"
	cm := d.Map(e.Val, cpath, cpath, "write config: with key: value pairs indented under it")
	if cm == nil {
		return false
	}
	n.Config = make(map[string]any, len(cm.Entries))
	n.ConfigPos = make(map[string]Pos, len(cm.Entries))
	for _, ce := range cm.Entries {
		kr := yamldiag.Deref(ce.Key)
		if kr == nil || kr.Kind != yaml.ScalarNode {
			d.Errorf(ce.Key, cpath, "use a plain name as the key", "%s has a key that is %s", cpath, yamldiag.Describe(ce.Key))
			continue
		}
		n.Config[ce.Name] = d.Value(ce.Val, cpath+"."+ce.Name)
		n.ConfigPos[ce.Name] = d.Pos(ce.Key)
	}
	started := false
	if ce, ok := cm.Get("command"); ok {
		started = d.command(ce.Val, cpath+".command")
	}
	if ae, ok := cm.Get("address"); ok {
		if a, ok := d.str(ae.Val, cpath+".address", "localhost:5001"); ok {
			if a == "" {
				d.Errorf(ae.Val, cpath+".address", "write address: localhost:5001", "%s.address must not be empty", cpath)
			} else {
				started = true
			}
		}
	}
	return started
}

// command checks config.command: a string, or a list of strings (argv).
func (d *decoder) command(raw *yaml.Node, path string) bool {
	hint := "write command: ./node, or command: [./node, --flag]"
	n := yamldiag.Deref(raw)
	switch {
	case n != nil && n.Kind == yaml.ScalarNode && yamldiag.Tag(n) == "!!str":
		if strings.TrimSpace(n.Value) == "" {
			d.Errorf(raw, path, hint, "%s must not be empty", path)
			return false
		}
		return true
	case n != nil && n.Kind == yaml.SequenceNode:
		if len(n.Content) == 0 {
			d.Errorf(raw, path, hint, "%s must not be empty", path)
			return false
		}
		good := true
		for i, a := range n.Content {
			ar := yamldiag.Deref(a)
			if ar == nil || ar.Kind != yaml.ScalarNode || yamldiag.Tag(ar) == "!!null" {
				d.Errorf(a, fmt.Sprintf("%s[%d]", path, i), hint, "%s[%d] must be a string, got %s", path, i, yamldiag.Describe(a))
				good = false
			}
		}
		if s := yamldiag.Deref(n.Content[0]); good && strings.TrimSpace(s.Value) == "" {
			d.Errorf(n.Content[0], path+"[0]", hint, "%s[0], the program, must not be empty", path)
			good = false
		}
		return good
	}
	d.Errorf(raw, path, hint, "%s must be a string or a list of strings, got %s", path, yamldiag.Describe(raw))
	return false
}

// renode reads the renode_inprocess fields. Upstream's coordinator and
// launcher require platform and firmware; their files are checked when the
// node starts, not here (the corpus names firmware that is built later).
func (d *decoder) renode(n *Node, m *yamldiag.Mapping, path, who string) {
	for _, k := range []struct {
		key, example string
		dst          *string
	}{
		{"platform", "platforms/nrf52840.repl", &n.Platform},
		{"firmware", "firmware/build/zephyr/zephyr.elf", &n.Firmware},
	} {
		e, ok := m.Get(k.key)
		if !ok || yamldiag.IsNull(e.Val) {
			d.Errorf(m.Node, path+"."+k.key, "add "+k.key+": "+k.example,
				"%s: '%s' required for renode_inprocess", who, k.key)
			continue
		}
		if s, ok := d.str(e.Val, path+"."+k.key, k.example); ok {
			*k.dst = s
			if n.KeyPos == nil {
				n.KeyPos = map[string]Pos{}
			}
			n.KeyPos[k.key] = d.Pos(e.Val)
		}
	}
	if e, ok := m.Get("monitor_port"); ok {
		if p, ok := d.integer(e.Val, path+".monitor_port", "1234"); ok {
			if p < 1 || p > 65535 {
				d.Errorf(e.Val, path+".monitor_port", "write a TCP port between 1 and 65535",
					"%s.monitor_port must be between 1 and 65535, got %s", path, yamldiag.Written(e.Val))
			} else {
				n.MonitorPort = int(p)
			}
		}
	}
	if e, ok := m.Get("working_dir"); ok {
		if s, ok := d.str(e.Val, path+".working_dir", "/tmp/xedgesim/"+n.ID); ok {
			n.WorkingDir = s
		}
	}
	if e, ok := m.Get("seed"); ok {
		if s, ok := d.integer(e.Val, path+".seed", "42"); ok {
			n.Seed = &s
		}
	}
}
