package scenario

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
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
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && tag(n) == "!!null"
}

// scenario reads the document's root mapping into s.
func (d *decoder) scenario(root *yaml.Node, s *Scenario, r *refs) {
	top := d.asMapping(root, "")
	if top == nil {
		d.errorf(root, "", "start the file with the simulation: and nodes: sections",
			"a scenario must be a YAML mapping of sections, got %s", describe(root))
		return
	}
	d.checkKeys(top, secTop)

	simE, hasSim := top.get("simulation")
	nodesE, hasNodes := top.get("nodes")
	switch {
	case !hasSim && !hasNodes:
		d.errorf(root, "", "an xEdgeSim scenario has simulation: {duration_s, seed} and nodes: [{id, type, port}]; `xedgesim schema` prints the format",
			"not an xEdgeSim scenario: missing required sections 'simulation' and 'nodes'%s", placeholderNote(top))
	case !hasSim:
		d.errorf(root, "simulation", "add simulation: with duration_s: and seed: under it",
			"missing required section: 'simulation'")
	case !hasNodes:
		d.errorf(root, "nodes", "add nodes: with at least one node, e.g. - {id: sensor1, type: sensor, port: 5001}",
			"missing required section: 'nodes'")
	}
	if hasSim {
		s.Simulation = d.simulation(simE)
	}
	if hasNodes {
		s.Nodes = d.nodes(nodesE, r)
	}
	s.Network = defaultNetwork()
	if e, ok := top.get("network"); ok {
		s.Network = d.network(e, r)
	}
	if e, ok := top.get("ml_inference"); ok {
		s.MLInference = d.mlInference(e)
	}
	if e, ok := top.get("report"); ok {
		s.Report = d.report(e)
	}
	if e, ok := top.get("validation"); ok {
		s.Assertions = d.validation(e, r)
	}
	if e, ok := top.get("faults"); ok {
		s.Faults = d.faults(e, r)
		if seq := deref(e.val); seq != nil {
			r.faults = seq.Content
		}
	}
}

