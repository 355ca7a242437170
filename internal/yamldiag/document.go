package yamldiag

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Document parses data as exactly one YAML document and returns its root.
// It returns nil after reporting what stops it: text that is not UTF-8, a
// syntax error, or a second document ("the file holds more than one YAML
// document; <what> is exactly one"). A file with nothing in it (only
// comments, or a null) gives nil and empty, and no report: the caller
// says what belongs in it. A byte order mark is skipped.
//
// Document also sizes the alias budget to data, unless WithBudget set it.
func (d *Decoder) Document(data []byte, what string) (root *yaml.Node, empty bool) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !d.budgetSet {
		d.budget = defaultBudget + 16*len(data)
	}
	if !utf8.Valid(data) {
		line, col := invalidUTF8(data)
		d.Add(Diagnostic{
			Pos: Pos{File: d.file, Line: line, Col: col}, Severity: SeverityError,
			Message: "the file is not valid UTF-8", Hint: "save it as UTF-8",
		})
		return nil, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := safeDecode(dec, &doc)
	if errors.Is(err, io.EOF) || err == nil && (len(doc.Content) == 0 || IsNull(doc.Content[0])) {
		return nil, true
	}
	if err != nil {
		d.SyntaxError(data, err)
		return nil, false
	}
	var extra yaml.Node
	switch err := safeDecode(dec, &extra); {
	case err == nil:
		d.Errorf(&extra, "", "remove the second document, after ---, or move it to its own file",
			"the file holds more than one YAML document; %s is exactly one", what)
		return nil, false
	case !errors.Is(err, io.EOF):
		d.SyntaxError(data, err)
		return nil, false
	}
	return doc.Content[0], false
}

// safeDecode turns a panic inside the YAML library into an error: whatever
// the input, the caller reports it instead of crashing.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: internal parser error: %v", r)
		}
	}()
	return dec.Decode(n)
}

// Compiled on first use: package init runs on every verb's start.
var (
	yamlLine      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })
	unknownAnchor = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^unknown anchor '(.*)' referenced$`) })
)

// SyntaxError reports err, an error of the YAML parser on data, at the line
// it names; the column too when the parser's message lets it be found (a
// tab in the indentation, an unknown anchor).
func (d *Decoder) SyntaxError(data []byte, err error) {
	msg := err.Error()
	p := Pos{File: d.file}
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	hint := "fix the YAML syntax"
	if m := unknownAnchor().FindStringSubmatch(msg); m != nil {
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
	d.Add(Diagnostic{Pos: p, Severity: SeverityError, Message: "invalid YAML: " + msg, Hint: hint})
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
