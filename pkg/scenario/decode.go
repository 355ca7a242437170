package scenario

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/ident"
	"github.com/xedgesim/simulate/internal/yamldiag"
)

// nodeRef and linkRef remember where ids were written, for the checks that
// look across sections (validate.go).
type nodeRef struct {
	path string
	id   *yaml.Node
	port *yaml.Node
}

type linkRef struct {
	path     string
	src, dst *yaml.Node
}

// refs are the positions the cross-section checks point at.
type refs struct {
	nodes  []nodeRef
	links  []linkRef
	scopes []scopeRef
	faults []*yaml.Node
	// observerNames are the observers' name values; observes the
	// assertions' where.observe values.
	observerNames []*yaml.Node
	observes      []observeRef
}

// scenario reads the document's root mapping into s.
func (d *decoder) scenario(root *yaml.Node, s *Scenario, r *refs) {
	top := d.AsMap(root, "")
	if top == nil {
		d.Errorf(root, "", "start the file with the simulation: and nodes: sections",
			"a scenario must be a YAML mapping of sections, got %s", yamldiag.Describe(root))
		return
	}
	d.checkKeys(top, secTop)

	simE, hasSim := top.Get("simulation")
	nodesE, hasNodes := top.Get("nodes")
	switch {
	case !hasSim && !hasNodes:
		d.Errorf(root, "", "an xEdgeSim scenario has simulation: {duration_s, seed} and nodes: [{id, type, port}]; `xedgesim schema` prints the format",
			"not an xEdgeSim scenario: missing required sections 'simulation' and 'nodes'%s", placeholderNote(top))
	case !hasSim:
		d.Errorf(root, "simulation", "add simulation: with duration_s: and seed: under it",
			"missing required section: 'simulation'")
	case !hasNodes:
		d.Errorf(root, "nodes", "add nodes: with at least one node, e.g. - {id: sensor1, type: sensor, port: 5001}",
			"missing required section: 'nodes'")
	}
	if hasSim {
		s.Simulation = d.simulation(simE)
	}
	if hasNodes {
		s.Nodes = d.nodes(nodesE, r)
	}
	s.Network = defaultNetwork()
	if e, ok := top.Get("network"); ok {
		s.Network = d.network(e, r)
	}
	if e, ok := top.Get("ml_inference"); ok {
		s.MLInference = d.mlInference(e)
	}
	if e, ok := top.Get("report"); ok {
		s.Report = d.report(e)
	}
	if e, ok := top.Get("validation"); ok {
		s.Assertions = d.validation(e, r)
	}
	if e, ok := top.Get("faults"); ok {
		s.Faults = d.faults(e, r)
		if seq := yamldiag.Deref(e.Val); seq != nil {
			r.faults = seq.Content
		}
	}
	if e, ok := top.Get("observe"); ok {
		s.Observers = d.observers(e, r)
	}
	d.checkObservers(s, r)
}

// placeholderNote explains a file with neither section: usually one of
// upstream's placeholders (vib-monitoring/config.yaml) or an old format
// with the simulation keys at the top.
func placeholderNote(top *yamldiag.Mapping) string {
	var other []string
	for _, e := range top.Entries {
		if !isKnown(secTop, e.Name) {
			other = append(other, e.Name)
		}
	}
	if len(other) == 0 {
		return ""
	}
	if len(other) > 4 {
		other = append(other[:4], "...")
	}
	return "; it looks like a placeholder or an old-format file (top-level " + strings.Join(other, ", ") + ")"
}

func defaultNetwork() Network {
	return Network{Model: ModelDirect, DefaultLatencyUS: 10000, DefaultLossRate: 0}
}

