// Package exitcode maps errors to the process exit codes every verb shares:
// 0 success, 1 runtime error, 2 gate failed, 3 invalid input.
package exitcode

import "errors"

// The exit codes of the xedgesim binary. They are the codes upstream
// xEdgeSim planned for its CLI.
const (
	OK      = 0
	Runtime = 1
	Gate    = 2
	Invalid = 3
)

// Coder is implemented by errors that know which exit code they mean.
// Libraries implement it on their own error types so they need not import
// this package.
type Coder interface {
	ExitCode() int
}

// Of returns the exit code for err: OK for nil, the code of the first error in
// the chain that implements Coder, and Runtime otherwise.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var c Coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return Runtime
}

// Error attaches an exit code to an error.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// ExitCode implements Coder.
func (e *Error) ExitCode() int { return e.Code }

// New wraps err with code. A nil err stays nil.
func New(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}
