package yamldiag

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Decoder reads one file and collects its diagnostics as it goes, so that
// one pass reports every mistake instead of the first. Its zero value is
// not usable; call New.
type Decoder struct {
	file   string
	strict bool
	diags  []Diagnostic
	// kept and dropped count diagnostics by severity, past maxDiagnostics.
	kept, dropped [2]int
	// budget is how many values the decoder may still visit (see the
	// package documentation); budgetSet keeps one given by WithBudget.
	budget    int
	budgetSet bool
	exhausted bool
	// active holds the collections Value is converting, and merging the
	// mappings whose merge keys are being expanded, to catch an anchor that
	// contains an alias to itself.
	active  map[*yaml.Node]bool
	merging map[*yaml.Node]bool
}

// Option changes how a Decoder reports.
type Option func(*Decoder)

// WithStrict makes what Strictf reports (unknown and duplicated keys)
// errors instead of warnings.
func WithStrict(strict bool) Option {
	return func(d *Decoder) { d.strict = strict }
}

// WithBudget sets how many values the decoder may visit, aliases expanded.
// The default is 2^20 plus 16 per byte of the document.
func WithBudget(n int) Option {
	return func(d *Decoder) { d.budget, d.budgetSet = n, true }
}

// defaultBudget is the budget before Document sizes it to the file.
const defaultBudget = 1 << 20

// New returns a Decoder for file, the name its diagnostics carry.
func New(file string, opts ...Option) *Decoder {
	d := &Decoder{
		file:    file,
		budget:  defaultBudget,
		active:  map[*yaml.Node]bool{},
		merging: map[*yaml.Node]bool{},
	}
	for _, opt := range opts {
		if opt != nil {
			opt(d)
		}
	}
	return d
}

// File is the name the decoder's diagnostics carry.
func (d *Decoder) File() string { return d.file }

// Pos is the position of n in the file; the file alone for nil.
func (d *Decoder) Pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

// maxDiagnostics is how many errors, and how many warnings, a decoder
// keeps. A generated file with a mistake on each of its 200,000 lines
// otherwise cost gigabytes and printed as many lines; the first hundred
// show what is wrong, and Result counts the rest in one line.
const maxDiagnostics = 100

// Add records diagnostics as they are, such as those of another Decoder
// that read a file this one's names.
func (d *Decoder) Add(diags ...Diagnostic) {
	for _, diag := range diags {
		if n, ok := overflowCount(diag); ok {
			// Another decoder's count of what it left out joins ours, so
			// the one last line says how many in all.
			d.dropped[diag.Severity&1] += n
			continue
		}
		if !d.Room(diag.Severity) {
			d.dropped[diag.Severity&1]++
			continue
		}
		d.kept[diag.Severity&1]++
		d.diags = append(d.diags, diag)
	}
}

// room reports whether a diagnostic of sev would be kept, so that one that
// would not costs no message or hint.
func (d *Decoder) Room(sev Severity) bool { return d.kept[sev&1] < maxDiagnostics }

func (d *Decoder) add(sev Severity, n *yaml.Node, key, hint, format string, args ...any) {
	if !d.Room(sev) {
		d.dropped[sev&1]++
		return
	}
	d.Add(Diagnostic{
		Pos:      d.Pos(n),
		Severity: sev,
		Key:      key,
		Message:  fmt.Sprintf(format, args...),
		Hint:     hint,
	})
}

// Errorf reports an error at n. key is the dotted path of the value at
// fault ("" for the file), hint what to write instead ("" for none).
func (d *Decoder) Errorf(n *yaml.Node, key, hint, format string, args ...any) {
	d.add(SeverityError, n, key, hint, format, args...)
}

// Warnf reports a warning at n; the arguments are Errorf's.
func (d *Decoder) Warnf(n *yaml.Node, key, hint, format string, args ...any) {
	d.add(SeverityWarning, n, key, hint, format, args...)
}

// Strictf reports a warning, or an error under WithStrict.
func (d *Decoder) Strictf(n *yaml.Node, key, hint, format string, args ...any) {
	d.add(d.strictSeverity(), n, key, hint, format, args...)
}

// strictSeverity is the severity Strictf reports with.
func (d *Decoder) strictSeverity() Severity {
	if d.strict {
		return SeverityError
	}
	return SeverityWarning
}

// Spend takes one unit of the budget and reports whether any was left. The
// first time none is, it reports the error at n.
func (d *Decoder) Spend(n *yaml.Node) bool {
	if d.budget > 0 {
		d.budget--
		return true
	}
	if !d.exhausted {
		d.exhausted = true
		d.Errorf(n, "", "use fewer nested aliases", "the file expands into too many values through aliases")
	}
	return false
}

// Diagnostics returns what has been reported so far, in report order, and
// a last one for each severity of which more were reported than kept.
func (d *Decoder) Diagnostics() []Diagnostic {
	if d.dropped == [2]int{} {
		return d.diags
	}
	return append(slices.Clip(d.diags), d.overflow()...)
}

// overflow says how many diagnostics were not kept, one per severity.
func (d *Decoder) overflow() []Diagnostic {
	var out []Diagnostic
	for _, sev := range []Severity{SeverityError, SeverityWarning} {
		if n := d.dropped[sev&1]; n > 0 {
			out = append(out, Diagnostic{Pos: Pos{File: d.file}, Severity: sev,
				Message: fmt.Sprintf(overflowFormat, n, sev), Hint: overflowHint})
		}
	}
	return out
}

const (
	overflowFormat = "%d more %ss not shown"
	overflowHint   = "fix those above and run again"
)

// overflowCount is the count of an overflow line.
func overflowCount(diag Diagnostic) (int, bool) {
	if diag.Pos.Line != 0 || diag.Hint != overflowHint {
		return 0, false
	}
	count, rest, _ := strings.Cut(diag.Message, " ")
	n, err := strconv.Atoi(count)
	if err != nil || fmt.Sprintf(overflowFormat, n, diag.Severity) != count+" "+rest {
		return 0, false
	}
	return n, true
}

// Result returns the warnings and, when there are errors, an *Error holding
// them; both in file order, then a line for those that were not kept.
func (d *Decoder) Result() ([]Diagnostic, error) {
	Sort(d.diags)
	var warnings, errs []Diagnostic
	for _, diag := range append(slices.Clip(d.diags), d.overflow()...) {
		if diag.Severity == SeverityWarning {
			warnings = append(warnings, diag)
		} else {
			errs = append(errs, diag)
		}
	}
	if len(errs) > 0 {
		return warnings, NewError(errs, nil)
	}
	return warnings, nil
}
