package compose

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// kind is a value's JSON type, which is what the schema sees: compose-go
// validates a JSON round trip of the YAML.
type kind int

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kMap
	kList
)

// value is one node of the compose file, aliases and merge keys resolved,
// that remembers where it was written.
type value struct {
	node *yaml.Node // the value as written, for its position
	key  *yaml.Node // the key naming it in its mapping; nil in a list

	kind  kind
	str   string
	b     bool
	num   float64
	isInt bool // a YAML integer, as opposed to a float (mapstructure cares)

	keys   []string // in the order written
	fields map[string]*value
	items  []*value
}

// at is the node a problem with v points at: its key in a mapping, so an
// unknown or wrong setting is shown where it is named.
func (v *value) at() *yaml.Node {
	if v.key != nil {
		return v.key
	}
	return v.node
}

func (v *value) get(k string) *value {
	if v == nil || v.kind != kMap {
		return nil
	}
	return v.fields[k]
}

// scalar is the value's text as fmt.Sprint would print the Go value the
// loader holds, for messages and string casts.
func (v *value) scalar() string {
	if v == nil {
		return ""
	}
	switch v.kind {
	case kString:
		return v.str
	case kBool:
		return strconv.FormatBool(v.b)
	case kNumber:
		if v.isInt {
			return strconv.FormatFloat(v.num, 'f', -1, 64)
		}
		return strconv.FormatFloat(v.num, 'g', -1, 64)
	case kNull:
		return "<nil>"
	}
	return ""
}

// build turns a YAML node into a value as yaml.v3 would decode it into
// interfaces: aliases followed, merge keys applied, duplicate and
// non-string keys refused. path names n for messages.
func build(n *yaml.Node, key *yaml.Node, path string, probs *[]Problem) *value {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	v := &value{node: n, key: key}
	switch n.Kind {
	case yaml.MappingNode:
		v.kind = kMap
		v.fields = map[string]*value{}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merges = append(merges, val)
				continue
			}
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				where := "at top level"
				if path != "" {
					where = "in " + path
				}
				*probs = append(*probs, Problem{Node: k, Message: fmt.Sprintf("non-string key %s: %s", where, k.Value)})
				continue
			}
			if prev, ok := v.fields[k.Value]; ok {
				*probs = append(*probs, Problem{Node: k, Message: fmt.Sprintf("mapping key %q already defined at line %d", k.Value, prev.key.Line)})
				continue
			}
			v.keys = append(v.keys, k.Value)
			v.fields[k.Value] = build(val, k, join(path, k.Value), probs)
		}
		// Explicit keys win over merged ones, and earlier merges over later.
		for _, m := range merges {
			for m.Kind == yaml.AliasNode && m.Alias != nil {
				m = m.Alias
			}
			srcs := []*yaml.Node{m}
			if m.Kind == yaml.SequenceNode {
				srcs = m.Content
			}
			for _, s := range srcs {
				mv := build(s, nil, path, probs)
				if mv.kind != kMap {
					*probs = append(*probs, Problem{Node: s, Message: "map merge requires map or sequence of maps as the value"})
					continue
				}
				for _, k := range mv.keys {
					if _, ok := v.fields[k]; !ok {
						v.keys = append(v.keys, k)
						v.fields[k] = mv.fields[k]
					}
				}
			}
		}
	case yaml.SequenceNode:
		v.kind = kList
		v.items = make([]*value, 0, len(n.Content))
		for i, c := range n.Content {
			v.items = append(v.items, build(c, nil, fmt.Sprintf("%s[%d]", path, i), probs))
		}
	default:
		var x any
		if err := n.Decode(&x); err != nil {
			*probs = append(*probs, Problem{Node: n, Message: fmt.Sprintf("reading %s: %v", path, err)})
		}
		v.setScalar(x)
	}
	return v
}

// setScalar sets v from a Go scalar as yaml.v3 or a cast produces it.
func (v *value) setScalar(x any) {
	switch x := x.(type) {
	case nil:
		v.kind = kNull
	case bool:
		v.kind, v.b = kBool, x
	case string:
		v.kind, v.str = kString, x
	case int:
		v.kind, v.num, v.isInt = kNumber, float64(x), true
	case int64:
		v.kind, v.num, v.isInt = kNumber, float64(x), true
	case uint64:
		v.kind, v.num, v.isInt = kNumber, float64(x), true
	case float64:
		v.kind, v.num = kNumber, x
	case float32:
		v.kind, v.num = kNumber, float64(x)
	case time.Time:
		v.kind, v.str = kString, x.Format(time.RFC3339Nano)
	default:
		v.kind, v.str = kString, fmt.Sprint(x)
	}
}

// integral reports whether a number is an integer as JSON Schema counts
// them: 2.0 is one.
func (v *value) integral() bool {
	return v.kind == kNumber && v.num == math.Trunc(v.num) && !math.IsInf(v.num, 0)
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
