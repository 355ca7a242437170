package yamldiag

import (
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Deref follows an alias to the node it names.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// Tag returns n's resolved short tag (!!str, !!int, ...); nil is !!null.
func Tag(n *yaml.Node) string {
	if n == nil {
		return "!!null"
	}
	return n.ShortTag()
}

// IsNull reports a missing value, an explicit null, or an alias to one.
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && Tag(n) == "!!null"
}

// Quoted reports a scalar written as a string on purpose: quoted, a block
// scalar, or tagged !!str.
func Quoted(n *yaml.Node) bool {
	return n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 ||
		n.Style&yaml.TaggedStyle != 0 && Tag(n) == "!!str"
}

// TextLine is the line of the first line of text in the scalar n: block
// scalars (| and >) start on the line after their indicator.
func TextLine(n *yaml.Node) int {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line + 1
	}
	return n.Line
}

// Describe names what the user wrote, for "got ..." in messages: a
// mapping, a list, no value, the boolean true, 42, "text".
func Describe(n *yaml.Node) string {
	n = Deref(n)
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
	switch Tag(n) {
	case "!!null":
		return "no value"
	case "!!bool":
		return "the boolean " + n.Value
	case "!!int", "!!float":
		return Short(n.Value)
	case "!!timestamp":
		return "the date " + Short(n.Value)
	}
	return strconv.Quote(Short(n.Value))
}

// Written returns a scalar as written, for "got X" in range errors; other
// nodes as Describe names them.
func Written(n *yaml.Node) string {
	if n = Deref(n); n == nil || n.Kind != yaml.ScalarNode {
		return Describe(n)
	}
	return Short(n.Value)
}

// Short truncates long values quoted in messages, at a rune boundary.
func Short(s string) string {
	const maxLen = 40
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "..."
}

// Join appends a key to a dotted path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
