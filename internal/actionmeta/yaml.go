package actionmeta

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// pair is one key and its value in a YAML mapping.
type pair struct {
	key, value *yaml.Node
}

// parseDocument parses data and returns the root node of its single
// document.
func parseDocument(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("the file is empty")
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping at the top, found %s", root.Line, kindName(root))
	}
	return root, nil
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	default:
		return "nothing"
	}
}

// pairs returns the entries of the mapping n in file order; what names n in
// errors. A null or missing node has no entries.
func pairs(n *yaml.Node, what string) ([]pair, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: %s: want a mapping, found %s", n.Line, what, kindName(n))
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{key: n.Content[i], value: resolve(n.Content[i+1])})
	}
	return out, nil
}

// items returns the entries of the list n; what names n in errors.
func items(n *yaml.Node, what string) ([]*yaml.Node, error) {
	n = resolve(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: %s: want a list, found %s", n.Line, what, kindName(n))
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = resolve(c)
	}
	return out, nil
}

// scalar returns the text of the scalar n, or "" for null; what names n in
// errors.
func scalar(n *yaml.Node, what string) (string, error) {
	n = resolve(n)
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: %s: want a single value, found %s", n.Line, what, kindName(n))
	}
	return n.Value, nil
}

// textLine is the line of the first line of text in the scalar n: block
// scalars (| and >) start on the line after their indicator.
func textLine(n *yaml.Node) int {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line + 1
	}
	return n.Line
}

// vars returns a mapping of names to single values (env:, with:) in file
// order. An expression in place of the mapping (env: ${{ fromJSON(...) }})
// gives no entries, which the checks then treat as mapping nothing.
func vars(n *yaml.Node, what string) ([]Var, error) {
	n = resolve(n)
	if n != nil && n.Kind == yaml.ScalarNode {
		return nil, nil
	}
	ps, err := pairs(n, what)
	if err != nil {
		return nil, err
	}
	out := make([]Var, 0, len(ps))
	for _, p := range ps {
		v, err := scalar(p.value, what+"."+p.key.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, Var{Name: p.key.Value, Value: v, Line: p.key.Line})
	}
	return out, nil
}
