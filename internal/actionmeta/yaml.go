package actionmeta

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
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
	root := yamldiag.Deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want a mapping at the top, found %s", root.Line, yamldiag.Describe(root))
	}
	return root, nil
}

// pairs returns the entries of the mapping n in file order; what names n in
// errors. A null or missing node has no entries.
func pairs(n *yaml.Node, what string) ([]pair, error) {
	n = yamldiag.Deref(n)
	if yamldiag.IsNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: %s: want a mapping, found %s", n.Line, what, yamldiag.Describe(n))
	}
	out := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, pair{key: n.Content[i], value: yamldiag.Deref(n.Content[i+1])})
	}
	return out, nil
}

// items returns the entries of the list n; what names n in errors.
func items(n *yaml.Node, what string) ([]*yaml.Node, error) {
	n = yamldiag.Deref(n)
	if yamldiag.IsNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: %s: want a list, found %s", n.Line, what, yamldiag.Describe(n))
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = yamldiag.Deref(c)
	}
	return out, nil
}

// scalar returns the text of the scalar n, or "" for null; what names n in
// errors.
func scalar(n *yaml.Node, what string) (string, error) {
	n = yamldiag.Deref(n)
	if yamldiag.IsNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: %s: want a single value, found %s", n.Line, what, yamldiag.Describe(n))
	}
	return n.Value, nil
}

// vars returns a mapping of names to single values (env:, with:) in file
// order. An expression in place of the mapping (env: ${{ fromJSON(...) }})
// gives no entries, which the checks then treat as mapping nothing.
func vars(n *yaml.Node, what string) ([]Var, error) {
	n = yamldiag.Deref(n)
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

// lineComment is the comment on n's line (after the value, or after the
// key), without its # and spaces.
func lineComment(n *yaml.Node) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(n.LineComment), "#"))
}
