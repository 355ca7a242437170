package sim

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
)

// cohortCase is a scenario with device groups, run through cohorts and
// through per-device nodes.
type cohortCase struct {
	name string
	sc   *scenario.Scenario
	// cohorts is how many groups must run as cohorts (the others fall
	// back to per-device nodes).
	cohorts int
	// inKernel is how many cohorts draw their samples in the kernel's
	// goroutine even with two workers.
	inKernel int
	probes   []*probe
}

func cohortCases() []cohortCase {
	sensors := func(id string, n int, cfg map[string]any) scenario.Node {
		return scenario.Node{ID: id, Count: n, Type: "sensor", Config: cfg}
	}
	gw := func(id string, cfg map[string]any) scenario.Node {
		return scenario.Node{ID: id, Type: "gateway", Config: cfg}
	}
	sim := func(durUS, quantum int64) scenario.Simulation {
		return scenario.Simulation{DurationUS: durUS, Seed: 7, TimeQuantumUS: quantum}
	}
	latency := scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 4000, DefaultLossRate: 0.05}
	jittery := scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 2000, DefaultLossRate: 0.02,
		Links: []scenario.Link{{Src: "gw", Dst: "sink", LatencyUS: 3000, JitterUS: 1500, BandwidthBPS: 64_000}}}
	jitter := map[string]any{"dst": "gw", "sample_rate_hz": 2, "start_jitter_s": 0.5}
	return []cohortCase{
		{name: "direct", cohorts: 1, sc: &scenario.Scenario{Name: "direct", Simulation: sim(20_000_000, 1000), Network: direct,
			Nodes: []scenario.Node{sensors("dev{i}", 300, jitter), gw("gw", nil)}}},
		{name: "latency and loss, a group beside single nodes", cohorts: 1, sc: &scenario.Scenario{Name: "latency", Simulation: sim(20_000_000, 1000), Network: latency,
			Nodes: []scenario.Node{
				{ID: "solo", Type: "sensor", Config: map[string]any{"dst": "gw"}},
				sensors("dev{i}", 200, map[string]any{"dst": "gw", "sample_rate_hz": 0.5, "start_jitter_s": 2.0}),
				gw("gw", nil),
				{ID: "solo2", Type: "sensor", Config: map[string]any{"dst": "gw", "sample_rate_hz": 3}},
			}}},
		{name: "jitter and bandwidth on the gateway's uplink", cohorts: 1, sc: &scenario.Scenario{Name: "jitter", Simulation: sim(15_000_000, 500), Network: jittery,
			Nodes: []scenario.Node{sensors("dev{i}", 150, jitter), gw("gw", map[string]any{"forward_to": "sink"}), gw("sink", nil)}}},
		{name: "crashes and a pause of group devices", cohorts: 1, sc: &scenario.Scenario{Name: "crash", Simulation: sim(30_000_000, 1000), Network: latency,
			Nodes: []scenario.Node{sensors("dev{i}", 120, jitter), gw("gw", nil)},
			Faults: []scenario.Fault{
				{Kind: scenario.FaultNodeCrash, AtUS: 3_000_000, Node: "dev7", RestartAfterUS: ptr[int64](5_000_000)},
				{Kind: scenario.FaultNodeCrash, AtUS: 4_200_100, Node: "dev1", RestartAfterUS: ptr[int64](2_345_000)},
				{Kind: scenario.FaultNodeCrash, AtUS: 6_000_000, Node: "dev99"},
				{Kind: scenario.FaultNodePause, AtUS: 8_000_000, Node: "dev12", DurationUS: 4_000_000},
				{Kind: scenario.FaultNodeCrash, AtUS: 9_000_000, Node: "gw", RestartAfterUS: ptr[int64](1_000_000)},
			}}},
		{name: "link_down, link_degrade and a partition touching the group", cohorts: 1, sc: &scenario.Scenario{Name: "faults", Simulation: sim(30_000_000, 1000), Network: latency,
			Nodes: []scenario.Node{sensors("dev{i}", 100, jitter), gw("gw", nil)},
			Faults: []scenario.Fault{
				{Kind: scenario.FaultLinkDown, AtUS: 2_000_000, DurationUS: 3_000_000, Link: scenario.Scope{Src: "dev1*", Dst: "gw"}},
				{Kind: scenario.FaultLinkDegrade, AtUS: 6_000_000, DurationUS: 4_000_000, Link: scenario.Scope{Src: "dev*"}, LatencyUS: ptr[int64](9000), LossRate: ptr(0.3)},
				{Kind: scenario.FaultPartition, AtUS: 12_000_000, DurationUS: 5_000_000, Groups: [][]string{{"dev3", "dev4", "dev50"}, {"gw"}}},
			}}},
		{name: "several groups, one of them falling back", cohorts: 2, sc: &scenario.Scenario{Name: "groups", Simulation: sim(12_000_000, 1000), Network: latency,
			Nodes: []scenario.Node{
				sensors("a{i}", 80, jitter),
				gw("gw", nil),
				// 3 Hz: 333,333 us is no whole number of quanta.
				sensors("b{i}", 40, map[string]any{"dst": "gw", "sample_rate_hz": 3, "start_jitter_s": 0.3}),
				sensors("c{i}", 60, map[string]any{"dst": "gw2", "sample_rate_hz": 1, "start_s": 2.5, "start_jitter_s": 3.0}),
				gw("gw2", nil),
			}}},
		{name: "more devices in one quantum than a generator's chunk holds", cohorts: 1, sc: &scenario.Scenario{Name: "step", Simulation: sim(4_000_000, 1000), Network: direct,
			Nodes: []scenario.Node{sensors("dev{i}", 2*chunkEvents+7, map[string]any{"dst": "gw"}), gw("gw", nil)}}},
		{name: "a configured link from a device: per-device nodes", cohorts: 0, sc: &scenario.Scenario{Name: "link", Simulation: sim(10_000_000, 1000),
			Network: scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 1000, Links: []scenario.Link{{Src: "dev3", Dst: "gw", LatencyUS: 7000, LossRate: 0.5}}},
			Nodes:   []scenario.Node{sensors("dev{i}", 50, jitter), gw("gw", nil)}}},
		{name: "a truncated last quantum and a start inside a quantum", cohorts: 1, sc: &scenario.Scenario{Name: "trunc", Simulation: sim(10_000_700, 2000), Network: direct,
			Nodes: []scenario.Node{sensors("dev{i}", 90, map[string]any{"dst": "gw", "sample_rate_hz": 5, "start_s": 0.0013, "start_jitter_s": 0.2}), gw("gw", nil)}}},
		{name: "messages to group devices, one of them crashed", cohorts: 1, inKernel: 1,
			sc: func() *scenario.Scenario {
				sc := &scenario.Scenario{Name: "to-devices", Simulation: sim(8_000_000, 1000), Network: direct,
					Nodes: []scenario.Node{
						sensors("dev{i}", 40, jitter), gw("gw", nil),
						{ID: "ctl", Type: "probe", Implementation: scenario.ImplPythonModel},
					},
					Faults: []scenario.Fault{{Kind: scenario.FaultNodeCrash, AtUS: 2_000_000, Node: "dev5", RestartAfterUS: ptr[int64](3_000_000)}}}
				return sc
			}(),
			probes: []*probe{{id: "ctl", emit: map[int64][]event.Event{
				1_000_000: {{TimeUS: 999_000, Type: "CMD", Dst: "dev5", Src: "ctl"}, {TimeUS: 999_000, Type: "CMD", Dst: "dev40", Src: "ctl"}},
				2_100_000: {{TimeUS: 2_099_000, Type: "CMD", Dst: "dev5", Src: "ctl"}},
				6_000_000: {{TimeUS: 5_999_000, Type: "CMD", Dst: "dev1", Src: "ctl"}},
			}}}},
	}
}

