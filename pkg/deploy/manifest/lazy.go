package manifest

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use. Every verb links this package, so
// regexps compiled at package init cost every start (about 1 ms for the
// seven here), also in runs that read no manifest.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
