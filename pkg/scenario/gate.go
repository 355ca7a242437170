package scenario

import (
	"fmt"
	"math"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// scopeRef remembers where a scope's node names were written, for the
// check against the node list.
type scopeRef struct {
	path string
	vals map[string]*yaml.Node // key (src, dst, node, groups[i][j]) -> value
}

func (d *decoder) validation(e yamldiag.Entry, r *refs) []Assertion {
	m := d.Map(e.Val, "validation", "'validation' section", "write validation: with assertions: under it")
	if m == nil {
		return nil
	}
	d.checkKeys(m, secValidation)
	v, ok := m.Get("assertions")
	if !ok {
		return nil
	}
	return decodeList(d, v.Val, "validation.assertions",
		"write each assertion as a list item: - {metric: packet_delivery_rate, operator: gte, value: 0.99}",
		secAssertion, "write an assertion as metric:, operator: and value: indented under '- '",
		func(p string, m *yamldiag.Mapping) (Assertion, bool) { return d.assertion(p, m, r) })
}

func (d *decoder) assertion(p string, m *yamldiag.Mapping, r *refs) (Assertion, bool) {
	a := Assertion{Pos: d.Pos(m.Node)}
	ok := true

	if e, has := d.required(m, p, "metric", "add metric: packet_delivery_rate"); !has {
		ok = false
	} else if name, isStr := d.str(e.Val, p+".metric", "packet_delivery_rate"); !isStr {
		ok = false
	} else {
		if canon, alias := metricAliases[name]; alias {
			name = canon
		}
		if _, known := Metrics[name]; known {
			a.Metric = name
		} else {
			hint := "known metrics: " + strings.Join(MetricNames(), ", ")
			if s := yamldiag.Suggest(name, MetricNames()); s != "" {
				hint = "did you mean " + s + "? " + hint
			}
			d.Errorf(e.Val, p+".metric", hint, "%s: unknown metric %q", p, yamldiag.Short(name))
			ok = false
		}
	}

	op, opE, hasOp := "", yamldiag.Entry{}, false
	if e, has := m.Get("operator"); has {
		opE, hasOp = e, true
		if s, isStr := d.str(e.Val, p+".operator", "gte"); isStr {
			if canon, known := operators[s]; known {
				op = canon
			} else {
				d.Errorf(e.Val, p+".operator", "use eq, gte, lte, gt or lt (or ==, >=, <=, >, <)", "%s: unknown operator %q", p, yamldiag.Short(s))
				ok = false
			}
		} else {
			ok = false
		}
	}
	// Exactly one of value (with operator), min or max.
	var given []string
	for _, k := range []string{"value", "min", "max"} {
		if _, has := m.Get(k); has {
			given = append(given, k)
		}
	}
	switch {
	case len(given) == 0:
		d.Errorf(m.Node, p+".value", "add value: <number> with operator:, or min:/max:", "%s: missing 'value' (or min:/max:)", p)
		ok = false
	case len(given) > 1:
		d.Errorf(m.Node, p, "keep one of value (with operator), min or max; write two assertions for a range",
			"%s: %s given together", p, strings.Join(given, " and "))
		ok = false
	default:
		k := given[0]
		e, _ := m.Get(k)
		f, isNum := d.number(e.Val, p+"."+k, "0.99")
		if !isNum || !d.finite(e.Val, p+"."+k, "0.99", f) {
			ok = false
			break
		}
		a.Value = f
		switch k {
		case "value":
			if !hasOp {
				d.Errorf(m.Node, p+".operator", "add operator: gte (or eq, lte, gt, lt)", "%s: missing 'operator' for value", p)
				ok = false
			}
			a.Operator = op
		case "min", "max":
			if hasOp {
				d.Errorf(opE.Key, p+".operator", "remove operator:, or write value: instead of "+k+":",
					"%s: operator given with %s: (which already means %s)", p, k, map[string]string{"min": "gte", "max": "lte"}[k])
				ok = false
			}
			a.Operator = map[string]string{"min": "gte", "max": "lte"}[k]
		}
	}
	if e, has := m.Get("description"); has {
		if s, isStr := d.str(e.Val, p+".description", "readings reach the gateway"); isStr {
			a.Description = s
		}
	}
	if e, has := m.Get("where"); has {
		a.Where = d.scope(e, p+".where", secScope, r)
		if a.Metric != "" {
			kind := Metrics[a.Metric]
			if kind == NetworkMetric && a.Where.Node != "" {
				d.Errorf(e.Val, p+".where.node", "use where: {src: ..., dst: ...} for "+a.Metric,
					"%s: %s is measured over messages; it is scoped by src and dst, not node", p, a.Metric)
				ok = false
			}
			if kind != ObserverMetric && a.Where.Observe != "" {
				d.Errorf(e.Val, p+".where.observe", "remove observe:, or use an observer metric such as observed_messages",
					"%s: %s is not measured by an observer; observe: scopes the observed_* and e2e_latency_* metrics", p, a.Metric)
				ok = false
			}
			if kind == NodeMetric && (a.Where.Src != "" || a.Where.Dst != "") {
				d.Errorf(e.Val, p+".where", "use where: {node: ...} for "+a.Metric,
					"%s: %s is measured per node; it is scoped by node, not src/dst", p, a.Metric)
				ok = false
			}
		}
	}
	ok = d.observerScope(m, p, &a) && ok
	return a, ok
}

// observerScope checks what an observer metric needs: where.observe, and
// field: for the observed_field_* metrics (and only for them).
func (d *decoder) observerScope(m *yamldiag.Mapping, p string, a *Assertion) bool {
	ok := true
	if f, has := m.Get("field"); has {
		if path, good := d.fieldPath(f.Val, p+".field", true); good {
			a.Field = path
		} else {
			ok = false
		}
		if a.Metric != "" && !FieldMetric(a.Metric) {
			d.Errorf(f.Key, p+".field", "remove field:, or use observed_field_min, observed_field_max or observed_field_last",
				"%s: field: goes with the observed_field_* metrics, not %s", p, a.Metric)
			ok = false
		}
	} else if FieldMetric(a.Metric) {
		d.Errorf(m.Node, p+".field", "add field: count (a dotted path into the observed JSON body)", "%s: %s needs field:", p, a.Metric)
		ok = false
	}
	if a.Metric != "" && Metrics[a.Metric] == ObserverMetric && a.Where.Observe == "" {
		d.Errorf(m.Node, p+".where", "add where: {observe: <observer name>}", "%s: %s is measured by an observer; name it with where: {observe: ...}", p, a.Metric)
		ok = false
	}
	return ok
}

// scope reads a mapping of globs.
func (d *decoder) scope(e yamldiag.Entry, p, section string, r *refs) Scope {
	var s Scope
	m := d.Map(e.Val, p, p, "write it as {src: sensor1, dst: gateway1} (globs allowed)")
	if m == nil {
		return s
	}
	d.checkKeys(m, section)
	ref := scopeRef{path: p, vals: map[string]*yaml.Node{}}
	for _, k := range []struct {
		key string
		dst *string
	}{{"src", &s.Src}, {"dst", &s.Dst}, {"node", &s.Node}} {
		v, has := m.Get(k.key)
		if !has {
			continue
		}
		g, isStr := d.str(v.Val, p+"."+k.key, "sensor*")
		if !isStr {
			continue
		}
		if _, err := path.Match(g, ""); err != nil {
			d.Errorf(v.Val, p+"."+k.key, "use * ? and [...] as in shell globs", "%s.%s: bad glob %q: %v", p, k.key, yamldiag.Short(g), err)
			continue
		}
		*k.dst = g
		ref.vals[k.key] = v.Val
	}
	if v, has := m.Get("observe"); has {
		if name, isStr := d.str(v.Val, p+".observe", "aggregates"); isStr {
			s.Observe = name
			r.observes = append(r.observes, observeRef{path: p, name: v.Val})
		}
	}
	r.scopes = append(r.scopes, ref)
	return s
}

var faultKinds = []string{FaultLinkDown, FaultLinkDegrade, FaultPartition, FaultNodeCrash, FaultNodePause}

// faultRef is where a decoded fault was written, for the checks after
// decoding: its path, its entry as written (an alias where the file reuses
// an anchor) and where a diagnostic about its start points (entryAt of its
// at_s value).
type faultRef struct {
	path    string
	use, at *yaml.Node
}

// faults decodes the faults list; r.faults gets a faultRef for each fault
// it returns, in the same order.
func (d *decoder) faults(e yamldiag.Entry, r *refs) []Fault {
	return decodeList(d, e.Val, "faults",
		"write each fault as a list item: - {at_s: 10, kind: link_down, link: {src: a, dst: b}, duration_s: 5}",
		secFault, "write a fault as at_s:, kind: and its target indented under '- '",
		func(p string, m *yamldiag.Mapping) (Fault, bool) {
			f, ok := d.fault(p, m, r)
			if ok {
				atS, _ := m.Get("at_s")
				r.faults = append(r.faults, faultRef{path: p, use: m.Use, at: entryAt(m.Use, atS.Val)})
			}
			return f, ok
		})
}

// seconds reads a non-negative number of seconds as microseconds, at most
// MaxTimeS: a fault's at_s plus its duration_s still fits in an int64 of
// microseconds (at 9.2e12 s each, the end of a window wrapped to a
// negative time and the fault never happened).
func (d *decoder) seconds(v yamldiag.Entry, p, example string, positive bool) (int64, bool) {
	f, ok := d.number(v.Val, p, example)
	if !ok || !d.finite(v.Val, p, example, f) {
		return 0, false
	}
	if f > MaxTimeS {
		d.Errorf(v.Val, p, "write "+lastKey(p)+": "+example, "%s must be at most %s s, got %s", p,
			strconv.FormatFloat(MaxTimeS, 'f', -1, 64), yamldiag.Written(v.Val))
		return 0, false
	}
	if f < 0 || positive && f == 0 {
		want := "non-negative"
		if positive {
			want = "positive"
		}
		d.Errorf(v.Val, p, "write "+lastKey(p)+": "+example, "%s must be %s, got %s", p, want, yamldiag.Written(v.Val))
		return 0, false
	}
	return int64(math.Round(f * 1e6)), true
}

func (d *decoder) fault(p string, m *yamldiag.Mapping, r *refs) (Fault, bool) {
	f := Fault{Pos: d.Pos(m.Node)}
	ok := true
	if v, has := d.required(m, p, "at_s", "add at_s: <seconds>"); !has {
		ok = false
	} else if us, good := d.seconds(v, p+".at_s", "10", false); good {
		f.AtUS = us
	} else {
		ok = false
	}
	if v, has := d.required(m, p, "kind", "add kind: one of "+strings.Join(faultKinds, ", ")); !has {
		return f, false
	} else if k, isStr := d.str(v.Val, p+".kind", FaultLinkDown); !isStr {
		return f, false
	} else if !contains(faultKinds, k) {
		hint := "use one of " + strings.Join(faultKinds, ", ")
		if s := yamldiag.Suggest(k, faultKinds); s != "" {
			hint = "did you mean " + s + "? " + hint
		}
		d.Errorf(v.Val, p+".kind", hint, "%s: unknown fault kind %q", p, yamldiag.Short(k))
		return f, false
	} else {
		f.Kind = k
	}
	if v, has := m.Get("duration_s"); has {
		if us, good := d.seconds(v, p+".duration_s", "5", true); good {
			f.DurationUS = us
		} else {
			ok = false
		}
	}
	// Which keys belong to which kind.
	allowed := map[string][]string{
		FaultLinkDown:    {"link"},
		FaultLinkDegrade: {"link", "latency_us", "loss_rate"},
		FaultPartition:   {"groups"},
		FaultNodeCrash:   {"node", "restart_after_s"},
		FaultNodePause:   {"node"},
	}[f.Kind]
	for _, k := range []string{"link", "latency_us", "loss_rate", "groups", "node", "restart_after_s"} {
		if v, has := m.Get(k); has && !contains(allowed, k) {
			d.Errorf(v.Key, p+"."+k, "remove it; "+f.Kind+" takes "+strings.Join(allowed, ", "),
				"%s: %s does not apply to %s", p, k, f.Kind)
			ok = false
		}
	}
	switch f.Kind {
	case FaultLinkDown, FaultLinkDegrade:
		v, has := m.Get("link")
		if !has {
			d.Errorf(m.Node, p+".link", "add link: {src: sensor1, dst: gateway1} (globs allowed)", "%s: %s needs link:", p, f.Kind)
			ok = false
			break
		}
		f.Link = d.scope(v, p+".link", secFaultLink, r)
		if f.Kind == FaultLinkDegrade {
			if v, has := m.Get("latency_us"); has {
				switch l, good := d.integer(v.Val, p+".latency_us", "50000"); {
				case !good:
					ok = false
				case l < 0:
					d.Errorf(v.Val, p+".latency_us", "write latency_us: 50000", "%s.latency_us must be non-negative, got %s", p, yamldiag.Written(v.Val))
					ok = false
				case !d.latencyFits(v.Val, p+".latency_us", l):
					ok = false
				default:
					f.LatencyUS = &l
				}
			}
			if v, has := m.Get("loss_rate"); has {
				if lr, good := d.lossRate(v.Val, p+".loss_rate", p); good {
					f.LossRate = &lr
				} else {
					ok = false
				}
			}
			if f.LatencyUS == nil && f.LossRate == nil && ok {
				d.Errorf(m.Node, p, "add latency_us: and/or loss_rate:", "%s: link_degrade changes nothing without latency_us or loss_rate", p)
				ok = false
			}
		}
	case FaultPartition:
		f.Groups, ok = d.groups(m, p, r, ok)
	case FaultNodeCrash, FaultNodePause:
		v, has := m.Get("node")
		if !has {
			d.Errorf(m.Node, p+".node", "add node: <node id>", "%s: %s needs node:", p, f.Kind)
			ok = false
			break
		}
		if id, isStr := d.str(v.Val, p+".node", "gateway1"); isStr {
			f.Node = id
			r.scopes = append(r.scopes, scopeRef{path: p, vals: map[string]*yaml.Node{"node": v.Val}})
		}
		if v, has := m.Get("restart_after_s"); has {
			if us, good := d.seconds(v, p+".restart_after_s", "2", false); good {
				f.RestartAfterUS = &us
			} else {
				ok = false
			}
		}
	}
	return f, ok
}

func (d *decoder) groups(m *yamldiag.Mapping, p string, r *refs, ok bool) ([][]string, bool) {
	v, has := m.Get("groups")
	hint := "write groups: [[sensor1, sensor2], [gateway1]]"
	if !has {
		d.Errorf(m.Node, p+".groups", hint, "%s: partition needs groups:", p)
		return nil, false
	}
	seq := yamldiag.Deref(v.Val)
	if seq == nil || seq.Kind != yaml.SequenceNode || len(seq.Content) < 2 {
		d.Errorf(v.Val, p+".groups", hint, "%s.groups must be a list of at least two lists of node ids", p)
		return nil, false
	}
	ref := scopeRef{path: p, vals: map[string]*yaml.Node{}}
	seen := map[string]int{}
	var groups [][]string
	for gi, g := range seq.Content {
		gs := yamldiag.Deref(g)
		if gs == nil || gs.Kind != yaml.SequenceNode || len(gs.Content) == 0 {
			d.Errorf(g, fmt.Sprintf("%s.groups[%d]", p, gi), hint, "%s.groups[%d] must be a non-empty list of node ids", p, gi)
			ok = false
			continue
		}
		var ids []string
		for ni, n := range gs.Content {
			key := fmt.Sprintf("groups[%d][%d]", gi, ni)
			id, isStr := d.str(n, p+"."+key, "sensor1")
			if !isStr {
				ok = false
				continue
			}
			if other, dup := seen[id]; dup && other != gi {
				d.Errorf(n, p+"."+key, "put each node in one group", "%s: node %q is in groups %d and %d", p, yamldiag.Short(id), other, gi)
				ok = false
			}
			seen[id] = gi
			ids = append(ids, id)
			ref.vals[key] = n
		}
		groups = append(groups, ids)
	}
	r.scopes = append(r.scopes, ref)
	return groups, ok
}

// checkScopes checks that scope names match nodes: a plain name must be a
// node; a glob that matches no node gets a warning (it selects nothing).
func (d *decoder) checkScopes(s *Scenario, r *refs) {
	if len(s.Nodes) == 0 {
		return
	}
	var ids []string
	for _, n := range s.Nodes {
		ids = append(ids, n.ID)
	}
	names := newNodeNames(s)
	for _, ref := range r.scopes {
		keys := make([]string, 0, len(ref.vals))
		for k := range ref.vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n := ref.vals[k]
			g := n.Value
			if names.matches(g) || groupMatches(names.groups, g) {
				d.deviceScope(names.groups, ref.path, k, n)
				continue
			}
			glob := strings.ContainsAny(g, "*?[")
			sev := SeverityError
			if glob {
				sev = SeverityWarning
			}
			hint := "known nodes: " + list(ids)
			if s := d.suggestNode(sev, g, ids); s != "" {
				hint = "did you mean " + s + "? " + hint
			}
			if glob {
				d.Warnf(n, ref.path+"."+k, hint, "%s.%s: %q matches no node", ref.path, k, yamldiag.Short(g))
			} else {
				d.Errorf(n, ref.path+"."+k, hint, "%s.%s names unknown node %q", ref.path, k, yamldiag.Short(g))
			}
		}
	}
}

// checkFaultTimes warns about faults that start after the run ends.
func (d *decoder) checkFaultTimes(s *Scenario, refs []faultRef) {
	for i, f := range s.Faults {
		if s.Simulation.DurationUS > 0 && f.AtUS >= s.Simulation.DurationUS {
			ref := refs[i]
			d.Warnf(ref.use, ref.path+".at_s", "make at_s smaller than simulation.duration_s",
				"%s starts at %g s, at or after the run ends (%g s); it never happens", ref.path, float64(f.AtUS)/1e6, s.Simulation.DurationS)
		}
	}
}
