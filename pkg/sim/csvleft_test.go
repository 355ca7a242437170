package sim

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// TestCSVLeftoversOfAKilledRunAreRemoved: a run removes the temporary CSV
// files that a killed run left for the files it writes, and nothing else.
func TestCSVLeftoversOfAKilledRunAreRemoved(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{
		".s1_metrics.csv.0123456789abcdef",      // a killed run's: removed
		".gateway_metrics.csv.fedcba9876543210", // removed
		".other_metrics.csv.0123456789abcdef",   // no node of this run
		".s1_metrics.csv.notours",               // not a temporary file's name
		"notes.txt",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sc := &scenario.Scenario{Name: "left",
		Simulation: scenario.Simulation{DurationUS: 3_000_000, Seed: 1, TimeQuantumUS: 1000},
		Network:    scenario.Network{Model: scenario.ModelDirect},
		Nodes: []scenario.Node{
			{ID: "s1", Type: "sensor", Implementation: scenario.ImplPythonModel, Port: 5001, HasPort: true},
			{ID: "gateway", Type: "gateway", Implementation: scenario.ImplPythonModel, Port: 5002, HasPort: true},
		}}
	if _, err := Run(context.Background(), sc, WithCSVDir(dir)); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	want := []string{".other_metrics.csv.0123456789abcdef", ".s1_metrics.csv.notours", "gateway_metrics.csv", "notes.txt", "s1_metrics.csv"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files after the run (-want +got):\n%s", diff)
	}
}
