package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// TestUnknownNodeSuggestionsAreBounded: a file of 5,000 assertions and
// 5,000 links naming unknown nodes among 5,000 nodes compares names with
// ids within the bound, not 5,000 times 5,000 times two (5e7; with 20,000
// of each the refusal took over five minutes), and the first errors still
// say "did you mean". Counted, not timed.
func TestUnknownNodeSuggestionsAreBounded(t *testing.T) {
	t.Parallel()
	const n = 5000
	var b strings.Builder
	b.WriteString("simulation: {duration_s: 1, seed: 1}\nnodes:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: d%05d, type: sensor, port: 2}\n", i)
	}
	b.WriteString("network:\n  model: latency\n  links:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - {src: y%05d, dst: d%05d, latency_us: 1}\n", i, i)
	}
	b.WriteString("validation:\n  assertions:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - {metric: packets_sent, operator: '>=', value: 0, where: {src: x%05d}}\n", i)
	}
	d := &decoder{Decoder: yamldiag.New(file), maxNodes: DefaultMaxNodes}
	root, _ := d.Document([]byte(b.String()), "a scenario")
	var r refs
	s := &Scenario{}
	d.scenario(yamldiag.Deref(root), s, &r)
	d.crossCheck(s, &r)
	// One search of n ids for each error the decoder keeps, a hundred.
	const searches = 100
	if d.nodesCompared != searches*n || d.nodesCompared > maxNodesCompared {
		t.Errorf("%d searches comparing %d ids; want %d searches, at most %d ids (every one would be %d)",
			d.nodesCompared/n, d.nodesCompared, searches, maxNodesCompared, 2*n*n)
	}
	diags, err := d.Result()
	if err == nil {
		t.Fatal("no error")
	}
	var serr *Error
	if !errors.As(err, &serr) {
		t.Fatalf("error %T %v, want *Error", err, err)
	}
	var errs []Diagnostic
	for _, x := range append(diags, serr.Diagnostics...) {
		if x.Severity == SeverityError {
			errs = append(errs, x)
		}
	}
	if len(errs) == 0 || !strings.Contains(errs[0].Hint, "did you mean d00000?") {
		t.Errorf("the first error does not suggest the node: %v", errs[:min(1, len(errs))])
	}
}
