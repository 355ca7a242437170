package report

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSweepShowsSpread: a sweep's spread of each asserted metric reaches
// summary.md and report.html, one value per seed. NewSuite named the
// spread by the scenario's file and the pages looked for its name, so no
// page showed a spread; and two thresholds on one metric counted each
// seed twice.
func TestSweepShowsSpread(t *testing.T) {
	t.Parallel()
	var runs []Run
	for seed, pdr := range []float64{0.99, 0.97, 0.98} {
		r := run("faulty_links", "scenarios/faulty_links.yaml", int64(seed+1), 10)
		r.Assertions = []Outcome{
			outcome("packet_delivery_rate", "gte", 0.95, pdr, 12),
			outcome("packet_delivery_rate", "gte", 0.9, pdr, 13),
		}
		runs = append(runs, r)
	}
	s := NewSuite(runs)
	want := []Spread{{Scenario: "faulty_links", File: "scenarios/faulty_links.yaml", Metric: "packet_delivery_rate",
		Seeds: 3, Min: 0.97, Mean: 0.98, Max: 0.99, StdDev: 0.00816496580927726}}
	if diff := cmp.Diff(want, s.Spread, cmpFloat); diff != "" {
		t.Errorf("Spread (-want +got):\n%s", diff)
	}
	md, err := Markdown(s)
	if err != nil {
		t.Fatal(err)
	}
	page, err := HTML(s)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"summary.md": md, "report.html": page} {
		if !bytes.Contains(b, []byte("Spread over seeds")) {
			t.Errorf("%s has no spread over seeds", name)
		}
	}
}

var cmpFloat = cmp.Comparer(func(a, b float64) bool { return a == b || a-b < 1e-12 && b-a < 1e-12 })
