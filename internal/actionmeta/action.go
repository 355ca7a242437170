package actionmeta

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// Action is the metadata of one action, as its action.yml declares it.
// Inputs, outputs and steps keep their file order; every element carries
// the line it starts on.
type Action struct {
	// Path is the file the action was loaded from.
	Path string
	// Root marks the repository's root action (uses: owner/repo@ref), the
	// one the Marketplace lists; [Check] requires branding on it. [Load]
	// leaves it false; [LoadRepo] sets it.
	Root bool

	Name        string
	Description string
	Author      string
	// Branding is nil when action.yml has none.
	Branding *Branding
	Inputs   []Input
	Outputs  []Output
	Runs     Runs
}

// Branding is the icon and color the Marketplace shows.
type Branding struct {
	Icon  string
	Color string
	Line  int
}

// Input is one entry of inputs:.
type Input struct {
	// ID is the input's name as action.yml spells it, e.g. "fail-on-warning".
	ID          string
	Line        int
	Description string
	Required    bool
	// Default is the default value; HasDefault tells an empty default from
	// none.
	Default            string
	HasDefault         bool
	DeprecationMessage string
}

// Output is one entry of outputs:.
type Output struct {
	ID          string
	Line        int
	Description string
	// Value is the expression a composite action's output takes its value
	// from, e.g. ${{ steps.simulate.outputs.verdict }}.
	Value string
}

// Runs is the runs: section.
type Runs struct {
	Line int
	// Using is composite, docker, node20 or node24.
	Using string
	// Steps are a composite action's steps.
	Steps []Step
	// Image is a docker action's image (Dockerfile or docker://...).
	Image string
	// Main is a JavaScript action's entry point.
	Main string
}

// Step is one step of a composite action or of a workflow job.
type Step struct {
	Line int
	ID   string
	Name string
	If   string
	Uses string
	// UsesComment is the comment after uses: on its line, without the #:
	// the version a commit pin stands for (# v6.0.2).
	UsesComment string
	Run         string
	// RunLine is the line of the first line of the run: script.
	RunLine          int
	Shell            string
	WorkingDirectory string
	Env              []Var
	With             []Var
}

// Var is one entry of an env: or with: mapping.
type Var struct {
	Name  string
	Value string
	Line  int
}

// label names the step as a problem's subject: its id, else its name, else
// its line.
func (s *Step) label() string {
	switch {
	case s.ID != "":
		return s.ID
	case s.Name != "":
		return s.Name
	default:
		return fmt.Sprintf("line %d", s.Line)
	}
}

// describe names the step in a problem's message.
func (s *Step) describe() string {
	if s.ID == "" && s.Name == "" {
		return fmt.Sprintf("the step at line %d", s.Line)
	}
	return fmt.Sprintf("step %q", s.label())
}

// Load reads and parses the action metadata file at path.
func Load(path string) (*Action, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the repository's own action metadata, named by the caller
	if err != nil {
		return nil, fmt.Errorf("reading action metadata: %w", err)
	}
	return Parse(data, path)
}

// Parse parses action metadata; path names the file in the result and in
// errors. It returns an error only when the file is not YAML or a section
// has the wrong shape (a list where a mapping belongs); everything else is
// left to [Check].
func Parse(data []byte, path string) (*Action, error) {
	a, err := parseAction(path, data)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return a, nil
}

