package compose

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one reason the host's compose tool would refuse the file.
type Problem struct {
	// Node is what the problem concerns: a mapping key when a setting is
	// wrong or unknown, a list item, or the document's root.
	Node *yaml.Node
	// Message says what is wrong, in compose-go's words where it has any.
	Message string
	// UnknownKey marks a setting the specification does not have; Message
	// is then `unknown key "k" in services.app` (or "at the top level").
	UnknownKey bool
}

// Error is the problem with its position, line:column: message.
func (p Problem) Error() string {
	if p.Node == nil {
		return p.Message
	}
	return fmt.Sprintf("%d:%d: %s", p.Node.Line, p.Node.Column, p.Message)
}

// Check reports what the host's compose tool, given file as project
// project, would reject in root, the file's parsed YAML (a document or its
// mapping). lookup gives ${VAR} values and whether each is set; nil sets
// none. Check warns about nothing: an unset variable is blank, quietly.
//
// Like compose-go, it stops at the first stage that fails: the project
// name, then the YAML (duplicate or non-string keys), interpolation, the
// lists the loader keeps one entry per key of, the schema (one problem, the most specific), then the checks on the loaded
// model (all of them). No problems means the file loads.
func Check(root *yaml.Node, file, project string, lookup func(string) (string, bool)) []Problem {
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	if root == nil {
		return []Problem{{Message: fmt.Sprintf("the compose file %s is empty", file)}}
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	switch {
	case project == "":
		return []Problem{{Node: root, Message: "project name must not be empty"}}
	case NormalizeProjectName(project) != project:
		return []Problem{{Node: root, Message: fmt.Sprintf("invalid project name %q: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number", project)}}
	}
	var probs []Problem
	v := build(root, nil, "", &probs)
	if len(probs) > 0 {
		return probs
	}
	if v.kind != kMap {
		return []Problem{{Node: root, Message: "top-level object must be a mapping"}}
	}
	interpolate(v, nil, lookup, root, &probs)
	if len(probs) > 0 {
		return probs
	}
	unify(v, nil, &probs)
	if len(probs) > 0 {
		return probs
	}
	s, err := spec()
	if err != nil {
		return []Problem{{Node: root, Message: fmt.Sprintf("checking %s: %v", file, err)}}
	}
	if errs, _ := s.validate(v, nil); len(errs) > 0 {
		return []Problem{schemaProblem(mostSpecific(errs))}
	}
	if len(v.keys) == 0 {
		return []Problem{{Node: root, Message: "empty compose file"}}
	}
	c := &checker{root: v}
	c.run()
	return c.probs
}

func schemaProblem(e schemaError) Problem {
	path := strings.Join(e.path, ".")
	if e.unknown && len(e.path) > 0 {
		k, where := e.path[len(e.path)-1], "at the top level"
		if len(e.path) > 1 {
			where = "in " + strings.Join(e.path[:len(e.path)-1], ".")
		}
		return Problem{Node: e.v.at(), Message: fmt.Sprintf("unknown key %q %s", k, where), UnknownKey: true}
	}
	if path == "" {
		path = "the file"
	}
	return Problem{Node: e.v.at(), Message: path + " " + e.msg}
}

// NormalizeProjectName is s as a compose project name, as compose-go's
// loader.NormalizeProjectName makes it: lower case, only letters, digits,
// - and _, not starting with - or _. A name is valid when it is its own
// normal form.
func NormalizeProjectName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "_-")
}
