package scenario

import "github.com/xedgesim/simulate/internal/yamldiag"

// Pos is a position in a scenario file. Line and Col are 1-based; zero means
// unknown.
type Pos = yamldiag.Pos

// Severity says whether a diagnostic stops the scenario from loading.
type Severity = yamldiag.Severity

// The zero Severity is an error, so a diagnostic built without one is never
// mistaken for a harmless warning.
const (
	SeverityError   = yamldiag.SeverityError
	SeverityWarning = yamldiag.SeverityWarning
)

// Diagnostic is one problem found in a scenario file; it formats as
// file:line:col: error: message (hint).
type Diagnostic = yamldiag.Diagnostic

// Error is returned for a scenario that cannot be loaded. It holds every
// error found, not only the first, in file order; its ExitCode is 3.
type Error = yamldiag.Error

// NewError returns the error of a file that did not load: every problem
// found, and the I/O error behind it if the file could not be read.
func NewError(diags []Diagnostic, cause error) *Error { return yamldiag.NewError(diags, cause) }
