package scenario

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/ident"
	"github.com/xedgesim/simulate/internal/yamldiag"
)

// Sections of observe: (see keys.go).
const (
	secObserve     = "observer"
	secObserveMQTT = "observeMQTT"
	secObserveHTTP = "observeHTTP"
	secCorrelate   = "correlate"
)

// Observer is one entry of observe: a named watch on what the app under
// test puts out, in wall-clock time: the messages on an MQTT topic of a
// broker node, or the answers of an HTTP endpoint of a node polled at an
// interval. Exactly one of MQTT and HTTP is set.
type Observer struct {
	Name string
	MQTT *ObserveMQTT
	HTTP *ObserveHTTP
	// Correlate, when set, matches each observed message to the device
	// reading whose sample number it carries, for end-to-end latency.
	Correlate *Correlate
	Pos       Pos
}

// ObserveMQTT subscribes to Topic (MQTT wildcards + and #) on the broker
// node Node.
type ObserveMQTT struct {
	Node  string
	Topic string
	QoS   int
}

// ObserveHTTP polls GET http://<node>:Port Path every IntervalUS.
type ObserveHTTP struct {
	Node       string
	Port       int
	Path       string
	IntervalUS int64
}

// Correlate names the fields of an observed JSON body that carry a device
// reading through the app: Field the reading's sample number (the {seq} of
// a sensor's payload) and, optionally, Device the sensor's id. Both are
// dotted paths (a.b.c).
type Correlate struct {
	Field  string
	Device string
}

// observerName is an observer's name value and where a duplicate of it is
// reported.
type observerName struct {
	name, at *yaml.Node
}

// observeRef remembers where an assertion's where.observe was written.
type observeRef struct {
	path string
	name *yaml.Node
}

func (d *decoder) observers(e yamldiag.Entry, r *refs) []Observer {
	return decodeList(d, e.Val, "observe",
		"write each observer as a list item: - {name: aggregates, mqtt: {node: mqtt-broker, topic: \"gateway/+/aggregate\"}}",
		secObserve, "write an observer as name: and mqtt: or http: indented under '- '",
		func(p string, m *yamldiag.Mapping) (Observer, bool) { return d.observer(p, m, r) })
}

func (d *decoder) observer(p string, m *yamldiag.Mapping, r *refs) (Observer, bool) {
	o := Observer{Pos: d.Pos(m.Node)}
	ok := true
	if e, has := d.required(m, p, "name", "add name: aggregates"); !has {
		ok = false
	} else if s, isStr := d.str(e.Val, p+".name", "aggregates"); !isStr || s == "" {
		if isStr {
			d.Errorf(e.Val, p+".name", "write name: aggregates", "%s.name must not be empty", p)
		}
		ok = false
	} else {
		// Names label reports and log files, as node ids do.
		if err := ident.Check(p+".name", s); err != nil {
			d.Errorf(e.Val, p+".name", "write name: aggregates", "%v", err)
			ok = false
		}
		o.Name = s
		r.observerNames = append(r.observerNames, observerName{name: e.Val, at: entryAt(m.Use, e.Val)})
	}
	mq, hasMQ := m.Get("mqtt")
	ht, hasHT := m.Get("http")
	switch {
	case hasMQ && hasHT:
		d.Errorf(ht.Key, p+".http", "write two observers, one with mqtt: and one with http:", "%s: mqtt: and http: given together", p)
		return o, false
	case !hasMQ && !hasHT:
		d.Errorf(m.Node, p+".mqtt", "add mqtt: {node: mqtt-broker, topic: \"gateway/+/aggregate\"} or http: {node: gateway1, port: 8080, path: /stats}",
			"%s: an observer needs mqtt: or http:", p)
		return o, false
	case hasMQ:
		o.MQTT, ok = d.observeMQTT(mq, p+".mqtt", r, ok)
	default:
		o.HTTP, ok = d.observeHTTP(ht, p+".http", r, ok)
	}
	if e, has := m.Get("correlate"); has {
		cm := d.Map(e.Val, p+".correlate", p+".correlate", "write correlate: {field: seq}")
		if cm == nil {
			return o, false
		}
		d.checkKeys(cm, secCorrelate)
		c := &Correlate{}
		if f, has := d.required(cm, p+".correlate", "field", "add field: seq (the field that carries the reading's sample number)"); !has {
			ok = false
		} else if c.Field, ok = d.fieldPath(f.Val, p+".correlate.field", ok); !ok {
			return o, false
		}
		if f, has := cm.Get("device"); has {
			c.Device, ok = d.fieldPath(f.Val, p+".correlate.device", ok)
		}
		o.Correlate = c
	}
	return o, ok
}

