package compose

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// specJSON is compose-go v2.16.2's schema/compose-spec.json, unchanged
// (Apache-2.0, see NOTICE). A test holds it equal to compose-go's own.
//
//go:embed compose-spec.json
var specJSON string

// spec is the schema compiled on first use, so it costs nothing at init.
var spec = sync.OnceValues(func() (*schema, error) {
	return compileSchema([]byte(specJSON))
})

// schema is one compiled JSON Schema (draft 2020-12), reduced to the
// keywords compose-spec.json uses; compiling refuses any other.
type schema struct {
	always      *bool // a true or false schema
	types       []string
	props       map[string]*schema
	patterns    []patternSchema
	additional  *schema
	unevaluated *schema
	items       *schema
	required    []string
	enum        []any
	oneOf       []*schema
	anyOf       []*schema
	allOf       []*schema
	ref         *schema
	unique      bool
	min, max    *float64
	pattern     *regexp.Regexp
	format      string
}

type patternSchema struct {
	re *regexp.Regexp
	s  *schema
}

type compiler struct {
	defs map[string]*schema
}

func compileSchema(data []byte) (*schema, error) {
	var root map[string]any
	if err := json.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("reading the compose schema: %w", err)
	}
	c := &compiler{defs: map[string]*schema{}}
	defs, _ := root["$defs"].(map[string]any)
	// Allocate every definition first so that $refs, recursive ones
	// included, resolve to a pointer filled in below.
	for name := range defs {
		c.defs[name] = &schema{}
	}
	for name, d := range defs {
		s, err := c.compile(d, "#/$defs/"+name)
		if err != nil {
			return nil, err
		}
		*c.defs[name] = *s
	}
	delete(root, "$defs")
	return c.compile(root, "#")
}

