package yamldiag

import (
	"slices"

	"go.yaml.in/yaml/v3"
)

// Entry is one key of a mapping and its value, as written (aliases are not
// followed).
type Entry struct {
	Name string
	Key  *yaml.Node
	Val  *yaml.Node
}

// Mapping is a YAML mapping with its merge keys (<<) expanded and its
// duplicated keys resolved the way PyYAML and most loaders do: the last one
// wins.
type Mapping struct {
	Node *yaml.Node
	// Use is the node the mapping was read from: an alias of Node where
	// the file reuses an anchor (*x), else Node. A diagnostic about one
	// use of a shared mapping points here, not at the anchor.
	Use *yaml.Node
	// Path is the mapping's dotted path, "" for the file's root.
	Path    string
	Entries []Entry
}

// Get returns the entry named name.
func (m *Mapping) Get(name string) (Entry, bool) {
	for _, e := range m.Entries {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// AsMap reads n as the mapping at path, or returns nil, reporting nothing,
// when it is not one. Duplicated keys are reported with Strictf.
func (d *Decoder) AsMap(n *yaml.Node, path string) *Mapping {
	r := Deref(n)
	if r == nil || r.Kind != yaml.MappingNode {
		return nil
	}
	return &Mapping{Node: r, Use: n, Path: path, Entries: d.entries(r, path, true)}
}

// Map is AsMap that reports "<what> must be a mapping, got ..." when n is
// not one.
func (d *Decoder) Map(n *yaml.Node, path, what, hint string) *Mapping {
	m := d.AsMap(n, path)
	if m == nil {
		d.Errorf(n, path, hint, "%s must be a mapping, got %s", what, Describe(n))
	}
	return m
}

// entries lists the keys of mapping n in file order, merges expanded.
// Explicit keys win over merged ones, and earlier merge sources over later
// ones, as the YAML merge key specification says. warnDups reports
// duplicated keys (for the sections a format reads; free-form ones are
// passed on as a YAML loader would build them).
func (d *Decoder) entries(n *yaml.Node, path string, warnDups bool) []Entry {
	if d.merging[n] {
		d.Errorf(n, path, "remove the alias that points back into its own anchor", "%s merges itself", orFile(path))
		return nil
	}
	d.merging[n] = true
	defer delete(d.merging, n)

	var out []Entry
	index := map[string]int{}
	var merged []Entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !d.Spend(k) {
			return out
		}
		kr := Deref(k)
		if kr != nil && kr.Kind == yaml.ScalarNode && Tag(kr) == "!!merge" {
			merged = append(merged, d.merge(v, path)...)
			continue
		}
		name := ""
		if kr != nil && kr.Kind == yaml.ScalarNode {
			name = kr.Value
		}
		e := Entry{Name: name, Key: k, Val: v}
		if j, dup := index[name]; dup && kr != nil && kr.Kind == yaml.ScalarNode {
			if warnDups {
				d.Strictf(k, Join(path, name), "remove one of them",
					"duplicate key %s (first on line %d); the last one wins", Join(path, name), out[j].Key.Line)
			}
			out[j] = e
			continue
		}
		index[name] = len(out)
		out = append(out, e)
	}
	for _, e := range merged {
		if _, ok := index[e.Name]; ok {
			continue
		}
		index[e.Name] = len(out)
		out = append(out, e)
	}
	return out
}

// merge returns the entries a merge key's value brings in.
func (d *Decoder) merge(v *yaml.Node, path string) []Entry {
	r := Deref(v)
	switch {
	case r != nil && r.Kind == yaml.MappingNode:
		return d.entries(r, path, false)
	case r != nil && r.Kind == yaml.SequenceNode:
		var out []Entry
		seen := map[string]bool{}
		for _, item := range r.Content {
			ir := Deref(item)
			if ir == nil || ir.Kind != yaml.MappingNode {
				d.Errorf(item, path, "write <<: *anchor or <<: [*a, *b]", "a merge key (<<) takes mappings, got %s", Describe(item))
				continue
			}
			for _, e := range d.entries(ir, path, false) {
				if !seen[e.Name] {
					seen[e.Name] = true
					out = append(out, e)
				}
			}
		}
		return out
	}
	d.Errorf(v, path, "write <<: *anchor or <<: [*a, *b]", "a merge key (<<) takes a mapping, got %s", Describe(v))
	return nil
}

func orFile(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

// Keys says which keys a mapping may hold, for CheckKeys.
type Keys struct {
	// Known are the keys the format reads, in the order hints list them.
	Known []string
	// Accept, when set, admits more keys (extension fields, free-form
	// sections).
	Accept func(name string) bool
	// Elsewhere, when set, is the hint for an unknown key that is no typo
	// of a known one, such as "seed belongs under simulation:"; "" lists the
	// known keys instead.
	Elsewhere func(name string) string
	// Message words the report; the default is "unknown key PATH.NAME".
	Message func(path, name string) string
}

// CheckKeys reports, with Strictf, each key of m that k does not admit,
// with a hint: the known key it is likely a typo of ("did you mean
// port?"), else k.Elsewhere's, else the known keys. Keys that are not plain
// names are reported too.
func (d *Decoder) CheckKeys(m *Mapping, k Keys) {
	if m == nil {
		return
	}
	for _, e := range m.Entries {
		kr := Deref(e.Key)
		if kr == nil || kr.Kind != yaml.ScalarNode {
			d.Strictf(e.Key, m.Path, "keys must be plain names", "%s has a key that is %s", orFile(m.Path), Describe(e.Key))
			continue
		}
		if slices.Contains(k.Known, e.Name) || k.Accept != nil && k.Accept(e.Name) {
			continue
		}
		if !d.Room(d.strictSeverity()) {
			d.dropped[d.strictSeverity()&1]++ // no suggestion to compute
			continue
		}
		hint := ""
		if k.Elsewhere != nil && Suggest(e.Name, k.Known) == "" {
			hint = k.Elsewhere(e.Name)
		}
		if hint == "" {
			hint = KeyHint(e.Name, k.Known)
		}
		msg := "unknown key " + Join(m.Path, e.Name)
		if k.Message != nil {
			msg = k.Message(m.Path, e.Name)
		}
		d.Strictf(e.Key, Join(m.Path, e.Name), hint, "%s", msg)
	}
}