// fieldPath reads a dotted path into a JSON body: a.b.c.
func (d *decoder) fieldPath(v *yaml.Node, p string, ok bool) (string, bool) {
	s, isStr := d.str(v, p, "seq")
	if !isStr {
		return "", false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			d.Errorf(v, p, "write the path of a JSON field with dots between names, e.g. "+lastKey(p)+": stats.seq",
				"%s: %q is not a field path", p, yamldiag.Short(s))
			return "", false
		}
	}
	return s, ok
}

func (d *decoder) observedNode(m *yamldiag.Mapping, p string, r *refs) (string, bool) {
	e, has := d.required(m, p, "node", "add node: <node id>")
	if !has {
		return "", false
	}
	id, isStr := d.str(e.Val, p+".node", "mqtt-broker")
	if !isStr {
		return "", false
	}
	r.scopes = append(r.scopes, scopeRef{path: p, vals: map[string]*yaml.Node{"node": e.Val}})
	return id, true
}

func (d *decoder) observeMQTT(e yamldiag.Entry, p string, r *refs, ok bool) (*ObserveMQTT, bool) {
	m := d.Map(e.Val, p, p, "write mqtt: {node: mqtt-broker, topic: \"gateway/+/aggregate\"}")
	if m == nil {
		return nil, false
	}
	d.checkKeys(m, secObserveMQTT)
	o := &ObserveMQTT{}
	var good bool
	if o.Node, good = d.observedNode(m, p, r); !good {
		ok = false
	}
	if t, has := d.required(m, p, "topic", "add topic: \"gateway/+/aggregate\""); !has {
		ok = false
	} else if s, isStr := d.str(t.Val, p+".topic", "gateway/+/aggregate"); !isStr {
		ok = false
	} else if msg := badTopicFilter(s); msg != "" {
		d.Errorf(t.Val, p+".topic", "+ stands for one level and # for the rest, e.g. gateway/+/aggregate or sensor/#",
			"%s.topic %q: %s", p, yamldiag.Short(s), msg)
		ok = false
	} else {
		o.Topic = s
	}
	if q, has := m.Get("qos"); has {
		if n, good := d.integer(q.Val, p+".qos", "1"); !good || n < 0 || n > 2 {
			if good {
				d.Errorf(q.Val, p+".qos", "write qos: 0, 1 or 2", "%s.qos must be 0, 1 or 2, got %s", p, yamldiag.Written(q.Val))
			}
			ok = false
		} else {
			o.QoS = int(n)
		}
	}
	return o, ok
}

// badTopicFilter says what is wrong with an MQTT topic filter, or "".
func badTopicFilter(s string) string {
	if s == "" {
		return "must not be empty"
	}
	levels := strings.Split(s, "/")
	for i, l := range levels {
		switch {
		case strings.Contains(l, "#") && (l != "#" || i != len(levels)-1):
			return "# must be a whole level and the last one"
		case strings.Contains(l, "+") && l != "+":
			return "+ must be a whole level"
		}
	}
	return ""
}

// maxObserveIntervalUS is the longest interval_s of an HTTP observer, a
// year: more than any run polls, and far within a time.Duration.
const maxObserveIntervalUS = 366 * 24 * 3600 * 1_000_000

