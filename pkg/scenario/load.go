package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// Load reads, defaults and validates the scenario file at path.
//
// It returns the warnings (unknown keys, quoted numbers, ...) whether or not
// the file loads. When it does not, the error is an *Error holding every
// error found, each with its file, line and column; its ExitCode is 3.
func Load(path string, opts ...Option) (*Scenario, []Diagnostic, error) {
	data, err := readScenario(path, makeOptions(opts).limits)
	var serr *Error
	if errors.As(err, &serr) {
		return nil, nil, err
	}
	if err != nil {
		msg := fmt.Sprintf("reading scenario: %v", err)
		hint := ""
		if errors.Is(err, fs.ErrNotExist) {
			msg, hint = "scenario file not found", "check the path; it is relative to the working directory"
		}
		return nil, nil, NewError([]Diagnostic{{Pos: Pos{File: path}, Severity: SeverityError, Message: msg, Hint: hint}},
			fmt.Errorf("reading scenario: %w", err))
	}
	return Parse(data, path, opts...)
}

// Parse is Load for a file already in memory. path names the file in
// diagnostics and decides Dir, against which relative paths resolve (the ML
// model files are checked on disk).
func Parse(data []byte, path string, opts ...Option) (*Scenario, []Diagnostic, error) {
	o := makeOptions(opts)
	s := &Scenario{Path: path, Dir: dirOf(path), Name: nameOf(path)}
	d := &decoder{Decoder: yamldiag.New(path, yamldiag.WithStrict(o.strict)), dir: s.Dir, maxNodes: o.limits.nodes}
	if !d.checkSize(data, o.limits) {
		warnings, err := d.Result()
		return nil, warnings, err
	}
	root, empty := d.Document(data, "a scenario")
	if empty {
		d.Add(Diagnostic{
			Pos: Pos{File: path, Line: 1, Col: 1}, Severity: SeverityError,
			Message: "the scenario file is empty", Hint: "an xEdgeSim scenario has simulation: {duration_s, seed} and nodes: [{id, type, port}]",
		})
	}
	if root != nil {
		d.checkTags(root)
		var r refs
		d.scenario(yamldiag.Deref(root), s, &r)
		d.crossCheck(s, &r)
		d.checkLimits(root, s, o.limits)
	}
	warnings, err := d.Result()
	if err != nil {
		return nil, warnings, err
	}
	return s, warnings, nil
}

func dirOf(path string) string {
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

func nameOf(path string) string {
	if path == "" {
		return ""
	}
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}
