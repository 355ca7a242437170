package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/pkg/report"
	"github.com/xedgesim/simulate/pkg/scenario"
)

// ui renders what the libraries return: annotations on the scenario's lines
// under Actions, file:line:col lines on a terminal.
type ui struct {
	gha    *gha.Runner
	out    io.Writer
	getenv func(string) string
	// action is set for the gha verbs, whose outputs are printed even
	// without GITHUB_OUTPUT, so that an action can be tried locally.
	action bool
}

// uiOption configures a ui.
type uiOption func(*ui)

// asAction marks the ui of a gha verb.
func asAction() uiOption { return func(u *ui) { u.action = true } }

func newUI(cmd *cobra.Command, uopts ...uiOption) (*ui, error) {
	getenv := getenvOf(cmd.Context())
	opts := []gha.Option{
		gha.WithWriter(cmd.OutOrStdout()),
		gha.WithStderr(cmd.ErrOrStderr()),
		gha.WithGetenv(getenv),
	}
	r, err := gha.New(opts...)
	if err != nil {
		return nil, err
	}
	u := &ui{gha: r, out: cmd.OutOrStdout(), getenv: getenv}
	for _, o := range uopts {
		o(u)
	}
	return u, nil
}

// output is one step output.
type output struct{ name, value string }

// actionResult is what a verb tells the Actions runner.
type actionResult struct {
	outputs []output
	summary string // markdown; empty for none
}

// publish writes a verb's outputs and step summary whenever the runner's
// files are set, so that `run: xedgesim VERB` in a workflow gives what the
// action gives; a gha verb prints its outputs without them too. It returns
// runErr, joined with any error writing them.
func (u *ui) publish(res actionResult, runErr error) error {
	var errs []error
	if u.action || u.getenv("GITHUB_OUTPUT") != "" {
		for _, o := range res.outputs {
			errs = append(errs, u.gha.SetOutput(o.name, o.value))
		}
	}
	if res.summary != "" {
		errs = append(errs, u.gha.AddStepSummary(res.summary))
	}
	if err := errors.Join(errs...); err != nil {
		return errors.Join(runErr, fmt.Errorf("writing action outputs: %w", err))
	}
	return runErr
}

// maxAnnotations is how many failed assertions get an annotation; GitHub
// shows only the first ten errors of a step anyway.
const maxAnnotations = 10

// failedAssertions annotates the scenario line of each failed assertion
// under Actions (a terminal has them in the run's lines already).
func (u *ui) failedAssertions(s report.Suite) {
	if !u.gha.InActions() {
		return
	}
	n := 0
	for _, r := range s.Runs {
		for _, a := range r.Assertions {
			if a.Passed {
				continue
			}
			n++
			if n > maxAnnotations {
				continue
			}
			actual := strconv.FormatFloat(a.Actual, 'g', 6, 64)
			if a.Error != "" {
				actual = a.Error
			}
			msg := fmt.Sprintf("%s %s %g failed with seed %d: actual %s%s", a.Metric, a.Operator, a.Value, r.Seed, actual, whereText(a.Where))
			if a.Description != "" {
				msg = a.Description + ": " + msg
			}
			u.gha.Error(msg, gha.Annotation{File: a.File, Line: a.Line, Col: a.Col, Title: "Assertion failed"})
		}
	}
	if n > maxAnnotations {
		u.gha.Error(fmt.Sprintf("%d more assertions failed; see the step summary and junit.xml", n-maxAnnotations), gha.Annotation{})
	}
}

func annotation(d scenario.Diagnostic) (string, gha.Annotation) {
	msg := d.Message
	if d.Hint != "" {
		msg += " (" + d.Hint + ")"
	}
	return msg, gha.Annotation{File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col}
}

// diagnostics shows warnings (and errors) found in a scenario.
func (u *ui) diagnostics(ds []scenario.Diagnostic) {
	for _, d := range ds {
		msg, a := annotation(d)
		if d.Severity == scenario.SeverityWarning {
			u.gha.Warning(msg, a)
		} else {
			u.gha.Error(msg, a)
		}
	}
}

// notes shows what a run did that the user did not ask for and need not
// mend, such as pacing its clock: notices, never warnings, so that
// --fail-on-warning does not fail on them.
func (u *ui) notes(ds []scenario.Diagnostic) {
	for _, d := range ds {
		u.gha.Notice(annotation(d))
	}
}

// invalid annotates the lines of an invalid scenario under Actions. On a
// terminal main prints the error itself.
func (u *ui) invalid(err error) {
	var se *scenario.Error
	if u.gha.InActions() && errors.As(err, &se) {
		u.diagnostics(se.Diagnostics)
	}
}