// routeCmp compares routes by their counters and latency distributions.
var routeCmp = cmp.Options{
	cmpopts.IgnoreUnexported(netmodel.Route{}),
	cmp.Comparer(func(a, b netmodel.Histogram) bool {
		if a.Count != b.Count || a.Sum != b.Sum || a.Min != b.Min || a.Max != b.Max {
			return false
		}
		for q := 0.01; q <= 1; q += 0.01 {
			if a.Quantile(q) != b.Quantile(q) {
				return false
			}
		}
		return true
	}),
}

// Cohorts give what per-device nodes give: the same Result and the same
// CSV files, byte for byte, with and without skipping quanta.
func TestCohortsMatchPerDevice(t *testing.T) {
	t.Parallel()
	for _, tc := range cohortCases() {
		for _, every := range []bool{false, true} {
			name := tc.name
			if every {
				name += ", every quantum"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				run := func(perDevice bool, workers int) (*Result, string, [2]int) {
					dir := t.TempDir()
					var used [2]int // cohorts, those with a generator
					opts := []Option{WithCSVDir(dir), withWorkers(workers), func(o *options) error {
						o.onKernel = func(k *kernel) {
							used[0] = len(k.cohorts)
							for _, f := range k.cohorts {
								if f.ahead {
									used[1]++
								}
							}
						}
						return nil
					}}
					if perDevice {
						opts = append(opts, withPerDevice())
					}
					if every {
						opts = append(opts, withoutSkipping())
					}
					for _, p := range tc.probes {
						cp := *p
						opts = append(opts, withNode(p.id, &cp))
					}
					res, err := Run(context.Background(), tc.sc, opts...)
					if err != nil {
						t.Fatal(err)
					}
					return res, dir, used
				}
				want, wantDir, none := run(true, 1)
				if none[0] != 0 {
					t.Fatalf("%d cohorts per device", none)
				}
				if want.Network.Delivered == 0 || len(want.Groups) == 0 {
					t.Errorf("nothing delivered (%+v) or no group (%+v)", want.Network, want.Groups)
				}
				// One worker: the kernel draws the samples; two: the
				// generators draw them ahead.
				for _, workers := range []int{1, 2} {
					got, gotDir, used := run(false, workers)
					ahead := 0
					if workers > 1 {
						ahead = tc.cohorts - tc.inKernel
					}
					if used != [2]int{tc.cohorts, ahead} {
						t.Fatalf("%d cohorts, %d with a generator; want %d, %d", used[0], used[1], tc.cohorts, ahead)
					}
					if diff := cmp.Diff(want, got, routeCmp); diff != "" {
						t.Errorf("%d workers: result (-per device +cohorts):\n%s", workers, diff)
					}
					sameFiles(t, wantDir, gotDir)
				}
			})
		}
	}
}

