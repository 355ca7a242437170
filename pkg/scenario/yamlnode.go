package scenario

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// decoder walks a parsed YAML tree and collects diagnostics as it goes, so
// that one pass reports every mistake instead of the first. The YAML side
// (positions, the alias budget, mappings, plain getters) is yamldiag's;
// this file adds upstream's coercions (Python's int(), float(), YAML 1.1
// booleans) on top.
type decoder struct {
	*yamldiag.Decoder
	dir string
	// maxNodes is the node limit, checked on the nodes list before its
	// entries are decoded (see nodes).
	maxNodes int
	// nodesCompared counts the ids suggestNode compared (suggest.go).
	nodesCompared int
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

// checkKeys reports the keys of m that the section does not know.
func (d *decoder) checkKeys(m *yamldiag.Mapping, section string) {
	k := yamldiag.Keys{
		Known:  knownKeys[section],
		Accept: func(name string) bool { return isKnown(section, name) },
	}
	if section == secTop {
		k.Elsewhere = func(name string) string {
			if misplaced[name] == "" {
				return ""
			}
			return name + " belongs under " + misplaced[name] + ":"
		}
	}
	d.CheckKeys(m, k)
}

// Python's int() and float() accept these strings (after trimming spaces),
// which is how upstream coerces numbers it finds quoted. They
// are compiled on first use: package init runs on every verb's start.
var (
	pyInt   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[+-]?[0-9](_?[0-9])*$`) })
	pyFloat = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[+-]?((([0-9](_?[0-9])*)?\.[0-9](_?[0-9])*|[0-9](_?[0-9])*\.?)([eE][+-]?[0-9](_?[0-9])*)?|(?i:inf|infinity|nan))$`)
	})
)

// integer reads an integer the way upstream's int() does: YAML integers,
// floats (truncated, with a warning when that changes the value) and quoted
// decimal strings (with a warning). Booleans are not numbers here.
func (d *decoder) integer(raw *yaml.Node, path, example string) (int64, bool) {
	n := yamldiag.Deref(raw)
	hint := writeHint(path, example)
	if n != nil && n.Kind == yaml.ScalarNode {
		switch yamldiag.Tag(n) {
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				d.Errorf(raw, path, hint, "%s must be an integer, got %s", path, yamldiag.Describe(raw))
				return 0, false
			}
			return d.truncate(raw, path, hint, f)
		case "!!str":
			s := strings.TrimSpace(n.Value)
			if pyInt().MatchString(s) {
				v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
				if err != nil {
					d.Errorf(raw, path, hint, "%s is out of range for a 64-bit integer: %s", path, yamldiag.Short(n.Value))
					return 0, false
				}
				if yamldiag.Quoted(n) {
					d.Warnf(raw, path, "write "+lastKey(path)+": "+strconv.FormatInt(v, 10)+" without quotes",
						"%s is a quoted number; read as %d, as upstream's int() does", path, v)
				}
				return v, true
			}
			if pyFloat().MatchString(s) && !yamldiag.Quoted(n) {
				// A number YAML cannot hold, like 1e400.
				f, _ := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
				return d.truncate(raw, path, hint, f)
			}
		}
		if customTag(n) {
			return 0, false // checkTags has reported it
		}
	}
	return d.Int(raw, path, hint)
}

// truncate turns a float into an integer as Python's int() does, refusing
// what int() refuses (NaN, infinities) and what does not fit in 64 bits.
func (d *decoder) truncate(raw *yaml.Node, path, hint string, f float64) (int64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.Errorf(raw, path, hint, "%s must be an integer, got %s", path, yamldiag.Written(raw))
		return 0, false
	}
	if f >= 1<<63 || f < -(1<<63) {
		d.Errorf(raw, path, hint, "%s is out of range for a 64-bit integer: %s", path, yamldiag.Written(raw))
		return 0, false
	}
	v := int64(f)
	if float64(v) != f {
		d.Warnf(raw, path, "write "+lastKey(path)+": "+strconv.FormatInt(v, 10),
			"%s is not a whole number; read as %d, as upstream's int() truncates it", path, v)
	}
	return v, true
}

