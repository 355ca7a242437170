// Package globspan finds, among names sorted in byte order, the ones a
// path.Match glob may match: every match of "sensor12*" starts with
// "sensor12", so only the names with that prefix need a match, and an
// exact name is a binary search. Scopes in a scenario select nodes and
// routes this way, so that one costs what it selects plus a logarithm
// rather than a match per name; a pattern that starts with a wildcard
// still spans every name.
package globspan

import (
	"sort"
	"strings"
)

// Literal returns pattern's literal prefix, the text before its first
// wildcard or escape, and whether that is the whole pattern (then
// path.Match is equality).
func Literal(pattern string) (prefix string, exact bool) {
	if i := strings.IndexAny(pattern, `*?[\`); i >= 0 {
		return pattern[:i], false
	}
	return pattern, true
}

// Span returns the range [lo, hi) of the n names sorted in byte order
// (name(i) is the i-th) that may match pattern: those equal to it when it
// has no wildcard, else those that start with its literal prefix.
func Span(n int, name func(int) string, pattern string) (lo, hi int) {
	lit, exact := Literal(pattern)
	lo = sort.Search(n, func(i int) bool { return name(i) >= lit })
	hi = lo + sort.Search(n-lo, func(i int) bool {
		if exact {
			return name(lo+i) != lit
		}
		return !strings.HasPrefix(name(lo+i), lit)
	})
	return lo, hi
}
