package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/xedgesim/simulate/internal/gha"
	"github.com/xedgesim/simulate/pkg/scenario"
)

// ui renders what the libraries return: annotations on the scenario's lines
// under Actions, file:line:col lines on a terminal.
type ui struct {
	gha *gha.Runner
}

func newUI(cmd *cobra.Command) (*ui, error) {
	r, err := gha.New(gha.WithWriter(cmd.OutOrStdout()), gha.WithStderr(cmd.ErrOrStderr()))
	if err != nil {
		return nil, err
	}
	return &ui{gha: r}, nil
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