// number reads a float the way upstream's float() does: YAML numbers and
// quoted numeric strings (with a warning). NaN and infinities come back as
// they are; callers range-check with finite.
func (d *decoder) number(raw *yaml.Node, path, example string) (float64, bool) {
	n := yamldiag.Deref(raw)
	if n != nil && n.Kind == yaml.ScalarNode {
		if s := strings.TrimSpace(n.Value); yamldiag.Tag(n) == "!!str" && pyFloat().MatchString(s) {
			// ParseFloat reports out-of-range values as ±Inf with an error;
			// Python's float() gives the same infinity without one.
			f, _ := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
			if yamldiag.Quoted(n) {
				d.Warnf(raw, path, "write "+lastKey(path)+": "+s+" without quotes",
					"%s is a quoted number; read as %s, as upstream's float() does", path, s)
			}
			return f, true
		}
		if customTag(n) {
			return 0, false
		}
	}
	return d.Float(raw, path, writeHint(path, example))
}

// finite reports NaN and infinities, which no range in the format admits.
func (d *decoder) finite(raw *yaml.Node, path, example string, f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.Errorf(raw, path, writeHint(path, example), "%s must be a finite number, got %s", path, yamldiag.Written(raw))
		return false
	}
	return true
}

// str reads a string. Upstream keeps non-string scalars as they are (an id of
// 1 stays the integer 1 and prints as "1"), so numbers and booleans are read
// as written, with a warning.
func (d *decoder) str(raw *yaml.Node, path, example string) (string, bool) {
	n := yamldiag.Deref(raw)
	if n != nil && n.Kind == yaml.ScalarNode {
		switch yamldiag.Tag(n) {
		case "!!int", "!!float", "!!bool", "!!timestamp":
			d.Warnf(raw, path, "quote it: "+lastKey(path)+": "+strconv.Quote(n.Value),
				"%s is %s, not a string; read as %q", path, yamldiag.Describe(raw), n.Value)
			return n.Value, true
		}
		if customTag(n) {
			return "", false
		}
	}
	return d.String(raw, path, writeHint(path, example))
}

// yaml11Bools are the booleans of YAML 1.1, which upstream's PyYAML reads
// and YAML 1.2 (this parser) reads as strings.
var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// boolean reads true or false, and YAML 1.1's yes, no, on, off (with a
// warning).
func (d *decoder) boolean(raw *yaml.Node, path string) (bool, bool) {
	n := yamldiag.Deref(raw)
	if n != nil && n.Kind == yaml.ScalarNode {
		if b, ok := yaml11Bools[n.Value]; ok && yamldiag.Tag(n) == "!!str" && !yamldiag.Quoted(n) {
			d.Warnf(raw, path, "write "+lastKey(path)+": "+strconv.FormatBool(b),
				"%s is %q, read as %t as in YAML 1.1", path, n.Value, b)
			return b, true
		}
		if customTag(n) {
			return false, false
		}
	}
	return d.Bool(raw, path, "write "+lastKey(path)+": true or "+lastKey(path)+": false")
}

// knownTags are the tags PyYAML's safe_load constructs; it rejects others.
var knownTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!map": true, "!!seq": true, "!!timestamp": true, "!!binary": true, "!!merge": true,
	"!!omap": true, "!!pairs": true, "!!set": true,
}

// customTag reports a tag checkTags has already refused, so the value is
// not reported twice.
func customTag(n *yaml.Node) bool { return !knownTags[yamldiag.Tag(n)] }

// checkTags reports tags upstream's loader would refuse, anywhere in the
// file. It walks the tree as written (aliases are leaves), so it is linear.
func (d *decoder) checkTags(n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind != yaml.AliasNode && n.Kind != yaml.DocumentNode && n.Tag != "" && n.Tag != "!" && !knownTags[n.ShortTag()] {
		d.Errorf(n, "", "remove the tag", "unknown tag %s; upstream's YAML loader (safe_load) refuses it", yamldiag.Short(n.Tag))
	}
	for _, c := range n.Content {
		d.checkTags(c)
	}
}
