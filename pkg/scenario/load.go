package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Load reads, defaults and validates the scenario file at path.
//
// It returns the warnings (unknown keys, quoted numbers, ...) whether or not
// the file loads. When it does not, the error is an *Error holding every
// error found, each with its file, line and column; its ExitCode is 3.
func Load(path string, opts ...Option) (*Scenario, []Diagnostic, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("reading scenario: %v", err)
		hint := ""
		if errors.Is(err, fs.ErrNotExist) {
			msg, hint = "scenario file not found", "check the path; it is relative to the working directory"
		}
		return nil, nil, &Error{
			Diagnostics: []Diagnostic{{Pos: Pos{File: path}, Severity: SeverityError, Message: msg, Hint: hint}},
			err:         fmt.Errorf("reading scenario: %w", err),
		}
	}
	return Parse(data, path, opts...)
}

// Parse is Load for a file already in memory. path names the file in
// diagnostics and decides Dir, against which relative paths resolve (the ML
// model files are checked on disk).
func Parse(data []byte, path string, opts ...Option) (*Scenario, []Diagnostic, error) {
	o := makeOptions(opts)
	s := &Scenario{Path: path, Dir: dirOf(path), Name: nameOf(path)}
	d := &decoder{
		file:    path,
		dir:     s.Dir,
		opts:    o,
		budget:  1<<20 + 16*len(data),
		active:  map[*yaml.Node]bool{},
		merging: map[*yaml.Node]bool{},
	}
	if root := d.document(data); root != nil {
		d.checkTags(root)
		var r refs
		d.scenario(deref(root), s, &r)
		d.crossCheck(s, &r)
	}
	return finish(s, d.diags)
}

// finish splits diagnostics into warnings and errors, in file order.
func finish(s *Scenario, diags []Diagnostic) (*Scenario, []Diagnostic, error) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Pos, diags[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	var warnings, errs []Diagnostic
	for _, d := range diags {
		if d.Severity == SeverityWarning {
			warnings = append(warnings, d)
		} else {
			errs = append(errs, d)
		}
	}
	if len(errs) > 0 {
		return nil, warnings, &Error{Diagnostics: errs}
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

// document parses data as exactly one YAML document and returns its root,
// or nil after reporting why it cannot.
func (d *decoder) document(data []byte) *yaml.Node {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		line, col := invalidUTF8(data)
		d.diags = append(d.diags, Diagnostic{
			Pos: Pos{File: d.file, Line: line, Col: col}, Severity: SeverityError,
			Message: "the file is not valid UTF-8", Hint: "save it as UTF-8",
		})
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := safeDecode(dec, &doc)
	if errors.Is(err, io.EOF) || err == nil && (len(doc.Content) == 0 || isNull(doc.Content[0])) {
		d.diags = append(d.diags, Diagnostic{
			Pos: Pos{File: d.file, Line: 1, Col: 1}, Severity: SeverityError,
			Message: "the scenario file is empty", Hint: "an xEdgeSim scenario has simulation: {duration_s, seed} and nodes: [{id, type, port}]",
		})
		return nil
	}
	if err != nil {
		d.syntaxError(data, err)
		return nil
	}
	var extra yaml.Node
	switch err := safeDecode(dec, &extra); {
	case err == nil:
		d.errorf(&extra, "", "remove the second document, after ---, or move it to its own file",
			"the file holds more than one YAML document; a scenario is exactly one")
		return nil
	case !errors.Is(err, io.EOF):
		d.syntaxError(data, err)
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// safeDecode turns a panic inside the YAML library into an error: whatever
// the input, Load reports it instead of crashing.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal parser error: %v", r)
		}
	}()
	return dec.Decode(n)
}

var (
	yamlLine      = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// syntaxError reports a YAML syntax error at the line the parser names.
func (d *decoder) syntaxError(data []byte, err error) {
	msg := err.Error()
	p := Pos{File: d.file}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	hint := "fix the YAML syntax"
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		// The parser does not say where; the first use of the alias is it.
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			p.Line = bytes.Count(data[:i], []byte("\n")) + 1
			p.Col = utf8.RuneCount(data[bytes.LastIndexByte(data[:i], '\n')+1:i]) + 1
		}
		hint = "define it first with &" + m[1]
	}
	if p.Line > 0 && p.Col == 0 {
		if col := tabColumn(data, p.Line); col > 0 {
			p.Col = col
			hint = "indent with spaces; YAML does not allow tabs"
		}
	} else if bytes.Contains(data, []byte("\t")) && strings.Contains(msg, "tab") {
		hint = "indent with spaces; YAML does not allow tabs"
	}
	d.diags = append(d.diags, Diagnostic{Pos: p, Severity: SeverityError, Message: "invalid YAML: " + msg, Hint: hint})
}

// tabColumn returns the 1-based column of the first tab in the leading
// whitespace of a line, or 0 when there is none.
func tabColumn(data []byte, line int) int {
	lines := bytes.Split(data, []byte("\n"))
	if line < 1 || line > len(lines) {
		return 0
	}
	for i, c := range lines[line-1] {
		switch c {
		case ' ':
		case '\t':
			return i + 1
		default:
			return 0
		}
	}
	return 0
}

// invalidUTF8 returns the line and column of the first byte that is not
// UTF-8.
func invalidUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col
}
