package yamldiag

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Pos is a position in a file. Line and Col are 1-based; zero means unknown.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// String formats p as file:line:col, leaving out the parts that are unknown.
func (p Pos) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strconv.Itoa(p.Line))
		if p.Col > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Col))
		}
	}
	return b.String()
}

// Severity says whether a diagnostic stops the file from loading.
type Severity int

// The zero Severity is an error, so a diagnostic built without one is never
// mistaken for a harmless warning.
const (
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// MarshalText writes the severity as "error" or "warning" (for summary.json).
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = SeverityError
	case "warning":
		*s = SeverityWarning
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Diagnostic is one problem found in a file.
type Diagnostic struct {
	Pos      Pos      `json:"pos"`
	Severity Severity `json:"severity"`
	// Key is the dotted path of the offending key, like nodes[2].port; empty
	// for problems of the file as a whole.
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
	// Hint says what to write instead, when there is something to say.
	Hint string `json:"hint,omitempty"`
}

// String formats d the way compilers do, so editors and CI problem matchers
// pick it up: file:line:col: error: message (hint).
func (d Diagnostic) String() string {
	var b strings.Builder
	if p := d.Pos.String(); p != "" {
		b.WriteString(p)
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	b.WriteString(d.Message)
	if d.Hint != "" {
		b.WriteString(" (")
		b.WriteString(d.Hint)
		b.WriteByte(')')
	}
	return b.String()
}

// Error is returned for a file that cannot be used. It holds every error
// found, not only the first, in file order.
type Error struct {
	Diagnostics []Diagnostic
	// err is the I/O error behind a file that could not be read, if any.
	err error
}

// NewError returns the error of a file that did not load: every problem
// found, and the I/O error behind it if the file could not be read.
func NewError(diags []Diagnostic, cause error) *Error {
	return &Error{Diagnostics: diags, err: cause}
}

// Error lists every problem, one per line.
func (e *Error) Error() string {
	lines := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the I/O error when the file could not be read, so
// errors.Is(err, fs.ErrNotExist) works.
func (e *Error) Unwrap() error { return e.err }

// ExitCode is 3: a file that does not load is invalid input.
func (e *Error) ExitCode() int { return 3 }

// Sort puts diags in file order, keeping the order of those at one position.
func Sort(diags []Diagnostic) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Pos, diags[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}
