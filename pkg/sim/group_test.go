package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// groupFleet is a device group of n sensors reporting to one gateway over a
// lossy link, with a single sensor beside them.
func groupFleet(n int) *scenario.Scenario {
	return &scenario.Scenario{Name: "fleet",
		Simulation: scenario.Simulation{DurationUS: 60_000_000, Seed: 3, TimeQuantumUS: 1000},
		Network:    scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 4000, DefaultLossRate: 0.05},
		Nodes: []scenario.Node{
			{ID: "solo", Type: "sensor", Config: map[string]any{"dst": "gw"}},
			{ID: "dev{i}", Count: n, Type: "sensor", Config: map[string]any{"dst": "gw", "sample_rate_hz": 0.5, "start_jitter_s": 2.0}},
			{ID: "gw", Type: "gateway"},
		},
		Faults: []scenario.Fault{{Kind: scenario.FaultNodeCrash, AtUS: 10_000_000, Node: "dev7", RestartAfterUS: ptr[int64](5_000_000)}},
	}
}

func TestDeviceGroupRun(t *testing.T) {
	t.Parallel()
	const n = 500
	res, err := Run(context.Background(), groupFleet(n))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range res.Nodes {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]string{"solo", "dev{i}", "gw"}, ids); diff != "" {
		t.Fatalf("node rows (-want +got):\n%s", diff)
	}
	g := res.Nodes[1]
	// 30 samples each in 60 s at 0.5 Hz from a start in [1, 3) s; dev7 is
	// down for 5 s (two or three samples).
	if g.Devices != n || g.MessagesSent < n*29-3 || g.MessagesSent > n*30 || g.Restarts != 1 || !g.Healthy {
		t.Errorf("group row %+v: want %d devices, about %d sent, one restart, healthy", g, n, n*30)
	}
	var routes []string
	var sent int64
	for _, r := range res.Routes {
		routes = append(routes, r.Src+">"+r.Dst)
		sent += r.Sent
	}
	if diff := cmp.Diff([]string{"dev{i}>gw", "solo>gw"}, routes); diff != "" {
		t.Errorf("routes (-want +got):\n%s", diff)
	}
	if sent != res.Network.Sent || res.Routes[0].Sent != g.MessagesSent {
		t.Errorf("routes send %d (group %d), the network %d, the group's devices %d", sent, res.Routes[0].Sent, res.Network.Sent, g.MessagesSent)
	}
	if len(res.Groups) != 1 || res.Groups[0].ID != "dev{i}" || res.Groups[0].Devices != n || len(res.Groups[0].Offenders) != topOffenders {
		t.Fatalf("groups %+v: want dev{i} with %d devices and %d offenders", res.Groups, n, topOffenders)
	}
	off := res.Groups[0].Offenders
	for i := 1; i < len(off); i++ {
		if off[i].Dropped > off[i-1].Dropped {
			t.Errorf("offenders not worst first: %+v", off)
		}
	}
	if off[0].Dropped < 2 || off[len(off)-1].Dropped < 1 {
		t.Errorf("worst device dropped %d of %d at 5%% loss", off[0].Dropped, off[0].Sent)
	}
}

// The calendar and the sparse steps give what executing every quantum
// gives, for a group as for single nodes.
func TestDeviceGroupSkipsAsEveryQuantum(t *testing.T) {
	t.Parallel()
	a, err := Run(context.Background(), groupFleet(200))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), groupFleet(200), withoutSkipping())
	if err != nil {
		t.Fatal(err)
	}
	a.Steps, b.Steps = 0, 0
	if diff := cmp.Diff(a, b, cmpopts.IgnoreUnexported(netmodel.Route{}, netmodel.Histogram{})); diff != "" {
		t.Errorf("skipping changes the result (-skip +every quantum):\n%s", diff)
	}
	if a.Routes[0].Latency.Quantile(0.5) != b.Routes[0].Latency.Quantile(0.5) {
		t.Errorf("latency medians differ")
	}
}

// A group's device, RNG included, stays far below 1 KiB: a million fit.
func TestDeviceGroupMemory(t *testing.T) {
	const n = 200_000
	sn := scenario.Node{ID: "s{i}", Count: n, Type: "sensor", Config: map[string]any{"dst": "gw"}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	nodes, _, err := buildGroup(sn, &options{}, make([]node.Node, 0, n))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range nodes {
		if err := d.Start(context.Background(), node.Env{Seed: 1}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (after.HeapAlloc - before.HeapAlloc) / n
	runtime.KeepAlive(nodes)
	if per > 1024 {
		t.Errorf("a device takes %d bytes, want at most 1024", per)
	}
	t.Logf("%d bytes a device, id and RNG included", per)
}

// GOMAXPROCS changes nothing in what a run writes: the CSVs and the
// result of a run with one core and with two are byte-identical.
func TestDeterministicAcrossCores(t *testing.T) {
	if dir := os.Getenv("XEDGESIM_CORES_OUT"); dir != "" {
		writeCoresRun(t, dir)
		return
	}
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{}
	for _, procs := range []string{"1", "2"} {
		dir := t.TempDir()
		cmd := exec.Command(exe, "-test.run=^TestDeterministicAcrossCores$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs, "XEDGESIM_CORES_OUT="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("GOMAXPROCS=%s: %v\n%s", procs, err, out)
		}
		outs[procs] = dir
	}
	files, err := filepath.Glob(filepath.Join(outs["1"], "*"))
	if err != nil || len(files) < 4 {
		t.Fatalf("the one-core run wrote %v (%v)", files, err)
	}
	for _, f := range files {
		one, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		two, err := os.ReadFile(filepath.Join(outs["2"], filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(one, two) {
			t.Errorf("%s differs between GOMAXPROCS=1 and 2", filepath.Base(f))
		}
	}
}

// writeCoresRun runs m0 (upstream's CSVs) and a fleet and writes what they
// produced into dir.
func writeCoresRun(t *testing.T, dir string) {
	if _, err := Run(context.Background(), m0(), WithCSVDir(dir)); err != nil {
		t.Fatal(err)
	}
	// Dense enough for a generator with two cores (cohortgen.go).
	res, err := Run(context.Background(), groupFleet(20_000))
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fleet.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}