func (d *decoder) observeHTTP(e yamldiag.Entry, p string, r *refs, ok bool) (*ObserveHTTP, bool) {
	m := d.Map(e.Val, p, p, "write http: {node: gateway1, port: 8080, path: /stats, interval_s: 1}")
	if m == nil {
		return nil, false
	}
	d.checkKeys(m, secObserveHTTP)
	o := &ObserveHTTP{Path: "/", IntervalUS: 1_000_000}
	var good bool
	if o.Node, good = d.observedNode(m, p, r); !good {
		ok = false
	}
	if v, has := d.required(m, p, "port", "add port: 8080 (the container's port)"); !has {
		ok = false
	} else if n, good := d.integer(v.Val, p+".port", "8080"); !good || n < 1 || n > 65535 {
		if good {
			d.Errorf(v.Val, p+".port", "write port: 8080", "%s.port must be between 1 and 65535, got %s", p, yamldiag.Written(v.Val))
		}
		ok = false
	} else {
		o.Port = int(n)
	}
	if v, has := m.Get("path"); has {
		if s, isStr := d.str(v.Val, p+".path", "/stats"); !isStr || !strings.HasPrefix(s, "/") {
			if isStr {
				d.Errorf(v.Val, p+".path", "write path: /stats", "%s.path must start with /, got %q", p, yamldiag.Short(s))
			}
			ok = false
		} else {
			o.Path = s
		}
	}
	if v, has := m.Get("interval_s"); has {
		us, good := d.seconds(v, p+".interval_s", "1", true)
		switch {
		case !good:
			ok = false
		case us < 10_000:
			d.Errorf(v.Val, p+".interval_s", "write interval_s: 0.01 or more", "%s.interval_s must be at least 0.01, got %s", p, yamldiag.Written(v.Val))
			ok = false
		case us > maxObserveIntervalUS:
			// The observer's ticker takes a time.Duration, in which a
			// longer interval wraps to a negative one, and the ticker panics.
			d.Errorf(v.Val, p+".interval_s", "write interval_s: 1", "%s.interval_s must be at most %d (a year), got %s", p, maxObserveIntervalUS/1_000_000, yamldiag.Written(v.Val))
			ok = false
		default:
			o.IntervalUS = us
		}
	}
	return o, ok
}

// checkObservers checks that observer names are unique and that every
// where.observe names one.
func (d *decoder) checkObservers(s *Scenario, r *refs) {
	var names []string
	seen := map[string]bool{}
	for _, n := range r.observerNames {
		if seen[n.name.Value] {
			d.Errorf(n.at, "observe.name", "give every observer its own name", "observe: duplicate observer name %q", yamldiag.Short(n.name.Value))
		}
		seen[n.name.Value] = true
		names = append(names, n.name.Value)
	}
	impl := map[string]string{}
	for _, n := range s.Nodes {
		impl[n.ID] = n.Implementation
	}
	for i, o := range s.Observers {
		if o.HTTP == nil {
			continue
		}
		if im, ok := impl[o.HTTP.Node]; ok && im != ImplDocker {
			d.Add(Diagnostic{Pos: o.Pos, Severity: SeverityError, Key: fmt.Sprintf("observe[%d].http.node", i),
				Message: fmt.Sprintf("observe[%d]: node %q is %s; an HTTP observer polls a container's port", i, o.HTTP.Node, im),
				Hint:    "observe a node with implementation: docker"})
		}
	}
	for _, ref := range r.observes {
		if seen[ref.name.Value] {
			continue
		}
		hint := "add an observer to observe: with this name"
		if len(names) > 0 {
			hint = "known observers: " + list(names)
			if sg := yamldiag.Suggest(ref.name.Value, names); sg != "" {
				hint = "did you mean " + sg + "? " + hint
			}
		}
		d.Errorf(ref.name, ref.path+".observe", hint, "%s.observe names unknown observer %q", ref.path, yamldiag.Short(ref.name.Value))
	}
}
