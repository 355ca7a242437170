package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xedgesim/simulate/internal/pyfmt"
)

// Upstream's coordinator writes every protocol line with Python's
// json.dumps defaults: ", " and ": " as separators, ASCII only (\uXXXX
// escapes), floats by repr. Nodes that compare or hash what they receive
// see the same bytes from us. These helpers write that form.

// appendPyString appends s as json.dumps(s) writes it (ensure_ascii).
func appendPyString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			if r >= 0x20 && r < 0x7f {
				b = append(b, byte(r))
				continue
			}
			if r == utf8.RuneError {
				r = 0xfffd
			}
			units := []rune{r}
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				units = []rune{r1, r2}
			}
			for _, u := range units {
				b = append(b, '\\', 'u', hex[u>>12&0xf], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
			}
		}
	}
	return append(b, '"')
}

// appendPyValue appends a value of a scenario's config (the types the
// YAML decoder gives) as json.dumps writes it; mapping keys are sorted.
func appendPyValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendPyString(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case float64:
		switch {
		case math.IsNaN(x):
			return append(b, "NaN"...), nil
		case math.IsInf(x, 1):
			return append(b, "Infinity"...), nil
		case math.IsInf(x, -1):
			return append(b, "-Infinity"...), nil
		}
		return pyfmt.AppendRepr(b, x), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			var err error
			if b, err = appendPyValue(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyString(b, k)
			b = append(b, ": "...)
			var err error
			if b, err = appendPyValue(b, x[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	return b, fmt.Errorf("cannot encode %T as JSON", v)
}

// appendPyRaw appends raw JSON (a payload as a node wrote it) respaced as
// json.dumps writes it. Numbers keep their literal text, so a Python
// node's repr passes through unchanged; key order is kept.
func appendPyRaw(b []byte, raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	// Per open container: is it an object, and how many tokens so far.
	type frame struct {
		object bool
		n      int
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, fmt.Errorf("payload is not JSON: %w", err)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			b = append(b, byte(d))
			continue
		}
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			switch {
			case f.object && f.n%2 == 1:
				b = append(b, ": "...)
			case f.n > 0:
				b = append(b, ", "...)
			}
			f.n++
		}
		switch x := tok.(type) {
		case json.Delim:
			b = append(b, byte(x)) // #nosec G115 -- a JSON delimiter: one of [ ] { }
			stack = append(stack, frame{object: x == '{'})
		case string:
			b = appendPyString(b, x)
		case json.Number:
			b = append(b, x...)
		case bool:
			b = strconv.AppendBool(b, x)
		case nil:
			b = append(b, "null"...)
		}
	}
}
