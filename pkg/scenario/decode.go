package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// nodeRef and linkRef remember where ids were written, for the checks that
// look across sections (validate.go), and the entry as written (use, an
// alias where the file reuses an anchor).
type nodeRef struct {
	path string
	use  *yaml.Node
	id   *yaml.Node
	port *yaml.Node
}

type linkRef struct {
	path     string
	use      *yaml.Node
	src, dst *yaml.Node
}

// entryAt is where a diagnostic about one entry among the others (a
// duplicate) points, given use, the entry as written, and v, the value it
// is about: the entry itself when v is shared with other entries and so
// cannot say which one is meant (the entry is an alias of an anchor, or v
// came in through a merge of one, <<: *x), else v.
func entryAt(use, v *yaml.Node) *yaml.Node {
	if use == nil {
		return v
	}
	if use.Kind == yaml.AliasNode || !written(use, v) {
		return use
	}
	return v
}

// written says whether v is a value of mapping n as written, or of a
// mapping merged into it inline (<<: {...}); values behind an alias are
// the anchor's.
func written(n, v *yaml.Node) bool {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if val == v {
				return true
			}
			if kr := yamldiag.Deref(k); kr != nil && kr.Kind == yaml.ScalarNode && yamldiag.Tag(kr) == "!!merge" && written(val, v) {
				return true
			}
		}
	case yaml.SequenceNode: // <<: [*a, {...}]
		for _, item := range n.Content {
			if item.Kind == yaml.MappingNode && written(item, v) {
				return true
			}
		}
	}
	return false
}

// refs are the positions the cross-section checks point at.
type refs struct {
	nodes  []nodeRef
	links  []linkRef
	scopes []scopeRef
	faults []faultRef
	// observerNames are the observers' name values and where a duplicate
	// of each is reported (entryAt); observes the assertions'
	// where.observe values.
	observerNames []observerName
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
			d.Errorf(v.Val, "simulation.duration_s", "write at most "+strconv.FormatFloat(MaxTimeS, 'f', -1, 64)+" seconds (about 126,000 years)",
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
