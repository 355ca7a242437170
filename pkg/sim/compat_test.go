package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// m0 is upstream's scenarios/m0_baseline.yaml: three sensors and a gateway
// on the direct network, 10 s at 1 ms, seed 42.
func m0() *scenario.Scenario {
	sc := &scenario.Scenario{Name: "m0_baseline",
		Simulation: scenario.Simulation{DurationS: 10, DurationUS: 10_000_000, Seed: 42, TimeQuantumUS: 1000},
		Network:    scenario.Network{Model: scenario.ModelDirect, DefaultLatencyUS: 10000}}
	for _, id := range []string{"sensor1", "sensor2", "sensor3"} {
		sc.Nodes = append(sc.Nodes, scenario.Node{ID: id, Type: "sensor_model", Implementation: scenario.ImplPythonModel, Port: 5001, HasPort: true})
	}
	sc.Nodes = append(sc.Nodes, scenario.Node{ID: "gateway", Type: "gateway_model", Implementation: scenario.ImplPythonModel, Port: 5004, HasPort: true})
	return sc
}

// csvHash is upstream's determinism figure: SHA-256 over the CSV files
// concatenated in name order.
func csvHash(t *testing.T, dir string, names ...string) string {
	t.Helper()
	h := sha256.New()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestM0BaselineMatchesUpstreamHash checks the hash upstream publishes for
// m0_baseline with seed 42 (REFERENCE.md Appendix C).
func TestM0BaselineMatchesUpstreamHash(t *testing.T) {
	t.Parallel()
	const want = "d376231ff78a8789b1b886b0476be4a2bcc626677cdbcac7b46579c4cf8fd589"
	// Upstream's figure was made with CPython 3.11 or earlier: the default.
	for _, mode := range []struct {
		name string
		opts []Option
	}{{"default", nil}, {"plain", []Option{WithSumMode(node.SumPlain)}}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			res, err := Run(context.Background(), m0(), append(mode.opts, WithCSVDir(dir))...)
			if err != nil {
				t.Fatal(err)
			}
			got := csvHash(t, dir, "gateway_metrics.csv", "sensor1_metrics.csv", "sensor2_metrics.csv", "sensor3_metrics.csv")
			if got != want {
				b, _ := os.ReadFile(filepath.Join(dir, "gateway_metrics.csv"))
				t.Errorf("m0 CSV hash = %s, want %s\ngateway_metrics.csv:\n%s", got, want, b)
			}
			if res.Network.Delivered != 27 || res.Nodes[3].MessagesProcessed != 27 {
				t.Errorf("delivered %d, processed %d; want 27 and 27", res.Network.Delivered, res.Nodes[3].MessagesProcessed)
			}
		})
	}
}