func (c *compiler) compile(x any, at string) (*schema, error) {
	if b, ok := x.(bool); ok {
		return &schema{always: &b}, nil
	}
	m, ok := x.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("compose schema %s: a schema must be an object or a boolean", at)
	}
	s := &schema{}
	sub := func(k string, v any) (*schema, error) { return c.compile(v, at+"/"+k) }
	list := func(k string, v any) ([]*schema, error) {
		xs, _ := v.([]any)
		var out []*schema
		for i, x := range xs {
			t, err := c.compile(x, at+"/"+k+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		var err error
		switch k {
		case "type":
			switch t := v.(type) {
			case string:
				s.types = []string{t}
			case []any:
				for _, x := range t {
					s.types = append(s.types, fmt.Sprint(x))
				}
			}
		case "properties", "patternProperties":
			ps, _ := v.(map[string]any)
			names := make([]string, 0, len(ps))
			for n := range ps {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				t, err := c.compile(ps[n], at+"/"+k+"/"+n)
				if err != nil {
					return nil, err
				}
				if k == "properties" {
					if s.props == nil {
						s.props = map[string]*schema{}
					}
					s.props[n] = t
					continue
				}
				re, err := regexp.Compile(n)
				if err != nil {
					return nil, fmt.Errorf("compose schema %s: %w", at, err)
				}
				s.patterns = append(s.patterns, patternSchema{re, t})
			}
		case "additionalProperties":
			s.additional, err = sub(k, v)
		case "unevaluatedProperties":
			s.unevaluated, err = sub(k, v)
		case "items":
			s.items, err = sub(k, v)
		case "required":
			for _, x := range v.([]any) {
				s.required = append(s.required, fmt.Sprint(x))
			}
		case "enum":
			s.enum = v.([]any)
		case "oneOf":
			s.oneOf, err = list(k, v)
		case "anyOf":
			s.anyOf, err = list(k, v)
		case "allOf":
			s.allOf, err = list(k, v)
		case "$ref":
			name, ok := strings.CutPrefix(fmt.Sprint(v), "#/$defs/")
			if s.ref = c.defs[name]; !ok || s.ref == nil {
				return nil, fmt.Errorf("compose schema %s: unsupported $ref %v", at, v)
			}
		case "uniqueItems":
			s.unique, _ = v.(bool)
		case "minimum", "maximum":
			f, ok := v.(float64)
			if !ok {
				return nil, fmt.Errorf("compose schema %s: %s is not a number", at, k)
			}
			if k == "minimum" {
				s.min = &f
			} else {
				s.max = &f
			}
		case "pattern":
			s.pattern, err = regexp.Compile(fmt.Sprint(v))
		case "format":
			s.format = fmt.Sprint(v)
		case "$schema", "$id", "$comment", "title", "description", "default", "deprecated", "examples":
			// Annotations: they never reject a value.
		default:
			return nil, fmt.Errorf("compose schema %s: keyword %q is not supported", at, k)
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// schemaError is one way a value fails the schema.
type schemaError struct {
	v       *value
	path    []string
	msg     string
	unknown bool     // a key the schema does not allow
	types   []string // the types wanted, for a type error
}

// validate checks v at path against s. It returns the failures and, when
// there are none, the properties of v the schema evaluated (for
// unevaluatedProperties).
func (s *schema) validate(v *value, path []string) ([]schemaError, map[string]bool) {
	if s.always != nil {
		if *s.always {
			return nil, nil
		}
		return []schemaError{{v: v, path: path, msg: "is not allowed", unknown: true}}, nil
	}
	var errs []schemaError
	fail := func(format string, a ...any) {
		errs = append(errs, schemaError{v: v, path: path, msg: fmt.Sprintf(format, a...)})
	}
	var evaluated map[string]bool
	mark := func(ks map[string]bool) {
		if len(ks) == 0 {
			return
		}
		if evaluated == nil {
			evaluated = map[string]bool{}
		}
		for k := range ks {
			evaluated[k] = true
		}
	}
	if len(s.types) > 0 && !slices.ContainsFunc(s.types, v.is) {
		return []schemaError{typeError(v, path, s.types)}, nil
	}
	if s.ref != nil {
		e, ev := s.ref.validate(v, path)
		errs = append(errs, e...)
		mark(ev)
	}
	for _, t := range s.allOf {
		e, ev := t.validate(v, path)
		errs = append(errs, e...)
		mark(ev)
	}
	if len(s.anyOf) > 0 {
		var causes []schemaError
		ok := false
		for _, t := range s.anyOf {
			e, ev := t.validate(v, path)
			if len(e) == 0 {
				ok = true
				mark(ev)
			}
			causes = append(causes, e...)
		}
		if !ok {
			errs = append(errs, oneType(v, path, causes)...)
		}
	}
	if len(s.oneOf) > 0 {
		var causes []schemaError
		var matched []int
		for i, t := range s.oneOf {
			e, ev := t.validate(v, path)
			if len(e) == 0 {
				matched = append(matched, i)
				mark(ev)
			}
			causes = append(causes, e...)
		}
		switch {
		case len(matched) == 0:
			errs = append(errs, oneType(v, path, causes)...)
		case len(matched) > 1:
			fail("matches more than one of its forms (%d and %d)", matched[0], matched[1])
		}
	}
	if len(s.enum) > 0 && !slices.ContainsFunc(s.enum, v.equalsJSON) {
		var opts []string
		for _, e := range s.enum {
			opts = append(opts, fmt.Sprintf("'%v'", e))
		}
		fail("value must be one of %s", strings.Join(opts, ", "))
	}
	switch v.kind {
	case kNumber:
		if s.min != nil && v.num < *s.min {
			fail("must be greater than or equal to %v", *s.min)
		}
		if s.max != nil && v.num > *s.max {
			fail("must be less than or equal to %v", *s.max)
		}
	case kString:
		if s.pattern != nil && !s.pattern.MatchString(v.str) {
			fail("'%s' does not match pattern '%s'", v.str, s.pattern)
		}
		if s.format == "duration" {
			if _, err := time.ParseDuration(v.str); err != nil {
				fail("is not a duration: %v", err)
			}
		}
	case kList:
		for i, it := range v.items {
			if s.items != nil {
				e, _ := s.items.validate(it, append(path[:len(path):len(path)], strconv.Itoa(i)))
				errs = append(errs, e...)
			}
			if s.unique {
				for j := range i {
					if v.items[j].equal(it) {
						fail("has items %d and %d equal", j, i)
					}
				}
			}
		}
	case kMap:
		for _, r := range s.required {
			if _, ok := v.fields[r]; !ok {
				fail("is missing property %q", r)
			}
		}
		own := map[string]bool{}
		for _, k := range v.keys {
			f, p := v.fields[k], append(path[:len(path):len(path)], k)
			seen := false
			if t, ok := s.props[k]; ok {
				e, _ := t.validate(f, p)
				errs = append(errs, e...)
				seen = true
			}
			for _, ps := range s.patterns {
				if ps.re.MatchString(k) {
					e, _ := ps.s.validate(f, p)
					errs = append(errs, e...)
					seen = true
				}
			}
			if !seen && s.additional != nil {
				e, _ := s.additional.validate(f, p)
				errs = append(errs, e...)
				seen = true
			}
			if seen {
				own[k] = true
			}
		}
		mark(own)
		if s.unevaluated != nil {
			for _, k := range v.keys {
				if !evaluated[k] {
					e, _ := s.unevaluated.validate(v.fields[k], append(path[:len(path):len(path)], k))
					errs = append(errs, e...)
				}
			}
			// Every property is evaluated now.
			for _, k := range v.keys {
				own[k] = true
			}
			mark(own)
		}
	}
	if len(errs) > 0 {
		return errs, nil
	}
	return nil, evaluated
}

// is reports whether v has the JSON type t.
func (v *value) is(t string) bool {
	switch t {
	case "null":
		return v.kind == kNull
	case "boolean":
		return v.kind == kBool
	case "number":
		return v.kind == kNumber
	case "integer":
		return v.integral()
	case "string":
		return v.kind == kString
	case "object":
		return v.kind == kMap
	case "array":
		return v.kind == kList
	}
	return false
}

func typeError(v *value, path []string, types []string) schemaError {
	return schemaError{v: v, path: path, msg: "must be a " + typeNames(types), types: types}
}

// oneType makes the failures of alternatives that are all of the wrong
// type at v one error naming every type, rather than the first.
func oneType(v *value, path []string, causes []schemaError) []schemaError {
	var types []string
	for _, e := range causes {
		if e.types == nil || len(e.path) != len(path) {
			return causes
		}
		for _, t := range e.types {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	if len(types) == 0 {
		return causes
	}
	return []schemaError{typeError(v, path, types)}
}

// typeNames reads as compose-go's messages do: object is a mapping.
func typeNames(ts []string) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		if t == "object" {
			t = "mapping"
		}
		names[i] = t
	}
	if len(names) == 1 {
		return names[0]
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// equalsJSON compares v with a value decoded from the schema's JSON.
func (v *value) equalsJSON(x any) bool {
	switch x := x.(type) {
	case nil:
		return v.kind == kNull
	case bool:
		return v.kind == kBool && v.b == x
	case float64:
		return v.kind == kNumber && v.num == x
	case string:
		return v.kind == kString && v.str == x
	}
	return false
}

// equal is JSON equality, for uniqueItems.
func (v *value) equal(w *value) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case kNull:
		return true
	case kBool:
		return v.b == w.b
	case kNumber:
		return v.num == w.num
	case kString:
		return v.str == w.str
	case kList:
		return slices.EqualFunc(v.items, w.items, (*value).equal)
	case kMap:
		if len(v.fields) != len(w.fields) {
			return false
		}
		for k, f := range v.fields {
			g, ok := w.fields[k]
			if !ok || !f.equal(g) {
				return false
			}
		}
		return true
	}
	return false
}

// mostSpecific picks the error compose-go would report: the deepest, the
// first on a tie.
func mostSpecific(errs []schemaError) schemaError {
	best, depth := errs[0], -1
	for _, e := range errs {
		// compose-go reports an additional property at its mapping and
		// counts it one deeper: the key's own depth, as here.
		if d := len(e.path); d > depth {
			best, depth = e, len(e.path)
		}
	}
	return best
}
