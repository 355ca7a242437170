package metrics

import (
	"slices"
	"strings"

	"github.com/xedgesim/simulate/internal/globspan"
)

// An assertion's scope selects routes and nodes by name or glob. Walking
// every route for every assertion cost assertions x routes: 200,000
// assertions over as many routes were 4e10 glob matches. The index sorts
// the names once per Set, and a scope looks only at the names that start
// with its pattern's literal prefix (all of "sensor12*"'s matches start
// with "sensor12"; an exact name is a binary search), so an assertion
// costs what it selects, plus a logarithm. A pattern that starts with a
// wildcard still looks at every name. The selected rows are visited in
// their order in the Result, as before, so every sum comes out the same.

// index is the Result's routes sorted by source and by destination, and
// its nodes sorted by id, as positions in Result.Routes and Result.Nodes.
// allRoutes and allNodes are every position in Result order, what a scope
// that selects the whole list (an unscoped assertion, a pattern that
// starts with a wildcard) visits, without a copy and a sort per Value.
type index struct {
	bySrc, byDst, nodes []int
	allRoutes, allNodes []int
}

func (s *Set) index() *index {
	s.once.Do(func() {
		rs, ns := s.res.Routes, s.res.Nodes
		ix := &index{bySrc: seq(len(rs)), byDst: seq(len(rs)), nodes: seq(len(ns)),
			allRoutes: seq(len(rs)), allNodes: seq(len(ns))}
		slices.SortStableFunc(ix.bySrc, func(a, b int) int { return strings.Compare(rs[a].Src, rs[b].Src) })
		slices.SortStableFunc(ix.byDst, func(a, b int) int { return strings.Compare(rs[a].Dst, rs[b].Dst) })
		slices.SortStableFunc(ix.nodes, func(a, b int) int { return strings.Compare(ns[a].ID, ns[b].ID) })
		s.ix = ix
	})
	return s.ix
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// routes returns the positions of the routes that may match where's src
// and dst globs, in Result order: the narrower of the two spans.
func (s *Set) routes(src, dst string) []int {
	ix, rs := s.index(), s.res.Routes
	a := span(ix.bySrc, func(i int) string { return rs[i].Src }, src)
	b := span(ix.byDst, func(i int) string { return rs[i].Dst }, dst)
	if len(b) < len(a) {
		a = b
	}
	return ordered(a, ix.allRoutes)
}

// nodes returns the positions of the nodes that may match glob, in Result
// order.
func (s *Set) nodes(glob string) []int {
	ix, ns := s.index(), s.res.Nodes
	return ordered(span(ix.nodes, func(i int) string { return ns[i].ID }, glob), ix.allNodes)
}

// span returns the part of sorted (positions sorted by key) whose keys
// may match pattern (globspan.Span): all of it for "", which selects any.
func span(sorted []int, key func(int) string, pattern string) []int {
	if pattern == "" {
		return sorted
	}
	lo, hi := globspan.Span(len(sorted), func(i int) string { return key(sorted[i]) }, pattern)
	return sorted[lo:hi]
}

// ordered returns a sorted copy of positions, so rows are visited in the
// order of the Result; all when positions are the whole list (all is
// every position in order, shared: callers only read it).
func ordered(positions, all []int) []int {
	if len(positions) == len(all) {
		return all
	}
	out := slices.Clone(positions)
	slices.Sort(out)
	return out
}
