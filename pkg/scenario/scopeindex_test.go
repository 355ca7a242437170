package scenario

import (
	"fmt"
	"path"
	"testing"
)

// TestScopeNamesCostWhatTheySelect: checking 300,000 scopes against
// 200,000 nodes looks at the ids each glob's literal prefix selects, not
// at every id for every scope (up to 6e10 matches before). Counted, not
// timed.
func TestScopeNamesCostWhatTheySelect(t *testing.T) {
	t.Parallel()
	const nodes = 200_000
	s := &Scenario{}
	for i := range nodes {
		s.Nodes = append(s.Nodes, Node{ID: fmt.Sprintf("d%06d", i)})
	}
	s.Nodes = append(s.Nodes, Node{ID: "s{i}", Count: 1000})
	x := newNodeNames(s)
	want := 0
	for i := range 100_000 {
		if !x.matches(fmt.Sprintf("d%06d", i*2)) { // exact: a lookup
			t.Fatalf("d%06d not found", i*2)
		}
		if !x.matches(fmt.Sprintf("d%05d*", i%20_000)) { // its first candidate matches
			t.Fatalf("d%05d* matches nothing", i%20_000)
		}
		want++
		if x.matches(fmt.Sprintf("d%05d?x", i%20_000)) { // ten candidates, none matches
			t.Fatalf("d%05d?x matches", i%20_000)
		}
		want += 10
	}
	if x.looked != want {
		t.Errorf("looked at %d ids, want %d (every id for every scope would be 6e10)", x.looked, want)
	}
	if len(x.groups) != 1 || x.groups[0].ID != "s{i}" {
		t.Errorf("groups %v, want the one", x.groups)
	}
}

// TestScopeNamesMatchAsAWalkDoes: every kind of pattern gets the answer
// path.Match against each id gives.
func TestScopeNamesMatchAsAWalkDoes(t *testing.T) {
	t.Parallel()
	s := &Scenario{Nodes: []Node{{ID: "gateway1"}, {ID: "sensor1"}, {ID: "sensor12"}, {ID: "a*b"}, {ID: "x[1]"}, {ID: "s{i}", Count: 5}}}
	x := newNodeNames(s)
	for _, g := range []string{"gateway1", "gateway", "sensor*", "sensor1?", "sensor1", "*1", "?ensor1", "[gs]*", "s{i}", "s{*",
		`a\*b`, "a*b", "a?b", "x[1]", `x\[1]`, "[", "sensor[", "", "*", "nothing*", "zzz"} {
		want := false
		for _, n := range s.Nodes {
			if m, _ := path.Match(g, n.ID); m {
				want = true
			}
		}
		if got := x.matches(g); got != want {
			t.Errorf("matches(%q) = %v, a walk says %v", g, got, want)
		}
	}
}