func (d *decoder) simulation(e yamldiag.Entry) Simulation {
	sim := Simulation{TimeQuantumUS: 1000, Pos: d.Pos(e.Key)}
	m := d.Map(e.Val, "simulation", "'simulation' section", "write simulation: with duration_s: and seed: indented under it")
	if m == nil {
		return sim
	}
	d.checkKeys(m, secSimulation)

	// Upstream reads both with sim.get(), so an explicit null is missing.
	if v, ok := m.Get("duration_s"); !ok || yamldiag.IsNull(v.Val) {
		d.Errorf(e.Key, "simulation.duration_s", "add duration_s: <seconds> under simulation:",
			"missing required field: simulation.duration_s")
	} else if f, ok := d.number(v.Val, "simulation.duration_s", "10"); ok && d.finite(v.Val, "simulation.duration_s", "10", f) {
		switch us := f * 1_000_000; {
		case f <= 0:
			d.Errorf(v.Val, "simulation.duration_s", "write duration_s: 10", "simulation.duration_s must be positive, got %s", yamldiag.Written(v.Val))
		case us >= 1<<63:
			d.Errorf(v.Val, "simulation.duration_s", "write at most 4000000000000 seconds (about 126,000 years)",
				"simulation.duration_s is too large: %s s in microseconds does not fit in 64 bits", yamldiag.Written(v.Val))
		default:
			sim.DurationS = f
			sim.DurationUS = int64(us) // int(duration_s * 1_000_000): truncates, as Python does
			if sim.DurationUS == 0 {
				d.Warnf(v.Val, "simulation.duration_s", "write at least 0.000001",
					"simulation.duration_s is shorter than one microsecond; the run has no steps")
			}
		}
	}
	if v, ok := m.Get("seed"); !ok || yamldiag.IsNull(v.Val) {
		d.Errorf(e.Key, "simulation.seed", "add seed: 42 under simulation:", "missing required field: simulation.seed")
	} else if seed, ok := d.integer(v.Val, "simulation.seed", "42"); ok {
		sim.Seed = seed
	}
	if v, ok := m.Get("time_quantum_us"); ok {
		if q, ok := d.integer(v.Val, "simulation.time_quantum_us", "1000"); ok {
			if q <= 0 {
				d.Errorf(v.Val, "simulation.time_quantum_us", "write time_quantum_us: 1000",
					"simulation.time_quantum_us must be positive, got %s", yamldiag.Written(v.Val))
			} else {
				sim.TimeQuantumUS = q
			}
		}
	}
	if v, ok := m.Get("compat"); ok {
		if c, ok := d.str(v.Val, "simulation.compat", CompatUpstream); ok {
			switch c {
			case CompatUpstream, CompatXedgesim:
				sim.Compat = c
			default:
				hint := "write compat: upstream to drop per-node config as upstream does, or compat: xedgesim (the default)"
				if s := yamldiag.Suggest(c, []string{CompatUpstream, CompatXedgesim}); s != "" {
					hint = "did you mean " + s + "?"
				}
				d.Errorf(v.Val, "simulation.compat", hint, "simulation.compat must be 'upstream' or 'xedgesim', got '%s'", yamldiag.Short(c))
			}
		}
	}
	return sim
}

// list is the sequence at v, or nil after reporting at key, with hint,
// that what must be a list.
func (d *decoder) list(v *yaml.Node, key, what, hint string) *yaml.Node {
	seq := yamldiag.Deref(v)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		d.Errorf(v, key, hint, "%s must be a list, got %s", what, yamldiag.Describe(v))
		return nil
	}
	return seq
}

// required is the entry key of m, the mapping at path; a missing one is
// reported with hint.
func (d *decoder) required(m *yamldiag.Mapping, path, key, hint string) (yamldiag.Entry, bool) {
	e, ok := m.Get(key)
	if !ok {
		d.Errorf(m.Node, path+"."+key, hint, "%s: missing required field '%s'", path, key)
	}
	return e, ok
}

// decodeList decodes the list at v (key), reporting with listHint a value
// that is not a list; its items are read as decodeItems reads them.
func decodeList[T any](d *decoder, v *yaml.Node, key, listHint, section, itemHint string, decode func(path string, m *yamldiag.Mapping) (T, bool)) []T {
	seq := d.list(v, key, key, listHint)
	if seq == nil {
		return nil
	}
	return decodeItems(d, seq, key, section, itemHint, nil, decode)
}

// decodeItems decodes the items of seq, the list at key, until the
// decoder's budget is spent: each must be a mapping (else it is reported
// with hint) with the keys of section, and out gets what decode accepts.
func decodeItems[T any](d *decoder, seq *yaml.Node, key, section, hint string, out []T, decode func(path string, m *yamldiag.Mapping) (T, bool)) []T {
	for i, item := range seq.Content {
		if !d.Spend(item) {
			break
		}
		path := fmt.Sprintf("%s[%d]", key, i)
		m := d.Map(item, path, path, hint)
		if m == nil {
			continue
		}
		d.checkKeys(m, section)
		if v, ok := decode(path, m); ok {
			out = append(out, v)
		}
	}
	return out
}

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
	ref := nodeRef{path: path}

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

