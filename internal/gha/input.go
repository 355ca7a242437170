package gha

import (
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/internal/exitcode"
)

// InputError reports an action input that is missing or malformed. The CLI
// exits with [exitcode.Invalid] for it.
type InputError struct {
	// Name is the input as action.yml spells it, e.g. "dry-run".
	Name string
	// Problem says what is wrong and what to write instead.
	Problem string
}

// Error implements error.
func (e *InputError) Error() string {
	return fmt.Sprintf("input %q: %s", e.Name, e.Problem)
}

// ExitCode implements [exitcode.Coder]: a bad input is invalid
// configuration.
func (e *InputError) ExitCode() int { return exitcode.Invalid }

var _ exitcode.Coder = (*InputError)(nil)

// inputEnv is the variable the runner sets for an input: spaces become
// underscores, hyphens stay, and the name is upper-cased.
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Input returns the input called name (as action.yml spells it), trimmed of
// surrounding white space, or "" if it is not set.
func (r *Runner) Input(name string) string {
	return strings.TrimSpace(r.getenv(inputEnv(name)))
}

// RequireInput returns the input called name, or an *[InputError] if it is
// empty. The runner does not enforce "required: true" from action.yml, and
// composite actions only see inputs their steps map to INPUT_* explicitly.
func (r *Runner) RequireInput(name string) (string, error) {
	v := r.Input(name)
	if v == "" {
		return "", &InputError{
			Name:    name,
			Problem: fmt.Sprintf("required, but %s is empty; set %s under \"with:\" in the workflow step", inputEnv(name), name),
		}
	}
	return v, nil
}

// BoolInput returns the input called name as a boolean, or def if it is
// empty. It accepts the YAML 1.2 core schema booleans that @actions/core
// accepts (true, True, TRUE, false, False, FALSE) and returns an
// *[InputError] for anything else, so that "yes" or "1" is not silently
// taken as false.
func (r *Runner) BoolInput(name string, def bool) (bool, error) {
	switch v := r.Input(name); v {
	case "":
		return def, nil
	case "true", "True", "TRUE":
		return true, nil
	case "false", "False", "FALSE":
		return false, nil
	default:
		return false, &InputError{
			Name:    name,
			Problem: fmt.Sprintf("%q is not a boolean; write true or false", v),
		}
	}
}

// MultilineInput returns the lines of the input called name, each trimmed,
// without empty lines and without comment lines (starting with "#"). It
// returns nil if no line is left.
func (r *Runner) MultilineInput(name string) []string {
	var out []string
	for line := range strings.Lines(r.Input(name)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out
}

// ListInput returns the items of the input called name, split on newlines
// and commas, each trimmed, without empty items. Comment lines (starting
// with "#") are dropped as in [Runner.MultilineInput]. It returns nil if no
// item is left.
func (r *Runner) ListInput(name string) []string {
	var out []string
	for _, line := range r.MultilineInput(name) {
		for item := range strings.SplitSeq(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}
