package scenario

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a parsed YAML tree and collects diagnostics as it goes, so
// that one pass reports every mistake instead of the first.
type decoder struct {
	file  string
	dir   string
	opts  options
	diags []Diagnostic
	// budget is how many values the decoder may still visit. Aliases make a
	// small file expand into a huge tree ("billion laughs"); the budget turns
	// that into an error instead of an out-of-memory kill.
	budget    int
	exhausted bool
	// active holds the collections being converted, and merging the
	// mappings whose merge keys are being expanded, to catch an anchor that
	// contains an alias to itself.
	active  map[*yaml.Node]bool
	merging map[*yaml.Node]bool
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) add(sev Severity, n *yaml.Node, key, hint, format string, args ...any) {
	d.diags = append(d.diags, Diagnostic{
		Pos:      d.pos(n),
		Severity: sev,
		Key:      key,
		Message:  fmt.Sprintf(format, args...),
		Hint:     hint,
	})
}

func (d *decoder) errorf(n *yaml.Node, key, hint, format string, args ...any) {
	d.add(SeverityError, n, key, hint, format, args...)
}

func (d *decoder) warnf(n *yaml.Node, key, hint, format string, args ...any) {
	d.add(SeverityWarning, n, key, hint, format, args...)
}

// strictf is a warning, or an error under WithStrict.
func (d *decoder) strictf(n *yaml.Node, key, hint, format string, args ...any) {
	sev := SeverityWarning
	if d.opts.strict {
		sev = SeverityError
	}
	d.add(sev, n, key, hint, format, args...)
}

// spend takes one unit of the budget and reports whether any was left.
func (d *decoder) spend(n *yaml.Node) bool {
	if d.budget > 0 {
		d.budget--
		return true
	}
	if !d.exhausted {
		d.exhausted = true
		d.errorf(n, "", "use fewer nested aliases", "the file expands into too many values through aliases")
	}
	return false
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// tag returns n's resolved short tag (!!str, !!int, ...).
func tag(n *yaml.Node) string {
	if n == nil {
		return "!!null"
	}
	return n.ShortTag()
}

// describe names what the user wrote, for "got ..." in messages.
func describe(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "nothing"
	}
	switch tag(n) {
	case "!!null":
		return "no value"
	case "!!bool":
		return "the boolean " + n.Value
	case "!!int", "!!float":
		return short(n.Value)
	case "!!timestamp":
		return "the date " + short(n.Value)
	}
	return strconv.Quote(short(n.Value))
}

// short truncates long values quoted in messages.
func short(s string) string {
	const maxLen = 40
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// written returns the value as written, for "got X" in range errors.
func written(n *yaml.Node) string {
	if n = deref(n); n == nil || n.Kind != yaml.ScalarNode {
		return describe(n)
	}
	return short(n.Value)
}

// lastKey is the final segment of a dotted path, for hints like
// "write port: 5001".
func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	if i := strings.IndexByte(path, '['); i >= 0 {
		path = path[:i]
	}
	return path
}

func writeHint(path, example string) string {
	return "write " + lastKey(path) + ": " + example
}

// entry is one key of a mapping.
type entry struct {
	name string
	key  *yaml.Node
	val  *yaml.Node
}

// mapping is a YAML mapping with its merge keys (<<) expanded and its
// duplicated keys resolved the way PyYAML does: the last one wins.
type mapping struct {
	node    *yaml.Node
	path    string
	entries []entry
}

func (m *mapping) get(name string) (entry, bool) {
	for _, e := range m.entries {
		if e.name == name {
			return e, true
		}
	}
	return entry{}, false
}

// asMapping reads n as a mapping, or returns nil when it is not one.
func (d *decoder) asMapping(n *yaml.Node, path string) *mapping {
	r := deref(n)
	if r == nil || r.Kind != yaml.MappingNode {
		return nil
	}
	return &mapping{node: r, path: path, entries: d.entries(r, path, true)}
}

// expectMapping reads n as a mapping and reports an error when it is not.
func (d *decoder) expectMapping(n *yaml.Node, path, what, hint string) *mapping {
	m := d.asMapping(n, path)
	if m == nil {
		d.errorf(n, path, hint, "%s must be a mapping, got %s", what, describe(n))
	}
	return m
}

