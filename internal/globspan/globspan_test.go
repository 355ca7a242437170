package globspan

import (
	"path"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestSpanHoldsEveryMatch: for every kind of pattern, the span holds every
// name path.Match matches, and for a literal prefix no other name.
func TestSpanHoldsEveryMatch(t *testing.T) {
	t.Parallel()
	names := slices.Sorted(slices.Values([]string{"", "a*b", "a?b", "gateway1", "s{i}", "sensor1", "sensor12", "sensor2", "x[1]"}))
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"sensor1", []string{"sensor1"}},
		{"sensor", nil},
		{"sensor*", []string{"sensor1", "sensor12", "sensor2"}},
		{"sensor1?", []string{"sensor1", "sensor12"}},
		{"*1", names},
		{"?ensor1", names},
		{"[gs]*", names},
		{`a\*b`, []string{"a*b", "a?b"}},
		{"a*b", []string{"a*b", "a?b"}},
		{"x[1]", []string{"x[1]"}},
		{"", []string{""}},
		{"zzz", nil},
	} {
		lo, hi := Span(len(names), func(i int) string { return names[i] }, tc.pattern)
		got := names[lo:hi]
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Span(%q) (-want +got):\n%s", tc.pattern, diff)
		}
		for _, n := range names {
			if m, _ := path.Match(tc.pattern, n); m && !slices.Contains(got, n) {
				t.Errorf("Span(%q) leaves out %q, which matches", tc.pattern, n)
			}
		}
	}
}

func TestLiteral(t *testing.T) {
	t.Parallel()
	type lit struct {
		Prefix string
		Exact  bool
	}
	for pattern, want := range map[string]lit{
		"sensor1": {"sensor1", true}, "sensor*": {"sensor", false}, `a\*b`: {"a", false},
		"[gs]*": {"", false}, "": {"", true},
	} {
		p, e := Literal(pattern)
		if diff := cmp.Diff(want, lit{p, e}); diff != "" {
			t.Errorf("Literal(%q) (-want +got):\n%s", pattern, diff)
		}
	}
}
