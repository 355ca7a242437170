package actionmeta

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// Workflow is what the checks need of a workflow file.
type Workflow struct {
	// Path is the file the workflow was loaded from.
	Path string
	Name string
	// On lists the events that trigger the workflow, in file order. OnLine
	// is the line of the on: key, 0 if there is none.
	On     []Event
	OnLine int
	// Permissions are the workflow's default permissions; nil when the
	// workflow sets none.
	Permissions *Permissions
	Jobs        []Job
	// Env is the workflow-level env:, which every job and step sees.
	Env []Var
	// Expressions are all ${{ ... }} expressions in the file, in order.
	Expressions []Expression
}

// Event is one trigger under on:.
type Event struct {
	Name string
	Line int
}

// Permissions is a permissions: setting: either All (read-all, write-all,
// or "" for a mapping) or one access level per scope.
type Permissions struct {
	Line   int
	All    string
	Scopes []Var
}

// Job is one job of a workflow.
type Job struct {
	ID   string
	Line int
	Name string
	// Permissions is nil when the job sets none (it then has the workflow's).
	Permissions *Permissions
	// Uses is the reusable workflow a job calls, "" for a job with steps;
	// UsesComment the comment on its line.
	Uses        string
	UsesComment string
	// If is the job's if: condition, "" for none.
	If string
	// Environment is the name of the job's environment:, "" for none.
	Environment string
	// Needs are the jobs this one waits for, in file order.
	Needs []string
	Steps []Step
}

// Expression is the text between ${{ and }} and the line it is on.
type Expression struct {
	Text string
	Line int
}

// LoadWorkflow reads and parses the workflow file at path.
func LoadWorkflow(path string) (*Workflow, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- a workflow of the repository, named by the caller
	if err != nil {
		return nil, fmt.Errorf("reading workflow: %w", err)
	}
	return ParseWorkflow(data, path)
}

// ParseWorkflow parses a workflow; path names the file in the result and in
// errors.
func ParseWorkflow(data []byte, path string) (*Workflow, error) {
	w, err := parseWorkflow(path, data)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return w, nil
}

func parseWorkflow(path string, data []byte) (*Workflow, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	w := &Workflow{Path: path}
	w.Expressions = collectExpressions(root, nil)
	top, err := pairs(root, "workflow")
	if err != nil {
		return nil, err
	}
	for _, p := range top {
		k := p.key.Value
		switch k {
		case "name":
			w.Name, err = scalar(p.value, k)
		case "on":
			w.OnLine = p.key.Line
			w.On, err = parseOn(p.value)
		case "permissions":
			w.Permissions, err = parsePermissions(p, k)
		case "jobs":
			w.Jobs, err = parseJobs(p.value)
		case "env":
			w.Env, err = vars(p.value, k)
		}
		if err != nil {
			return nil, err
		}
	}
	return w, nil
}

// parseOn reads the three forms of on: (an event, a list of events, or a
// mapping from events to their filters).
func parseOn(n *yaml.Node) ([]Event, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []Event{{Name: n.Value, Line: n.Line}}, nil
	case yaml.SequenceNode:
		list, err := items(n, "on")
		if err != nil {
			return nil, err
		}
		out := make([]Event, 0, len(list))
		for _, item := range list {
			v, err := scalar(item, "on")
			if err != nil {
				return nil, err
			}
			out = append(out, Event{Name: v, Line: item.Line})
		}
		return out, nil
	default:
		ps, err := pairs(n, "on")
		if err != nil {
			return nil, err
		}
		out := make([]Event, 0, len(ps))
		for _, p := range ps {
			out = append(out, Event{Name: p.key.Value, Line: p.key.Line})
		}
		return out, nil
	}
}

func parsePermissions(p pair, what string) (*Permissions, error) {
	perm := &Permissions{Line: p.key.Line}
	if p.value.Kind == yaml.ScalarNode && !yamldiag.IsNull(p.value) {
		perm.All = p.value.Value
		return perm, nil
	}
	scopes, err := vars(p.value, what)
	if err != nil {
		return nil, err
	}
	perm.Scopes = scopes
	return perm, nil
}

func parseJobs(n *yaml.Node) ([]Job, error) {
	ps, err := pairs(n, "jobs")
	if err != nil {
		return nil, err
	}
	out := make([]Job, 0, len(ps))
	for _, p := range ps {
		j := Job{ID: p.key.Value, Line: p.key.Line}
		what := "jobs." + j.ID
		fields, err := pairs(p.value, what)
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			k := f.key.Value
			switch k {
			case "name":
				j.Name, err = scalar(f.value, what+".name")
			case "permissions":
				j.Permissions, err = parsePermissions(f, what+".permissions")
			case "uses":
				j.Uses, err = scalar(f.value, what+".uses")
				j.UsesComment = lineComment(f.value)
			case "if":
				j.If, err = scalar(f.value, what+".if")
			case "environment":
				j.Environment, err = parseEnvironment(f.value, what+".environment")
			case "needs":
				j.Needs, err = parseNeeds(f.value, what+".needs")
			case "steps":
				j.Steps, err = parseSteps(f.value, what+".steps")
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, j)
	}
	return out, nil
}

// collectExpressions appends every expression in the keys and values under
// n to out.
func collectExpressions(n *yaml.Node, out []Expression) []Expression {
	if n == nil {
		return out
	}
	switch n.Kind {
	case yaml.ScalarNode:
		for _, e := range expressions(n.Value) {
			line := yamldiag.TextLine(n) + strings.Count(n.Value[:e.offset], "\n")
			out = append(out, Expression{Text: e.text, Line: line})
		}
	case yaml.DocumentNode, yaml.MappingNode, yaml.SequenceNode:
		for _, c := range n.Content {
			out = collectExpressions(c, out)
		}
	}
	return out
}

// parseEnvironment reads the two forms of a job's environment: (a name, or
// a mapping with name: and url:).
func parseEnvironment(n *yaml.Node, what string) (string, error) {
	if n.Kind == yaml.ScalarNode {
		return scalar(n, what)
	}
	ps, err := pairs(n, what)
	if err != nil {
		return "", err
	}
	for _, p := range ps {
		if p.key.Value == "name" {
			return scalar(p.value, what+".name")
		}
	}
	return "", nil
}

// parseNeeds reads a job's needs: (a job id, or a list of them).
func parseNeeds(n *yaml.Node, what string) ([]string, error) {
	if n.Kind == yaml.ScalarNode {
		v, err := scalar(n, what)
		return []string{v}, err
	}
	list, err := items(n, what)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		v, err := scalar(item, what)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
