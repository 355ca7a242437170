package yamldiag

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Decoder reads one file and collects its diagnostics as it goes, so that
// one pass reports every mistake instead of the first. Its zero value is
// not usable; call New.
type Decoder struct {
	file   string
	strict bool
	diags  []Diagnostic
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

// Add records diagnostics as they are, such as those of another Decoder
// that read a file this one's names.
func (d *Decoder) Add(diags ...Diagnostic) { d.diags = append(d.diags, diags...) }

func (d *Decoder) add(sev Severity, n *yaml.Node, key, hint, format string, args ...any) {
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
	sev := SeverityWarning
	if d.strict {
		sev = SeverityError
	}
	d.add(sev, n, key, hint, format, args...)
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

// Diagnostics returns what has been reported so far, in report order.
func (d *Decoder) Diagnostics() []Diagnostic { return d.diags }

// Result returns the warnings and, when there are errors, an *Error holding
// them; both in file order.
func (d *Decoder) Result() ([]Diagnostic, error) {
	Sort(d.diags)
	var warnings, errs []Diagnostic
	for _, diag := range d.diags {
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