// entries lists the keys of mapping n in file order, merges expanded.
// Explicit keys win over merged ones, and earlier merge sources over later
// ones, as the YAML merge key specification says. warnDups reports
// duplicated keys (for the sections the loader reads; free-form ones are
// passed on as PyYAML would build them).
func (d *decoder) entries(n *yaml.Node, path string, warnDups bool) []entry {
	if d.merging[n] {
		d.errorf(n, path, "remove the alias that points back into its own anchor", "%s merges itself", orFile(path))
		return nil
	}
	d.merging[n] = true
	defer delete(d.merging, n)

	var out []entry
	index := map[string]int{}
	var merged []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !d.spend(k) {
			return out
		}
		kr := deref(k)
		if kr != nil && kr.Kind == yaml.ScalarNode && tag(kr) == "!!merge" {
			merged = append(merged, d.merge(v, path)...)
			continue
		}
		name := ""
		if kr != nil && kr.Kind == yaml.ScalarNode {
			name = kr.Value
		}
		e := entry{name: name, key: k, val: v}
		if j, dup := index[name]; dup && kr != nil && kr.Kind == yaml.ScalarNode {
			if warnDups {
				d.strictf(k, join(path, name), "remove one of them",
					"duplicate key %s (first on line %d); the last one wins, as in upstream", join(path, name), out[j].key.Line)
			}
			out[j] = e
			continue
		}
		index[name] = len(out)
		out = append(out, e)
	}
	for _, e := range merged {
		if _, ok := index[e.name]; ok {
			continue
		}
		index[e.name] = len(out)
		out = append(out, e)
	}
	return out
}

