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
	gha *gha.Runner
	out io.Writer
}

func newUI(cmd *cobra.Command, opts ...gha.Option) (*ui, error) {
	opts = append([]gha.Option{
		gha.WithWriter(cmd.OutOrStdout()),
		gha.WithStderr(cmd.ErrOrStderr()),
		gha.WithGetenv(getenvOf(cmd.Context())),
	}, opts...)
	r, err := gha.New(opts...)
	if err != nil {
		return nil, err
	}
	return &ui{gha: r, out: cmd.OutOrStdout()}, nil
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
			msg := fmt.Sprintf("%s %s %g failed with seed %d: actual %s", a.Metric, a.Operator, a.Value, r.Seed, actual)
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

// invalid annotates the lines of an invalid scenario under Actions. On a
// terminal main prints the error itself.
func (u *ui) invalid(err error) {
	var se *scenario.Error
	if u.gha.InActions() && errors.As(err, &se) {
		u.diagnostics(se.Diagnostics)
	}
}
