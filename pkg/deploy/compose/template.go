package compose

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The substitution follows compose-go's template package step for step,
// quirks included (a braced match runs to the last }, then the text after
// the first closing brace is substituted again), so a value interpolates
// to what the host's compose tool makes of it.

// pattern is compiled on first use: nothing here runs at init.
var pattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?](.*))?)}|(?P<invalid>)))`)
})

// errInvalidTemplate is a ${ that does not close or names no variable.
var errInvalidTemplate = errors.New("invalid template")

// lookupFunc maps a variable name to its value and whether it is set.
type lookupFunc func(string) (string, bool)

// substitute replaces the variables in s; the error is the first failure.
func substitute(s string, lookup lookupFunc) (string, error) {
	var first error
	out := pattern().ReplaceAllStringFunc(s, func(m string) string {
		r, err := replace(m, lookup)
		if err != nil && first == nil {
			first = err
		}
		return r
	})
	return out, first
}

func replace(m string, lookup lookupFunc) (string, error) {
	rest := ""
	if i := closingBrace(m); i > -1 {
		m, rest = m[:i+1], m[i+1:]
	}
	re := pattern()
	g := re.FindStringSubmatch(m)
	if g == nil {
		return "", errInvalidTemplate
	}
	group := func(name string) string { return g[re.SubexpIndex(name)] }
	if e := group("escaped"); e != "" {
		return e, nil
	}
	name, braced := group("named"), false
	if name == "" {
		name, braced = group("braced"), true
	}
	if name == "" {
		return "", errInvalidTemplate
	}
	if braced {
		if v, applied, err := modifier(name, lookup); err != nil {
			return "", err
		} else if applied {
			r, err := substitute(rest, lookup)
			if err != nil {
				return "", err
			}
			return v + r, nil
		}
	}
	v, _ := lookup(name)
	return v, nil
}

// modifier applies the first of :? ? :- - :+ + that occurs in sub, as
// compose-go picks it: by where it occurs.
func modifier(sub string, lookup lookupFunc) (string, bool, error) {
	best, at := "", -1
	for _, sep := range []string{":?", "?", ":-", "-", ":+", "+"} {
		if i := strings.Index(sub, sep); i >= 0 && (at < 0 || i < at) {
			best, at = sep, i
		}
	}
	if at < 0 {
		return "", false, nil
	}
	name, arg, _ := strings.Cut(sub, best)
	v, ok := lookup(name)
	switch best {
	case ":?", "?":
		if !ok || (best == ":?" && v == "") {
			reason, err := substitute(arg, lookup)
			if err != nil {
				return "", false, err
			}
			if reason != "" {
				return "", true, fmt.Errorf("required variable %s is missing a value: %s", name, reason)
			}
			return "", true, fmt.Errorf("required variable %s is missing a value", name)
		}
		return v, true, nil
	case ":-", "-":
		if !ok || (best == ":-" && v == "") {
			d, err := substitute(arg, lookup)
			return d, err == nil, err
		}
		return v, true, nil
	default: // :+ and +
		if ok && (best == "+" || v != "") {
			d, err := substitute(arg, lookup)
			return d, err == nil, err
		}
		return v, true, nil
	}
}

// closingBrace is the index of the } that closes the first ${, or -1.
func closingBrace(s string) int {
	open := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '}' {
			open--
			if open == 0 {
				return i
			}
		}
		if s[i] == '{' {
			open++
			i++
		}
	}
	return -1
}
