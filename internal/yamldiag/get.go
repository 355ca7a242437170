package yamldiag

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// The getters read the value n of the key at path (a dotted path such as
// service.health.tcp, which also names it in messages). When n is not what
// they read they report an error at n, with hint, and return false.
// Aliases are followed; an explicit null is "<path> has no value".

// String reads a scalar as text. Numbers, booleans and dates are read as
// written, as most formats mean them (a user: 1000); the formats that care
// check the tag first.
func (d *Decoder) String(n *yaml.Node, path, hint string) (string, bool) {
	r := Deref(n)
	if r != nil && r.Kind == yaml.ScalarNode {
		switch Tag(r) {
		case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
			return r.Value, true
		case "!!null":
			d.Errorf(n, path, hint, "%s has no value", path)
			return "", false
		}
	}
	d.Errorf(n, path, hint, "%s must be a string, got %s", path, Describe(n))
	return "", false
}

// Int reads a YAML integer.
func (d *Decoder) Int(n *yaml.Node, path, hint string) (int64, bool) {
	r := Deref(n)
	if r != nil && r.Kind == yaml.ScalarNode {
		switch Tag(r) {
		case "!!int":
			var v int64
			if err := r.Decode(&v); err != nil {
				var u uint64
				if r.Decode(&u) == nil {
					d.Errorf(n, path, hint, "%s is out of range for a 64-bit integer: %s", path, Short(r.Value))
				} else {
					d.Errorf(n, path, hint, "%s must be an integer, got %q", path, Short(r.Value))
				}
				return 0, false
			}
			return v, true
		case "!!null":
			d.Errorf(n, path, hint, "%s has no value", path)
			return 0, false
		case "!!bool":
			d.Errorf(n, path, hint, "%s must be an integer, got %s; booleans are not numbers", path, Describe(n))
			return 0, false
		}
	}
	d.Errorf(n, path, hint, "%s must be an integer, got %s", path, Describe(n))
	return 0, false
}

// IntIn reads a YAML integer between lo and hi.
func (d *Decoder) IntIn(n *yaml.Node, path, hint string, lo, hi int64) (int64, bool) {
	v, ok := d.Int(n, path, hint)
	if ok && (v < lo || v > hi) {
		d.Errorf(n, path, hint, "%s must be between %d and %d, got %d", path, lo, hi, v)
		return 0, false
	}
	return v, ok
}

// Float reads a YAML number, integer or float. NaN and infinities come back
// as they are.
func (d *Decoder) Float(n *yaml.Node, path, hint string) (float64, bool) {
	r := Deref(n)
	if r != nil && r.Kind == yaml.ScalarNode {
		switch Tag(r) {
		case "!!int", "!!float":
			var f float64
			if err := r.Decode(&f); err == nil {
				return f, true
			}
		case "!!null":
			d.Errorf(n, path, hint, "%s has no value", path)
			return 0, false
		case "!!bool":
			d.Errorf(n, path, hint, "%s must be a number, got %s; booleans are not numbers", path, Describe(n))
			return 0, false
		}
	}
	d.Errorf(n, path, hint, "%s must be a number, got %s", path, Describe(n))
	return 0, false
}

// Bool reads true or false.
func (d *Decoder) Bool(n *yaml.Node, path, hint string) (bool, bool) {
	r := Deref(n)
	if r != nil && r.Kind == yaml.ScalarNode {
		switch Tag(r) {
		case "!!bool":
			var b bool
			if err := r.Decode(&b); err == nil {
				return b, true
			}
		case "!!null":
			d.Errorf(n, path, hint, "%s has no value", path)
			return false, false
		}
	}
	d.Errorf(n, path, hint, "%s must be true or false, got %s", path, Describe(n))
	return false, false
}

// Duration reads a positive Go duration such as 30s or 2m: durations in
// the formats are timeouts and intervals, which zero would disable.
func (d *Decoder) Duration(n *yaml.Node, path, hint string) (time.Duration, bool) {
	r := Deref(n)
	if r != nil && r.Kind == yaml.ScalarNode {
		if v, err := time.ParseDuration(r.Value); err == nil && v > 0 {
			return v, true
		}
	}
	d.Errorf(n, path, hint, "%s must be a positive duration such as 30s or 2m, got %s", path, Describe(n))
	return 0, false
}

// List reads a sequence and returns its items as written. what names it
// in the message ("'nodes' section must be a list").
func (d *Decoder) List(n *yaml.Node, path, what, hint string) ([]*yaml.Node, bool) {
	r := Deref(n)
	if r == nil || r.Kind != yaml.SequenceNode {
		d.Errorf(n, path, hint, "%s must be a list, got %s", what, Describe(n))
		return nil, false
	}
	return r.Content, true
}

// Value converts a free-form YAML value into Go values: map[string]any,
// []any, string, int, float64, bool or nil. Mapping keys become strings
// (ports: {5000: 5000} gives the key "5000"); dates and binary stay the
// text they were written as. Every value spends the budget, and an anchor
// that contains an alias to itself is an error, not endless recursion.
func (d *Decoder) Value(n *yaml.Node, path string) any {
	r := Deref(n)
	if r == nil || !d.Spend(n) {
		return nil
	}
	if r.Kind == yaml.MappingNode || r.Kind == yaml.SequenceNode {
		if d.active[r] {
			d.Errorf(n, path, "remove the alias that points back into its own anchor", "%s contains an alias to itself", path)
			return nil
		}
		d.active[r] = true
		defer delete(d.active, r)
	}
	switch r.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(r.Content)/2)
		for _, e := range d.entries(r, path, false) {
			kr := Deref(e.Key)
			if kr == nil || kr.Kind != yaml.ScalarNode {
				d.Errorf(e.Key, path, "use a plain name as the key", "%s has a key that is %s", path, Describe(e.Key))
				continue
			}
			m[e.Name] = d.Value(e.Val, Join(path, e.Name))
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(r.Content))
		for i, item := range r.Content {
			l = append(l, d.Value(item, fmt.Sprintf("%s[%d]", path, i)))
		}
		return l
	case yaml.ScalarNode:
		switch Tag(r) {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if r.Decode(&b) == nil {
				return b
			}
		case "!!int":
			var v any // int, or int64/uint64 when it does not fit
			if r.Decode(&v) == nil {
				return v
			}
		case "!!float":
			var f float64
			if r.Decode(&f) == nil {
				return f
			}
		}
		return r.Value
	}
	return nil
}

// Number reads a YAML number of any of the Go types a decoded value holds
// (int, int64, uint64, float64); free-form sections such as a node's config
// and docker sections are decoded so.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