// placeholderNote explains a file with neither section: usually one of
// upstream's placeholders (vib-monitoring/config.yaml) or an old format
// with the simulation keys at the top.
func placeholderNote(top *mapping) string {
	var other []string
	for _, e := range top.entries {
		if !isKnown(secTop, e.name) {
			other = append(other, e.name)
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

func (d *decoder) simulation(e entry) Simulation {
	sim := Simulation{TimeQuantumUS: 1000, Pos: d.pos(e.key)}
	m := d.expectMapping(e.val, "simulation", "'simulation' section", "write simulation: with duration_s: and seed: indented under it")
	if m == nil {
		return sim
	}
	d.checkKeys(m, secSimulation)

	// Upstream reads both with sim.get(), so an explicit null is missing.
	if v, ok := m.get("duration_s"); !ok || isNull(v.val) {
		d.errorf(e.key, "simulation.duration_s", "add duration_s: <seconds> under simulation:",
			"missing required field: simulation.duration_s")
	} else if f, ok := d.number(v.val, "simulation.duration_s", "10"); ok && d.finite(v.val, "simulation.duration_s", "10", f) {
		switch us := f * 1_000_000; {
		case f <= 0:
			d.errorf(v.val, "simulation.duration_s", "write duration_s: 10", "simulation.duration_s must be positive, got %s", written(v.val))
		case us >= 1<<63:
			d.errorf(v.val, "simulation.duration_s", "write at most 9223372036854 seconds",
				"simulation.duration_s is too large: %s s in microseconds does not fit in 64 bits", written(v.val))
		default:
			sim.DurationS = f
			sim.DurationUS = int64(us) // int(duration_s * 1_000_000): truncates, as Python does
			if sim.DurationUS == 0 {
				d.warnf(v.val, "simulation.duration_s", "write at least 0.000001",
					"simulation.duration_s is shorter than one microsecond; the run has no steps")
			}
		}
	}
	if v, ok := m.get("seed"); !ok || isNull(v.val) {
		d.errorf(e.key, "simulation.seed", "add seed: 42 under simulation:", "missing required field: simulation.seed")
	} else if seed, ok := d.integer(v.val, "simulation.seed", "42"); ok {
		sim.Seed = seed
	}
	if v, ok := m.get("time_quantum_us"); ok {
		if q, ok := d.integer(v.val, "simulation.time_quantum_us", "1000"); ok {
			if q <= 0 {
				d.errorf(v.val, "simulation.time_quantum_us", "write time_quantum_us: 1000",
					"simulation.time_quantum_us must be positive, got %s", written(v.val))
			} else {
				sim.TimeQuantumUS = q
			}
		}
	}
	return sim
}

func (d *decoder) nodes(e entry, r *refs) []Node {
	seq := deref(e.val)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		d.errorf(e.val, "nodes", "write each node as a list item: - id: sensor1",
			"'nodes' section must be a list, got %s", describe(e.val))
		return nil
	}
	if len(seq.Content) == 0 {
		d.errorf(e.val, "nodes", "add at least one node, e.g. - {id: sensor1, type: sensor, port: 5001}",
			"no nodes defined in scenario")
		return nil
	}
	nodes := make([]Node, 0, len(seq.Content))
	for i, item := range seq.Content {
		if !d.spend(item) {
			break
		}
		if n, ok := d.node(i, item, r); ok {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// implementations in the order messages list them.
var implementations = []string{ImplPythonModel, ImplDocker, ImplRenode, ImplProcess}

// renodeKeys are read for renode_inprocess nodes only, as upstream does.
var renodeKeys = []string{"platform", "firmware", "monitor_port", "working_dir", "seed"}

func (d *decoder) node(i int, item *yaml.Node, r *refs) (Node, bool) {
	path := fmt.Sprintf("nodes[%d]", i)
	m := d.expectMapping(item, path, path, "write a node as keys indented under '- ': id:, type: and port:")
	if m == nil {
		return Node{}, false
	}
	d.checkKeys(m, secNode)
	n := Node{Implementation: ImplPythonModel, Pos: d.pos(m.node)}
	who := path
	ref := nodeRef{path: path}

	if e, ok := m.get("id"); !ok {
		d.errorf(m.node, path+".id", "add id: <name>", "%s: missing required field 'id'", path)
	} else if id, ok := d.str(e.val, path+".id", "sensor1"); ok {
		if id == "" {
			d.errorf(e.val, path+".id", "write id: sensor1", "%s.id must not be empty", path)
		}
		n.ID = id
		who = fmt.Sprintf("%s (id=%s)", path, short(id))
		ref.id = e.val
	}
	if e, ok := m.get("type"); !ok {
		d.errorf(m.node, path+".type", "add type: sensor; upstream does not interpret it, so any name will do",
			"%s: missing required field 'type'", who)
	} else if t, ok := d.str(e.val, path+".type", "sensor"); ok {
		n.Type = t
	}
	if e, ok := m.get("implementation"); ok {
		if impl, ok := d.str(e.val, path+".implementation", ImplPythonModel); ok {
			if contains(implementations, impl) {
				n.Implementation = impl
			} else {
				hint := "write implementation: python_model"
				if s := suggest(impl, implementations); s != "" {
					hint = "did you mean " + s + "?"
				}
				d.errorf(e.val, path+".implementation", hint,
					"%s: implementation must be 'python_model', 'docker', 'renode_inprocess' or 'process', got '%s'", who, short(impl))
				n.Implementation = ""
			}
		}
	}

	// With config.command xedgesim starts the node itself, and with
	// config.address it connects where it is told: neither needs a port. A
	// docker node publishes what its docker section says.
	started := false
	if e, ok := m.get("config"); ok {
		started = d.nodeConfig(&n, e, path)
	}

	if e, ok := m.get("port"); ok {
		if p, ok := d.integer(e.val, path+".port", "5001"); ok {
			if p < 1 || p > 65535 {
				d.errorf(e.val, path+".port", "write a TCP port between 1 and 65535", "%s.port must be between 1 and 65535, got %s", path, written(e.val))
			} else {
				n.Port, n.HasPort = int(p), true
				ref.port = e.val
			}
		}
	} else if n.Implementation == ImplPythonModel && !started {
		d.errorf(m.node, path+".port", "add port: <the TCP port the node listens on>, or config.command to have xedgesim start the node",
			"%s: missing required field 'port' for %s", who, n.Implementation)
	}

	if e, ok := m.get("docker"); ok {
		if n.Implementation != ImplDocker {
			d.warnf(e.key, path+".docker", "set implementation: docker, or remove docker:",
				"%s: docker is read only when implementation is docker; ignored", who)
		} else if d.expectMapping(e.val, path+".docker", path+": 'docker' section", "write docker: with image: and other keys indented under it") != nil {
			n.Docker, _ = d.value(e.val, path+".docker").(map[string]any)
		}
	}

	if n.Implementation == ImplRenode {
		d.renode(&n, m, path, who)
	} else {
		for _, k := range renodeKeys {
			if e, ok := m.get(k); ok {
				d.warnf(e.key, path+"."+k, "set implementation: renode_inprocess, or remove "+k+":",
					"%s: %s is read only for renode_inprocess nodes; ignored", who, k)
			}
		}
	}

	if n.Implementation == ImplProcess && !started && !n.HasPort {
		d.errorf(m.node, path+".config.command", "add config: {command: [./sensor, --flag]} for xedgesim to start it, or config.address or port to connect to it",
			"%s: a process node needs config.command, config.address or port", who)
	}
	r.nodes = append(r.nodes, ref)
	return n, true
}

// nodeConfig reads a node's config section, which upstream drops and we pass
// to the node. It reports whether config.command or config.address is set.
func (d *decoder) nodeConfig(n *Node, e entry, path string) bool {
	cpath := path + ".config"
	cm := d.expectMapping(e.val, cpath, cpath, "write config: with key: value pairs indented under it")
	if cm == nil {
		return false
	}
	n.Config = make(map[string]any, len(cm.entries))
	n.ConfigPos = make(map[string]Pos, len(cm.entries))
	for _, ce := range cm.entries {
		kr := deref(ce.key)
		if kr == nil || kr.Kind != yaml.ScalarNode {
			d.errorf(ce.key, cpath, "use a plain name as the key", "%s has a key that is %s", cpath, describe(ce.key))
			continue
		}
		n.Config[ce.name] = d.value(ce.val, cpath+"."+ce.name)
		n.ConfigPos[ce.name] = d.pos(ce.key)
	}
	started := false
	if ce, ok := cm.get("command"); ok {
		started = d.command(ce.val, cpath+".command")
	}
	if ae, ok := cm.get("address"); ok {
		if a, ok := d.str(ae.val, cpath+".address", "localhost:5001"); ok {
			if a == "" {
				d.errorf(ae.val, cpath+".address", "write address: localhost:5001", "%s.address must not be empty", cpath)
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
	n := deref(raw)
	switch {
	case n != nil && n.Kind == yaml.ScalarNode && tag(n) == "!!str":
		if strings.TrimSpace(n.Value) == "" {
			d.errorf(raw, path, hint, "%s must not be empty", path)
			return false
		}
		return true
	case n != nil && n.Kind == yaml.SequenceNode:
		if len(n.Content) == 0 {
			d.errorf(raw, path, hint, "%s must not be empty", path)
			return false
		}
		good := true
		for i, a := range n.Content {
			ar := deref(a)
			if ar == nil || ar.Kind != yaml.ScalarNode || tag(ar) == "!!null" {
				d.errorf(a, fmt.Sprintf("%s[%d]", path, i), hint, "%s[%d] must be a string, got %s", path, i, describe(a))
				good = false
			}
		}
		if s := deref(n.Content[0]); good && strings.TrimSpace(s.Value) == "" {
			d.errorf(n.Content[0], path+"[0]", hint, "%s[0], the program, must not be empty", path)
			good = false
		}
		return good
	}
	d.errorf(raw, path, hint, "%s must be a string or a list of strings, got %s", path, describe(raw))
	return false
}

// renode reads the renode_inprocess fields. Upstream's coordinator and
// launcher require platform and firmware; their files are checked when the
// node starts, not here (the corpus names firmware that is built later).
func (d *decoder) renode(n *Node, m *mapping, path, who string) {
	for _, k := range []struct {
		key, example string
		dst          *string
	}{
		{"platform", "platforms/nrf52840.repl", &n.Platform},
		{"firmware", "firmware/build/zephyr/zephyr.elf", &n.Firmware},
	} {
		e, ok := m.get(k.key)
		if !ok || isNull(e.val) {
			d.errorf(m.node, path+"."+k.key, "add "+k.key+": "+k.example,
				"%s: '%s' required for renode_inprocess", who, k.key)
			continue
		}
		if s, ok := d.str(e.val, path+"."+k.key, k.example); ok {
			*k.dst = s
		}
	}
	if e, ok := m.get("monitor_port"); ok {
		if p, ok := d.integer(e.val, path+".monitor_port", "1234"); ok {
			if p < 1 || p > 65535 {
				d.errorf(e.val, path+".monitor_port", "write a TCP port between 1 and 65535",
					"%s.monitor_port must be between 1 and 65535, got %s", path, written(e.val))
			} else {
				n.MonitorPort = int(p)
			}
		}
	}
	if e, ok := m.get("working_dir"); ok {
		if s, ok := d.str(e.val, path+".working_dir", "/tmp/xedgesim/"+n.ID); ok {
			n.WorkingDir = s
		}
	}
	if e, ok := m.get("seed"); ok {
		if s, ok := d.integer(e.val, path+".seed", "42"); ok {
			n.Seed = &s
		}
	}
}

func (d *decoder) network(e entry, r *refs) Network {
	net := defaultNetwork()
	net.Pos = d.pos(e.key)
	m := d.expectMapping(e.val, "network", "'network' section", "write network: with model: and other keys indented under it")
	if m == nil {
		return net
	}
	d.checkKeys(m, secNetwork)

	if v, ok := m.get("model"); ok {
		if model, ok := d.str(v.val, "network.model", ModelLatency); ok {
			if model == ModelDirect || model == ModelLatency {
				net.Model = model
			} else {
				hint := "write model: direct or model: latency"
				if s := suggest(model, []string{ModelDirect, ModelLatency}); s != "" {
					hint = "did you mean " + s + "?"
				}
				d.errorf(v.val, "network.model", hint, "network.model must be 'direct' or 'latency', got '%s'", short(model))
				net.Model = ""
			}
		}
	}
	if v, ok := m.get("default_latency_us"); ok {
		if l, ok := d.integer(v.val, "network.default_latency_us", "10000"); ok {
			if l < 0 {
				d.errorf(v.val, "network.default_latency_us", "write default_latency_us: 10000",
					"network.default_latency_us must be non-negative, got %s", written(v.val))
			}
			net.DefaultLatencyUS = l
		}
	}
	if v, ok := m.get("default_loss_rate"); ok {
		if f, ok := d.lossRate(v.val, "network.default_loss_rate", "network.default_loss_rate"); ok {
			net.DefaultLossRate = f
		}
	}
	if v, ok := m.get("links"); ok {
		seq := deref(v.val)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			d.errorf(v.val, "network.links", "write each link as a list item: - {src: sensor1, dst: gateway, latency_us: 5000}",
				"network.links must be a list, got %s", describe(v.val))
		} else {
			for i, item := range seq.Content {
				if !d.spend(item) {
					break
				}
				if l, ok := d.link(i, item, net, r); ok {
					net.Links = append(net.Links, l)
				}
			}
			if net.Model == ModelDirect && len(net.Links) > 0 {
				d.warnf(v.key, "network.links", "set model: latency under network: to use them",
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
		d.errorf(raw, path, "write a probability, e.g. loss_rate: 0.01 for 1%",
			"%s: loss_rate must be in [0.0, 1.0], got %s", who, written(raw))
		return 0, false
	}
	return f, true
}

func (d *decoder) link(i int, item *yaml.Node, net Network, r *refs) (Link, bool) {
	path := fmt.Sprintf("network.links[%d]", i)
	m := d.expectMapping(item, path, path, "write a link as src:, dst: and latency_us: indented under '- '")
	if m == nil {
		return Link{}, false
	}
	d.checkKeys(m, secLink)
	l := Link{LatencyUS: net.DefaultLatencyUS, LossRate: net.DefaultLossRate, Pos: d.pos(m.node)}
	ref := linkRef{path: path}
	for _, k := range []struct {
		key string
		dst *string
		ref **yaml.Node
	}{
		{"src", &l.Src, &ref.src},
		{"dst", &l.Dst, &ref.dst},
	} {
		e, ok := m.get(k.key)
		if !ok {
			d.errorf(m.node, path+"."+k.key, "add "+k.key+": <node id>", "%s: missing required field '%s'", path, k.key)
			continue
		}
		if s, ok := d.str(e.val, path+"."+k.key, "sensor1"); ok {
			*k.dst = s
			*k.ref = e.val
		}
	}
	who := path
	if l.Src != "" && l.Dst != "" {
		who = fmt.Sprintf("%s (%s->%s)", path, short(l.Src), short(l.Dst))
	}
	if e, ok := m.get("latency_us"); ok {
		if v, ok := d.integer(e.val, path+".latency_us", "5000"); ok {
			if v < 0 {
				d.errorf(e.val, path+".latency_us", "write latency_us: 5000", "%s: latency_us must be non-negative, got %s", who, written(e.val))
			}
			l.LatencyUS = v
		}
	} else if net.Model == ModelLatency {
		d.errorf(m.node, path+".latency_us", "add latency_us: <microseconds>",
			"%s: missing required field 'latency_us' for latency model", who)
	}
	if e, ok := m.get("loss_rate"); ok {
		if f, ok := d.lossRate(e.val, path+".loss_rate", who); ok {
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
		if e, ok := m.get(k.key); ok {
			if v, ok := d.integer(e.val, path+"."+k.key, k.example); ok {
				if v < 0 {
					d.errorf(e.val, path+"."+k.key, "write "+k.key+": "+k.example+", or 0 for none",
						"%s: %s must be non-negative, got %s", who, k.key, written(e.val))
				}
				*k.dst = v
			}
		}
	}
	if e, ok := m.get("bidirectional"); ok {
		if b, ok := d.boolean(e.val, path+".bidirectional"); ok {
			l.Bidirectional = b
		}
	}
	r.links = append(r.links, ref)
	return l, true
}

func (d *decoder) mlInference(e entry) map[string]any {
	m := d.expectMapping(e.val, "ml_inference", "'ml_inference' section", "write ml_inference: with placement: and edge_config: or cloud_config: under it")
	if m == nil {
		return nil
	}
	d.checkKeys(m, secML)
	out, _ := d.value(e.val, "ml_inference").(map[string]any)

	pe, ok := m.get("placement")
	if !ok {
		d.errorf(e.key, "ml_inference.placement", "add placement: edge or placement: cloud",
			"ml_inference section must specify 'placement'")
		return out
	}
	placement, ok := d.str(pe.val, "ml_inference.placement", "edge")
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
		if s := suggest(placement, []string{"edge", "cloud"}); s != "" {
			hint = "did you mean " + s + "?"
		}
		d.errorf(pe.val, "ml_inference.placement", hint, "ml_inference.placement must be 'edge' or 'cloud', got '%s'", short(placement))
	}
	return out
}

// mlConfig checks the edge_config or cloud_config the placement selects.
// Like upstream, only the selected one is checked.
func (d *decoder) mlConfig(m *mapping, placement entry, tier string) {
	name := tier + "_config"
	path := "ml_inference." + name
	ce, ok := m.get(name)
	if !ok || isNull(ce.val) {
		d.errorf(placement.val, path, "add "+name+": with model_path: under ml_inference:",
			"ml_inference.placement='%s' requires '%s' section", tier, name)
		return
	}
	cm := d.expectMapping(ce.val, path, path, "write "+name+": with model_path: indented under it")
	if cm == nil {
		return
	}
	d.checkKeys(cm, secMLConfig)
	mp, ok := cm.get("model_path")
	if !ok {
		d.errorf(ce.key, path+".model_path", "add model_path: models/anomaly_detector.onnx",
			"%s must specify 'model_path'", path)
		return
	}
	p, ok := d.str(mp.val, path+".model_path", "models/anomaly_detector.onnx")
	if !ok {
		return
	}
	if p == "" {
		d.errorf(mp.val, path+".model_path", "write model_path: models/anomaly_detector.onnx", "%s.model_path must not be empty", path)
		return
	}
	d.modelFile(mp.val, path+".model_path", tier, p)
}

func (d *decoder) report(e entry) Report {
	var rep Report
	m := d.expectMapping(e.val, "report", "'report' section", "write report: with csv: true indented under it")
	if m == nil {
		return rep
	}
	d.checkKeys(m, secReport)
	if v, ok := m.get("csv"); ok {
		if b, ok := d.boolean(v.val, "report.csv"); ok {
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