// merge returns the entries a merge key's value brings in.
func (d *decoder) merge(v *yaml.Node, path string) []entry {
	r := deref(v)
	switch {
	case r != nil && r.Kind == yaml.MappingNode:
		return d.entries(r, path, false)
	case r != nil && r.Kind == yaml.SequenceNode:
		var out []entry
		seen := map[string]bool{}
		for _, item := range r.Content {
			ir := deref(item)
			if ir == nil || ir.Kind != yaml.MappingNode {
				d.errorf(item, path, "write <<: *anchor or <<: [*a, *b]", "a merge key (<<) takes mappings, got %s", describe(item))
				continue
			}
			for _, e := range d.entries(ir, path, false) {
				if !seen[e.name] {
					seen[e.name] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	d.errorf(v, path, "write <<: *anchor or <<: [*a, *b]", "a merge key (<<) takes a mapping, got %s", describe(v))
	return nil
}

func orFile(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

// join appends a key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkKeys reports the keys of m that the section does not know.
func (d *decoder) checkKeys(m *mapping, section string) {
	if m == nil {
		return
	}
	for _, e := range m.entries {
		kr := deref(e.key)
		if kr == nil || kr.Kind != yaml.ScalarNode {
			d.strictf(e.key, m.path, "keys must be plain names", "%s has a key that is %s", orFile(m.path), describe(e.key))
			continue
		}
		if isKnown(section, e.name) {
			continue
		}
		hint := ""
		if s := suggest(e.name, knownKeys[section]); s != "" {
			hint = "did you mean " + s + "?"
		} else if section == secTop && misplaced[e.name] != "" {
			hint = e.name + " belongs under " + misplaced[e.name] + ":"
		} else {
			hint = "known keys: " + strings.Join(knownKeys[section], ", ")
		}
		d.strictf(e.key, join(m.path, e.name), hint, "unknown key %s", join(m.path, e.name))
	}
}

// Python's int() and float() accept these strings (after trimming spaces),
// which is how upstream coerces numbers it finds quoted.
var (
	pyInt   = regexp.MustCompile(`^[+-]?[0-9](_?[0-9])*$`)
	pyFloat = regexp.MustCompile(`^[+-]?((([0-9](_?[0-9])*)?\.[0-9](_?[0-9])*|[0-9](_?[0-9])*\.?)([eE][+-]?[0-9](_?[0-9])*)?|(?i:inf|infinity|nan))$`)
)

func quoted(n *yaml.Node) bool {
	return n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 ||
		n.Style&yaml.TaggedStyle != 0 && tag(n) == "!!str"
}

// integer reads an integer the way upstream's int() does: YAML integers,
// floats (truncated, with a warning when that changes the value) and quoted
// decimal strings (with a warning). Booleans are not numbers here.
func (d *decoder) integer(raw *yaml.Node, path, example string) (int64, bool) {
	n := deref(raw)
	hint := writeHint(path, example)
	if n == nil || n.Kind != yaml.ScalarNode {
		d.errorf(raw, path, hint, "%s must be an integer, got %s", path, describe(raw))
		return 0, false
	}
	switch tag(n) {
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil {
			var u uint64
			if n.Decode(&u) == nil {
				d.errorf(raw, path, hint, "%s is out of range for a 64-bit integer: %s", path, short(n.Value))
			} else {
				d.errorf(raw, path, hint, "%s must be an integer, got %s", path, strconv.Quote(short(n.Value)))
			}
			return 0, false
		}
		return v, true
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			d.errorf(raw, path, hint, "%s must be an integer, got %s", path, describe(raw))
			return 0, false
		}
		return d.truncate(raw, path, hint, f)
	case "!!str":
		s := strings.TrimSpace(n.Value)
		if pyInt.MatchString(s) {
			v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
			if err != nil {
				d.errorf(raw, path, hint, "%s is out of range for a 64-bit integer: %s", path, short(n.Value))
				return 0, false
			}
			if quoted(n) {
				d.warnf(raw, path, "write "+lastKey(path)+": "+strconv.FormatInt(v, 10)+" without quotes",
					"%s is a quoted number; read as %d, as upstream's int() does", path, v)
			}
			return v, true
		}
		if pyFloat.MatchString(s) && !quoted(n) {
			// A number YAML cannot hold, like 1e400.
			f, _ := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
			return d.truncate(raw, path, hint, f)
		}
	case "!!null":
		d.errorf(raw, path, hint, "%s has no value", path)
		return 0, false
	case "!!bool":
		d.errorf(raw, path, hint, "%s must be an integer, got %s; booleans are not numbers", path, describe(raw))
		return 0, false
	}
	if !customTag(n) {
		d.errorf(raw, path, hint, "%s must be an integer, got %s", path, describe(raw))
	}
	return 0, false
}

// truncate turns a float into an integer as Python's int() does, refusing
// what int() refuses (NaN, infinities) and what does not fit in 64 bits.
func (d *decoder) truncate(raw *yaml.Node, path, hint string, f float64) (int64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(raw, path, hint, "%s must be an integer, got %s", path, written(raw))
		return 0, false
	}
	if f >= 1<<63 || f < -(1<<63) {
		d.errorf(raw, path, hint, "%s is out of range for a 64-bit integer: %s", path, written(raw))
		return 0, false
	}
	v := int64(f)
	if float64(v) != f {
		d.warnf(raw, path, "write "+lastKey(path)+": "+strconv.FormatInt(v, 10),
			"%s is not a whole number; read as %d, as upstream's int() truncates it", path, v)
	}
	return v, true
}

// number reads a float the way upstream's float() does: YAML numbers and
// quoted numeric strings (with a warning). NaN and infinities come back as
// they are; callers range-check with finite.
func (d *decoder) number(raw *yaml.Node, path, example string) (float64, bool) {
	n := deref(raw)
	hint := writeHint(path, example)
	if n == nil || n.Kind != yaml.ScalarNode {
		d.errorf(raw, path, hint, "%s must be a number, got %s", path, describe(raw))
		return 0, false
	}
	switch tag(n) {
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			d.errorf(raw, path, hint, "%s must be a number, got %s", path, describe(raw))
			return 0, false
		}
		return f, true
	case "!!str":
		s := strings.TrimSpace(n.Value)
		if pyFloat.MatchString(s) {
			// ParseFloat reports out-of-range values as ±Inf with an error;
			// Python's float() gives the same infinity without one.
			f, _ := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
			if quoted(n) {
				d.warnf(raw, path, "write "+lastKey(path)+": "+s+" without quotes",
					"%s is a quoted number; read as %s, as upstream's float() does", path, s)
			}
			return f, true
		}
	case "!!null":
		d.errorf(raw, path, hint, "%s has no value", path)
		return 0, false
	case "!!bool":
		d.errorf(raw, path, hint, "%s must be a number, got %s; booleans are not numbers", path, describe(raw))
		return 0, false
	}
	if !customTag(n) {
		d.errorf(raw, path, hint, "%s must be a number, got %s", path, describe(raw))
	}
	return 0, false
}

// finite reports NaN and infinities, which no range in the format admits.
func (d *decoder) finite(raw *yaml.Node, path, example string, f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(raw, path, writeHint(path, example), "%s must be a finite number, got %s", path, written(raw))
		return false
	}
	return true
}

// str reads a string. Upstream keeps non-string scalars as they are (an id of
// 1 stays the integer 1 and prints as "1"), so numbers and booleans are read
// as written, with a warning.
func (d *decoder) str(raw *yaml.Node, path, example string) (string, bool) {
	n := deref(raw)
	hint := writeHint(path, example)
	if n == nil || n.Kind != yaml.ScalarNode {
		d.errorf(raw, path, hint, "%s must be a string, got %s", path, describe(raw))
		return "", false
	}
	switch tag(n) {
	case "!!str":
		return n.Value, true
	case "!!null":
		d.errorf(raw, path, hint, "%s has no value", path)
		return "", false
	case "!!int", "!!float", "!!bool", "!!timestamp":
		d.warnf(raw, path, "quote it: "+lastKey(path)+": "+strconv.Quote(n.Value),
			"%s is %s, not a string; read as %q", path, describe(raw), n.Value)
		return n.Value, true
	}
	if !customTag(n) {
		d.errorf(raw, path, hint, "%s must be a string, got %s", path, describe(raw))
	}
	return "", false
}

// yaml11Bools are the booleans of YAML 1.1, which upstream's PyYAML reads
// and YAML 1.2 (this parser) reads as strings.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// boolean reads true or false.
func (d *decoder) boolean(raw *yaml.Node, path string) (bool, bool) {
	n := deref(raw)
	hint := "write " + lastKey(path) + ": true or " + lastKey(path) + ": false"
	if n == nil || n.Kind != yaml.ScalarNode {
		d.errorf(raw, path, hint, "%s must be true or false, got %s", path, describe(raw))
		return false, false
	}
	switch tag(n) {
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	case "!!str":
		if b, ok := yaml11Bools[n.Value]; ok && !quoted(n) {
			d.warnf(raw, path, "write "+lastKey(path)+": "+strconv.FormatBool(b),
				"%s is %q, read as %t as in YAML 1.1", path, n.Value, b)
			return b, true
		}
	case "!!null":
		d.errorf(raw, path, hint, "%s has no value", path)
		return false, false
	}
	if !customTag(n) {
		d.errorf(raw, path, hint, "%s must be true or false, got %s", path, describe(raw))
	}
	return false, false
}

// value converts a free-form YAML value (docker:, config:, ml_inference:)
// into Go values: map[string]any, []any, string, int, float64, bool or nil.
// Mapping keys become strings (ports: {5000: 5000} gives the key "5000");
// dates and binary stay the text they were written as.
func (d *decoder) value(raw *yaml.Node, path string) any {
	n := deref(raw)
	if n == nil || !d.spend(raw) {
		return nil
	}
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		if d.active[n] {
			d.errorf(raw, path, "remove the alias that points back into its own anchor", "%s contains an alias to itself", path)
			return nil
		}
		d.active[n] = true
		defer delete(d.active, n)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for _, e := range d.entries(n, path, false) {
			kr := deref(e.key)
			if kr == nil || kr.Kind != yaml.ScalarNode {
				d.errorf(e.key, path, "use a plain name as the key", "%s has a key that is %s", path, describe(e.key))
				continue
			}
			m[e.name] = d.value(e.val, join(path, e.name))
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			l = append(l, d.value(item, fmt.Sprintf("%s[%d]", path, i)))
		}
		return l
	case yaml.ScalarNode:
		switch tag(n) {
		case "!!null":
			return nil
		case "!!bool":
			var b bool
			if n.Decode(&b) == nil {
				return b
			}
		case "!!int":
			var v any // int, or int64/uint64 when it does not fit
			if n.Decode(&v) == nil {
				return v
			}
		case "!!float":
			var f float64
			if n.Decode(&f) == nil {
				return f
			}
		}
		return n.Value
	}
	return nil
}

// knownTags are the tags PyYAML's safe_load constructs; it rejects others.
var knownTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!map": true, "!!seq": true, "!!timestamp": true, "!!binary": true, "!!merge": true,
	"!!omap": true, "!!pairs": true, "!!set": true,
}

// customTag reports a tag checkTags has already refused, so the value is
// not reported twice.
func customTag(n *yaml.Node) bool { return !knownTags[tag(n)] }

// checkTags reports tags upstream's loader would refuse, anywhere in the
// file. It walks the tree as written (aliases are leaves), so it is linear.
func (d *decoder) checkTags(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind != yaml.AliasNode && n.Kind != yaml.DocumentNode && n.Tag != "" && n.Tag != "!" && !knownTags[n.ShortTag()] {
		d.errorf(n, "", "remove the tag", "unknown tag %s; upstream's YAML loader (safe_load) refuses it", short(n.Tag))
	}
	for _, c := range n.Content {
		d.checkTags(c)
	}
}