func parseAction(path string, data []byte) (*Action, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, err
	}
	a := &Action{Path: path}
	top, err := pairs(root, "action")
	if err != nil {
		return nil, err
	}
	for _, p := range top {
		k := p.key.Value
		switch k {
		case "name":
			a.Name, err = scalar(p.value, k)
		case "description":
			a.Description, err = scalar(p.value, k)
		case "author":
			a.Author, err = scalar(p.value, k)
		case "branding":
			a.Branding, err = parseBranding(p)
		case "inputs":
			a.Inputs, err = parseInputs(p.value)
		case "outputs":
			a.Outputs, err = parseOutputs(p.value)
		case "runs":
			a.Runs, err = parseRuns(p)
		}
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

func parseBranding(p pair) (*Branding, error) {
	b := &Branding{Line: p.key.Line}
	ps, err := pairs(p.value, "branding")
	if err != nil {
		return nil, err
	}
	for _, q := range ps {
		switch q.key.Value {
		case "icon":
			b.Icon, err = scalar(q.value, "branding.icon")
		case "color":
			b.Color, err = scalar(q.value, "branding.color")
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

func parseInputs(n *yaml.Node) ([]Input, error) {
	ps, err := pairs(n, "inputs")
	if err != nil {
		return nil, err
	}
	out := make([]Input, 0, len(ps))
	for _, p := range ps {
		in := Input{ID: p.key.Value, Line: p.key.Line}
		what := "inputs." + in.ID
		fields, err := pairs(p.value, what)
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			k := f.key.Value
			switch k {
			case "description":
				in.Description, err = scalar(f.value, what+"."+k)
			case "required":
				var v string
				if v, err = scalar(f.value, what+"."+k); err == nil {
					switch v {
					case "true":
						in.Required = true
					case "false", "":
					default:
						err = fmt.Errorf("line %d: %s.required: %q is not a boolean; write true or false", f.value.Line, what, v)
					}
				}
			case "default":
				in.Default, err = scalar(f.value, what+"."+k)
				in.HasDefault = true
			case "deprecationMessage":
				in.DeprecationMessage, err = scalar(f.value, what+"."+k)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, in)
	}
	return out, nil
}

func parseOutputs(n *yaml.Node) ([]Output, error) {
	ps, err := pairs(n, "outputs")
	if err != nil {
		return nil, err
	}
	out := make([]Output, 0, len(ps))
	for _, p := range ps {
		o := Output{ID: p.key.Value, Line: p.key.Line}
		what := "outputs." + o.ID
		fields, err := pairs(p.value, what)
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			switch f.key.Value {
			case "description":
				o.Description, err = scalar(f.value, what+".description")
			case "value":
				o.Value, err = scalar(f.value, what+".value")
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func parseRuns(p pair) (Runs, error) {
	r := Runs{Line: p.key.Line}
	ps, err := pairs(p.value, "runs")
	if err != nil {
		return r, err
	}
	for _, q := range ps {
		k := q.key.Value
		switch k {
		case "using":
			r.Using, err = scalar(q.value, "runs.using")
		case "image":
			r.Image, err = scalar(q.value, "runs.image")
		case "main":
			r.Main, err = scalar(q.value, "runs.main")
		case "steps":
			r.Steps, err = parseSteps(q.value, "runs.steps")
		}
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// parseSteps parses a list of steps, of a composite action or of a job.
func parseSteps(n *yaml.Node, what string) ([]Step, error) {
	list, err := items(n, what)
	if err != nil {
		return nil, err
	}
	out := make([]Step, 0, len(list))
	for i, item := range list {
		s := Step{Line: item.Line}
		sw := fmt.Sprintf("%s[%d]", what, i)
		fields, err := pairs(item, sw)
		if err != nil {
			return nil, err
		}
		for _, f := range fields {
			k := f.key.Value
			switch k {
			case "id":
				s.ID, err = scalar(f.value, sw+".id")
			case "name":
				s.Name, err = scalar(f.value, sw+".name")
			case "if":
				s.If, err = scalar(f.value, sw+".if")
			case "uses":
				s.Uses, err = scalar(f.value, sw+".uses")
				s.UsesComment = lineComment(f.value)
			case "run":
				s.Run, err = scalar(f.value, sw+".run")
				s.RunLine = yamldiag.TextLine(f.value)
			case "shell":
				s.Shell, err = scalar(f.value, sw+".shell")
			case "working-directory":
				s.WorkingDirectory, err = scalar(f.value, sw+".working-directory")
			case "env":
				s.Env, err = vars(f.value, sw+".env")
			case "with":
				s.With, err = vars(f.value, sw+".with")
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, nil
}
