package scenario

import (
	"path"
	"slices"

	"github.com/xedgesim/simulate/internal/globspan"
)

// nodeNames answers checkScopes's question, does a scope's name or glob
// match a node, in what the answer costs: an exact name is a binary
// search, and a glob looks only at the ids that start with its literal
// prefix (globspan). Matching each scope against every id made a file of
// 100,000 nodes and as many assertions a load of minutes; the same went
// for the group entries, which are now listed once.
type nodeNames struct {
	sorted []string
	// groups are the device groups' entries.
	groups []Node
	// looked counts the ids globs were matched against, for the test
	// that a scope costs what it selects.
	looked int
}

func newNodeNames(s *Scenario) *nodeNames {
	x := &nodeNames{sorted: make([]string, 0, len(s.Nodes))}
	for _, n := range s.Nodes {
		x.sorted = append(x.sorted, n.ID)
		if n.IsGroup() {
			x.groups = append(x.groups, n)
		}
	}
	slices.Sort(x.sorted)
	return x
}

// matches tells whether g, a node id or a glob, matches an entry's id (a
// group's template included), as path.Match against each would.
func (x *nodeNames) matches(g string) bool {
	lo, hi := globspan.Span(len(x.sorted), func(i int) string { return x.sorted[i] }, g)
	if _, exact := globspan.Literal(g); exact {
		return lo < hi // path.Match is equality
	}
	for _, id := range x.sorted[lo:hi] {
		x.looked++
		if m, _ := path.Match(g, id); m {
			return true
		}
	}
	return false
}