// sameFiles fails unless dirs a and b hold the same files, byte for byte.
func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(a, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in %s (%v)", a, err)
	}
	got, _ := filepath.Glob(filepath.Join(b, "*"))
	if len(got) != len(files) {
		t.Errorf("%d files, want %d", len(got), len(files))
	}
	for _, f := range files {
		x, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(x), string(y)); diff != "" {
			t.Errorf("%s (-per device +cohorts):\n%s", filepath.Base(f), diff)
		}
	}
}

// Everything a run allocates for a built-in group device, its node, RNG,
// kernel slots and cohort place included, stays below 1 KiB: a million
// devices fit in 1 GiB with room to spare.
func TestCohortMemoryPerDevice(t *testing.T) {
	const n = 200_000
	sc := &scenario.Scenario{Name: "memory", Simulation: scenario.Simulation{DurationUS: 2_000_000, Seed: 1, TimeQuantumUS: 1000},
		Network: direct,
		Nodes: []scenario.Node{
			{ID: "sensor{i}", Count: n, Type: "sensor", Config: map[string]any{"dst": "gw", "sample_rate_hz": 1, "start_jitter_s": 1.0}},
			{ID: "gw", Type: "gateway"},
		}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / n
	if per > 1024 || res.Nodes[0].MessagesSent < n {
		t.Errorf("a run allocates %d bytes a device (want at most 1024) and sent %d", per, res.Nodes[0].MessagesSent)
	}
	t.Logf("%d bytes allocated a device", per)
}

// A run stopped midway stops its generators before it returns: no
// goroutine outlives it.
func TestCohortGeneratorStopsWithTheRun(t *testing.T) {
	sc := &scenario.Scenario{Name: "stop", Simulation: scenario.Simulation{DurationUS: 3_600_000_000, Seed: 1, TimeQuantumUS: 1000},
		Network: direct,
		Nodes: []scenario.Node{
			{ID: "sensor{i}", Count: 20_000, Type: "sensor", Config: map[string]any{"dst": "gw", "sample_rate_hz": 1, "start_jitter_s": 1.0}},
			{ID: "gw", Type: "gateway"},
		}}
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	ahead := false
	_, err := Run(ctx, sc, withWorkers(2), func(o *options) error {
		o.onKernel = func(k *kernel) { ahead = len(k.cohorts) == 1 && k.cohorts[0].ahead }
		return nil
	})
	if !errors.Is(err, context.DeadlineExceeded) || !ahead {
		t.Fatalf("Run = %v with a generator %v; want the deadline's error from a run with one", err, ahead)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the run, %d before", n, before)
	}
}
