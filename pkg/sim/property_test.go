package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
)

// randomScenario makes a scenario with sensors at random rates sending to
// gateways (and sometimes to nobody) over random links.
func randomScenario(seed uint64) *scenario.Scenario {
	r := rand.New(rand.NewPCG(seed, 99))
	q := []int64{1, 100, 1000, 250000}[r.IntN(4)]
	sc := &scenario.Scenario{Name: fmt.Sprintf("random%d", seed),
		Simulation: scenario.Simulation{DurationUS: int64(1+r.IntN(20)) * 1_000_000, Seed: int64(r.IntN(1000)), TimeQuantumUS: q},
		Network:    scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: int64(r.IntN(20000)), DefaultLossRate: r.Float64() / 4}}
	if r.IntN(3) == 0 {
		sc.Network.Model = scenario.ModelDirect
	}
	gws := 1 + r.IntN(3)
	for g := range gws {
		sc.Nodes = append(sc.Nodes, scenario.Node{ID: fmt.Sprintf("gw%d", g), Type: "gateway",
			Config: map[string]any{"processing_us": float64(r.IntN(500)), "aggregate_interval_s": 0.5 + r.Float64()*3}})
	}
	for s := range 2 + r.IntN(30) {
		dst := fmt.Sprintf("gw%d", r.IntN(gws+1)) // gw<gws> does not exist
		id := fmt.Sprintf("s%d", s)
		sc.Nodes = append(sc.Nodes, scenario.Node{ID: id, Type: "sensor",
			Config: map[string]any{"dst": dst, "sample_rate_hz": 0.5 + r.Float64()*20, "start_s": r.Float64()}})
		if r.IntN(2) == 0 {
			sc.Network.Links = append(sc.Network.Links, scenario.Link{Src: id, Dst: dst,
				LatencyUS: int64(r.IntN(50000)), LossRate: r.Float64() / 2, JitterUS: int64(r.IntN(3000)),
				BandwidthBPS: []int64{0, 9600, 250000}[r.IntN(3)]})
		}
	}
	dur := sc.Simulation.DurationUS
	for range r.IntN(4) {
		at := r.Int64N(dur)
		f := scenario.Fault{AtUS: at, DurationUS: r.Int64N(dur / 2)}
		switch r.IntN(4) {
		case 0:
			f.Kind, f.Link = scenario.FaultLinkDown, scenario.Scope{Src: "s*", Dst: "gw0"}
		case 1:
			lat, loss := r.Int64N(100000), r.Float64()
			f.Kind, f.Link, f.LatencyUS, f.LossRate = scenario.FaultLinkDegrade, scenario.Scope{Dst: "gw*"}, &lat, &loss
		case 2:
			f.Kind, f.Groups = scenario.FaultPartition, [][]string{{"s0", "s1"}, {"gw0"}}
		case 3:
			restart := r.Int64N(dur / 3)
			f.Kind, f.Node, f.RestartAfterUS = scenario.FaultNodeCrash, []string{"gw0", "s1"}[r.IntN(2)], &restart
			if r.IntN(3) == 0 {
				f.RestartAfterUS = nil
			}
		}
		sc.Faults = append(sc.Faults, f)
	}
	return sc
}

func runCSV(t *testing.T, sc *scenario.Scenario, opts ...Option) (*Result, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	res, err := Run(context.Background(), sc, append(opts, WithCSVDir(dir))...)
	if err != nil {
		t.Fatalf("Run(%s) = %v", sc.Name, err)
	}
	files := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		files[e.Name()] = string(b)
	}
	return res, files
}

var cmpResult = cmp.Options{cmpopts.IgnoreUnexported(netmodel.Route{}, netmodel.Histogram{})}

func TestConservation(t *testing.T) {
	t.Parallel()
	for seed := range uint64(40) {
		res, _ := runCSV(t, randomScenario(seed))
		n := res.Network
		if n.Sent != n.Delivered+n.Dropped()+res.InFlight {
			t.Errorf("seed %d: sent %d != delivered %d + lost %d + unroutable %d + faulted %d + in flight %d",
				seed, n.Sent, n.Delivered, n.Lost, n.Unroutable, n.Faulted, res.InFlight)
		}
		var perRoute int64
		for _, r := range res.Routes {
			perRoute += r.Sent
		}
		if perRoute != n.Sent {
			t.Errorf("seed %d: routes sent %d, total %d", seed, perRoute, n.Sent)
		}
	}
}

// TestSkippingEmptyQuantaChangesNothing runs each scenario with and without
// skipping: the results and CSV files must be identical.
func TestSkippingEmptyQuantaChangesNothing(t *testing.T) {
	t.Parallel()
	for seed := range uint64(25) {
		sc := randomScenario(seed)
		if sc.Simulation.TimeQuantumUS == 1 {
			sc.Simulation.DurationUS = 200_000 // keep the unskipped run short
		}
		skipped, skippedCSV := runCSV(t, sc)
		full, fullCSV := runCSV(t, sc, withoutSkipping())
		if skipped.Steps > full.Steps {
			t.Errorf("seed %d: skipping executed %d steps, more than %d", seed, skipped.Steps, full.Steps)
		}
		skipped.Steps, full.Steps = 0, 0
		if diff := cmp.Diff(full, skipped, cmpResult); diff != "" {
			t.Errorf("seed %d: results differ (-every quantum +skipping):\n%s", seed, diff)
		}
		if diff := cmp.Diff(fullCSV, skippedCSV); diff != "" {
			t.Errorf("seed %d: CSV differ (-every quantum +skipping):\n%s", seed, diff)
		}
	}
}

// TestDeterministicAcrossRunsAndGOMAXPROCS is not parallel: it changes
// GOMAXPROCS.
func TestDeterministicAcrossRunsAndGOMAXPROCS(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for seed := range uint64(10) {
		sc := randomScenario(seed)
		runtime.GOMAXPROCS(1)
		a, aCSV := runCSV(t, sc)
		runtime.GOMAXPROCS(4)
		b, bCSV := runCSV(t, sc)
		if diff := cmp.Diff(a, b, cmpResult); diff != "" {
			t.Errorf("seed %d: results differ between runs:\n%s", seed, diff)
		}
		if diff := cmp.Diff(aCSV, bCSV); diff != "" {
			t.Errorf("seed %d: CSV differ between runs:\n%s", seed, diff)
		}
	}
}