func (d *decoder) network(e yamldiag.Entry, r *refs) Network {
	net := defaultNetwork()
	net.Pos = d.Pos(e.Key)
	m := d.Map(e.Val, "network", "'network' section", "write network: with model: and other keys indented under it")
	if m == nil {
		return net
	}
	d.checkKeys(m, secNetwork)

	if v, ok := m.Get("model"); ok {
		if model, ok := d.str(v.Val, "network.model", ModelLatency); ok {
			if model == ModelDirect || model == ModelLatency {
				net.Model = model
			} else {
				hint := "write model: direct or model: latency"
				if s := yamldiag.Suggest(model, []string{ModelDirect, ModelLatency}); s != "" {
					hint = "did you mean " + s + "?"
				}
				d.Errorf(v.Val, "network.model", hint, "network.model must be 'direct' or 'latency', got '%s'", yamldiag.Short(model))
				net.Model = ""
			}
		}
	}
	if v, ok := m.Get("default_latency_us"); ok {
		if l, ok := d.integer(v.Val, "network.default_latency_us", "10000"); ok {
			if l < 0 {
				d.Errorf(v.Val, "network.default_latency_us", "write default_latency_us: 10000",
					"network.default_latency_us must be non-negative, got %s", yamldiag.Written(v.Val))
			}
			d.latencyFits(v.Val, "network.default_latency_us", l)
			net.DefaultLatencyUS = l
		}
	}
	if v, ok := m.Get("default_loss_rate"); ok {
		if f, ok := d.lossRate(v.Val, "network.default_loss_rate", "network.default_loss_rate"); ok {
			net.DefaultLossRate = f
		}
	}
	if v, ok := m.Get("links"); ok {
		if seq := d.list(v.Val, "network.links", "network.links",
			"write each link as a list item: - {src: sensor1, dst: gateway, latency_us: 5000}"); seq != nil {
			net.Links = decodeItems(d, seq, "network.links", secLink, "write a link as src:, dst: and latency_us: indented under '- '",
				net.Links, func(path string, m *yamldiag.Mapping) (Link, bool) {
					return d.link(path, m, net, r)
				})
			if net.Model == ModelDirect && len(net.Links) > 0 {
				d.Warnf(v.Key, "network.links", "set model: latency under network: to use them",
					"network.links have no effect with the direct model")
			}
		}
	}
	return net
}

// lossRate reads a probability in [0, 1].
func (d *decoder) lossRate(raw *yaml.Node, path, who string) (float64, bool) {
	f, ok := d.number(raw, path, "0.01")
	if !ok || !d.finite(raw, path, "0.01", f) {
		return 0, false
	}
	if f < 0 || f > 1 {
		d.Errorf(raw, path, "write a probability, e.g. loss_rate: 0.01 for 1%",
			"%s: loss_rate must be in [0.0, 1.0], got %s", who, yamldiag.Written(raw))
		return 0, false
	}
	return f, true
}

func (d *decoder) link(path string, m *yamldiag.Mapping, net Network, r *refs) (Link, bool) {
	l := Link{LatencyUS: net.DefaultLatencyUS, LossRate: net.DefaultLossRate, Pos: d.Pos(m.Node)}
	ref := linkRef{path: path}
	for _, k := range []struct {
		key string
		dst *string
		ref **yaml.Node
	}{
		{"src", &l.Src, &ref.src},
		{"dst", &l.Dst, &ref.dst},
	} {
		e, ok := d.required(m, path, k.key, "add "+k.key+": <node id>")
		if !ok {
			continue
		}
		if s, ok := d.str(e.Val, path+"."+k.key, "sensor1"); ok {
			*k.dst = s
			*k.ref = e.Val
		}
	}
	who := path
	if l.Src != "" && l.Dst != "" {
		who = fmt.Sprintf("%s (%s->%s)", path, yamldiag.Short(l.Src), yamldiag.Short(l.Dst))
	}
	if e, ok := m.Get("latency_us"); ok {
		if v, ok := d.integer(e.Val, path+".latency_us", "5000"); ok {
			if v < 0 {
				d.Errorf(e.Val, path+".latency_us", "write latency_us: 5000", "%s: latency_us must be non-negative, got %s", who, yamldiag.Written(e.Val))
			}
			d.latencyFits(e.Val, path+".latency_us", v)
			l.LatencyUS = v
		}
	} else if net.Model == ModelLatency {
		d.Errorf(m.Node, path+".latency_us", "add latency_us: <microseconds>",
			"%s: missing required field 'latency_us' for latency model", who)
	}
	if e, ok := m.Get("loss_rate"); ok {
		if f, ok := d.lossRate(e.Val, path+".loss_rate", who); ok {
			l.LossRate = f
		}
	}
	for _, k := range []struct {
		key, example string
		dst          *int64
	}{
		{"jitter_us", "1000", &l.JitterUS},
		{"bandwidth_bps", "1000000", &l.BandwidthBPS},
	} {
		if e, ok := m.Get(k.key); ok {
			if v, ok := d.integer(e.Val, path+"."+k.key, k.example); ok {
				if v < 0 {
					d.Errorf(e.Val, path+"."+k.key, "write "+k.key+": "+k.example+", or 0 for none",
						"%s: %s must be non-negative, got %s", who, k.key, yamldiag.Written(e.Val))
				}
				if k.key == "jitter_us" {
					d.latencyFits(e.Val, path+".jitter_us", v)
				}
				*k.dst = v
			}
		}
	}
	if e, ok := m.Get("bidirectional"); ok {
		if b, ok := d.boolean(e.Val, path+".bidirectional"); ok {
			l.Bidirectional = b
		}
	}
	r.links = append(r.links, ref)
	return l, true
}

func (d *decoder) mlInference(e yamldiag.Entry) map[string]any {
	m := d.Map(e.Val, "ml_inference", "'ml_inference' section", "write ml_inference: with placement: and edge_config: or cloud_config: under it")
	if m == nil {
		return nil
	}
	d.checkKeys(m, secML)
	out, _ := d.Value(e.Val, "ml_inference").(map[string]any)

	pe, ok := m.Get("placement")
	if !ok {
		d.Errorf(e.Key, "ml_inference.placement", "add placement: edge or placement: cloud",
			"ml_inference section must specify 'placement'")
		return out
	}
	placement, ok := d.str(pe.Val, "ml_inference.placement", "edge")
	if !ok {
		return out
	}
	switch placement {
	case "edge":
		d.mlConfig(m, pe, "edge")
	case "cloud":
		d.mlConfig(m, pe, "cloud")
	default:
		hint := "write placement: edge or placement: cloud"
		if s := yamldiag.Suggest(placement, []string{"edge", "cloud"}); s != "" {
			hint = "did you mean " + s + "?"
		}
		d.Errorf(pe.Val, "ml_inference.placement", hint, "ml_inference.placement must be 'edge' or 'cloud', got '%s'", yamldiag.Short(placement))
	}
	return out
}

// mlConfig checks the edge_config or cloud_config the placement selects.
// Like upstream, only the selected one is checked.
func (d *decoder) mlConfig(m *yamldiag.Mapping, placement yamldiag.Entry, tier string) {
	name := tier + "_config"
	path := "ml_inference." + name
	ce, ok := m.Get(name)
	if !ok || yamldiag.IsNull(ce.Val) {
		d.Errorf(placement.Val, path, "add "+name+": with model_path: under ml_inference:",
			"ml_inference.placement='%s' requires '%s' section", tier, name)
		return
	}
	cm := d.Map(ce.Val, path, path, "write "+name+": with model_path: indented under it")
	if cm == nil {
		return
	}
	d.checkKeys(cm, secMLConfig)
	mp, ok := cm.Get("model_path")
	if !ok {
		d.Errorf(ce.Key, path+".model_path", "add model_path: models/anomaly_detector.onnx",
			"%s must specify 'model_path'", path)
		return
	}
	p, ok := d.str(mp.Val, path+".model_path", "models/anomaly_detector.onnx")
	if !ok {
		return
	}
	if p == "" {
		d.Errorf(mp.Val, path+".model_path", "write model_path: models/anomaly_detector.onnx", "%s.model_path must not be empty", path)
		return
	}
	d.modelFile(mp.Val, path+".model_path", tier, p)
}

func (d *decoder) report(e yamldiag.Entry) Report {
	var rep Report
	m := d.Map(e.Val, "report", "'report' section", "write report: with csv: true indented under it")
	if m == nil {
		return rep
	}
	d.checkKeys(m, secReport)
	if v, ok := m.Get("csv"); ok {
		if b, ok := d.boolean(v.Val, "report.csv"); ok {
			rep.CSV = b
		}
	}
	return rep
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
