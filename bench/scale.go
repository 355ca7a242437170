package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Targets of the scale issue.
const (
	targetScaleEventsPerS = 10e6
	targetCostRatio       = 1.2
	targetMillionWallS    = 60
	targetMillionGiB      = 2
)

// groupSpec is a generated scenario with one device group: sensors
// reporting every period to one gateway.
type groupSpec struct {
	Name    string
	Sensors int
	Seconds int
	RateHz  float64
}

func (g groupSpec) write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	// The first samples are spread over one period, as a fleet's are.
	src := fmt.Sprintf(`simulation: {duration_s: %d, seed: 1, time_quantum_us: 1000}
nodes:
  - {id: "sensor{i}", count: %d, type: sensor, config: {dst: gateway, sample_rate_hz: %g, start_jitter_s: %g}}
  - {id: gateway, type: gateway, port: 19999}
network: {model: direct}
`, g.Seconds, g.Sensors, g.RateHz, 1/g.RateHz)
	path := filepath.Join(dir, g.Name+".yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// scale is the scale section: the kernel's cost per event as the fleet
// grows (device groups of 100 to 100,000 sensors with the same number of
// samples), a million sensors for one virtual hour, the same results with
// one core and two, and a 1,000-seed sweep run as 20 shards and merged.
func scale(env *Env) (*Section, error) {
	s := &Section{Title: "Scale"}
	var body strings.Builder
	for _, step := range []func(*Env, *Section, *strings.Builder) error{scaleGrowth, scaleMillion, scaleCores, scaleMerge} {
		if err := step(env, s, &body); err != nil {
			return nil, err
		}
	}
	s.Body = body.String()
	return s, nil
}

// scaleGrowth runs 100, 10,000 and 100,000 sensors at 1 Hz, each for as
// many virtual seconds as gives 3.6 M samples, alternating run by run.
func scaleGrowth(env *Env, s *Section, body *strings.Builder) error {
	const samples = 3_600_000
	sizes := []int{100, 10_000, 100_000}
	var cs []Contender
	for _, n := range sizes {
		secs := samples / n
		if env.Quick {
			secs = max(secs/20, 2)
		}
		g := groupSpec{Name: fmt.Sprintf("group%d", n), Sensors: n, Seconds: secs, RateHz: 1}
		dir := filepath.Join(env.Tmp, "scale", g.Name)
		path, err := g.write(dir)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, "out")
		cs = append(cs, Contender{Name: g.Name, Run: func() (Sample, error) { return simRun(env, path, out) }})
	}
	res, err := alternate(env.Runs, cs...)
	if err != nil {
		return fmt.Errorf("running device groups: %w", err)
	}
	body.WriteString("### Device groups: the cost of an event as the fleet grows\n\n" +
		"One group of 1 Hz sensors and a gateway, each size for as many virtual seconds as gives 3.6 M samples. " +
		"Kernel: `sim.Run` alone, from timing.json: its CPU time (both cores', which the machine's other tenants change " +
		"less than its wall time) and its wall time. The targets and the cost ratio are taken from the kernel's CPU time: " +
		"the whole process also loads the scenario and writes the reports, which is not the kernel. Medians, [min–max].\n\n" +
		"| sensors | events | events/s, kernel (CPU) | events/s, kernel (wall) | kernel CPU ns per event | whole-process CPU ns per event | peak RSS |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	perEvent := map[int]float64{}
	for i, n := range sizes {
		ss := res[cs[i].Name]
		k := fmt.Sprintf("group_%d", n)
		ev := s.figure(k+".events", fmt.Sprintf("group of %d: events", n), "events", field(ss, value("events")))
		rate := s.figure(k+".events_per_s", fmt.Sprintf("group of %d: events/s in the kernel (wall)", n), "events/s",
			field(ss, func(x Sample) float64 { return x.Values["events"] / x.Values["kernel_s"] }))
		cpuRate := s.figure(k+".events_per_kernel_cpu_s", fmt.Sprintf("group of %d: events per CPU second in the kernel", n), "events/s",
			field(ss, func(x Sample) float64 { return x.Values["events"] / x.Values["kernel_cpu_s"] }))
		kns := s.figure(k+".kernel_cpu_ns_per_event", fmt.Sprintf("group of %d: kernel CPU ns per event", n), "ns",
			field(ss, func(x Sample) float64 { return x.Values["kernel_cpu_s"] / x.Values["events"] * 1e9 }))
		ns := s.figure(k+".cpu_ns_per_event", fmt.Sprintf("group of %d: CPU ns per event, whole process", n), "ns",
			field(ss, func(x Sample) float64 { return x.CPU.Seconds() / x.Values["events"] * 1e9 }))
		rss := s.figure(k+".peak_rss_mib", fmt.Sprintf("group of %d: peak RSS", n), "MiB", field(ss, rssMiB))
		perEvent[n] = kns.Median
		fmt.Fprintf(body, "| %d | %.0f | %s/s [%s–%s] | %s/s [%s–%s] | %.0f | %.0f | %.0f MiB |\n", n, ev.Median,
			fmtRate(cpuRate.Median), fmtRate(cpuRate.Min), fmtRate(cpuRate.Max),
			fmtRate(rate.Median), fmtRate(rate.Min), fmtRate(rate.Max), kns.Median, ns.Median, rss.Median)
		s.target(fmt.Sprintf("events/s in the kernel, %d sensors (per kernel CPU second; wall in the table)", n), "≥ 10 M/s", fmtRate(cpuRate.Median)+"/s", cpuRate.Median >= targetScaleEventsPerS)
	}
	ratio := perEvent[100_000] / perEvent[100]
	s.figure("group.cost_ratio_100000_100", "kernel CPU per event, 100,000 vs 100 sensors", "x", Stats{Median: ratio, Min: ratio, Max: ratio})
	s.target("cost per event, 100,000 vs 100 sensors", "≤ 1.2x", fmt.Sprintf("%.2fx", ratio), ratio <= targetCostRatio)
	fmt.Fprintf(body, "\nCost per event, 100,000 vs 100 sensors: **%.2fx**.\n\n", ratio)
	return nil
}

// scaleMillion runs a million sensors reporting every 10 s for one
// virtual hour (360 M samples), once: it takes minutes on a loaded
// machine.
func scaleMillion(env *Env, s *Section, body *strings.Builder) error {
	g := groupSpec{Name: "million", Sensors: 1_000_000, Seconds: 3600, RateHz: 0.1}
	if env.Quick {
		g.Sensors, g.Seconds = 100_000, 60
	}
	dir := filepath.Join(env.Tmp, "scale", g.Name)
	path, err := g.write(dir)
	if err != nil {
		return err
	}
	x, err := simRun(env, path, filepath.Join(dir, "out"))
	if err != nil {
		return fmt.Errorf("running a million sensors: %w", err)
	}
	cpu := s.figure("million.cpu_s", fmt.Sprintf("%d sensors every 10 s, %d virtual s: CPU time, whole process", g.Sensors, g.Seconds), "s", statsOf([]float64{x.CPU.Seconds()}))
	wall := s.figure("million.wall_s", fmt.Sprintf("%d sensors every 10 s, %d virtual s: wall time, whole process", g.Sensors, g.Seconds), "s", statsOf([]float64{wallS(x)}))
	rss := s.figure("million.peak_rss_mib", fmt.Sprintf("%d sensors every 10 s, %d virtual s: peak RSS", g.Sensors, g.Seconds), "MiB", statsOf([]float64{rssMiB(x)}))
	rate := x.Values["events"] / x.Values["kernel_s"]
	s.figure("million.events_per_s", "a million sensors: events/s in the kernel", "events/s", statsOf([]float64{rate}))
	fmt.Fprintf(body, "### %d sensors every 10 s for %d virtual seconds\n\nOne run: %.0f events, %s whole process (%s of CPU on two cores: a second goroutine draws the samples ahead), %s/s in the kernel, peak RSS %.0f MiB (%.0f bytes a device).\n\n",
		g.Sensors, g.Seconds, x.Values["events"], fmtDur(wall.Median), fmtDur(cpu.Median), fmtRate(rate), rss.Median, rss.Median*(1<<20)/float64(g.Sensors))
	if !env.Quick {
		s.target("1,000,000 sensors × 1 h: wall time, whole process", "< 60 s", fmtDur(wall.Median), wall.Median < targetMillionWallS)
		s.target("1,000,000 sensors × 1 h: peak RSS", "< 2 GiB", fmt.Sprintf("%.2f GiB", rss.Median/1024), rss.Median/1024 < targetMillionGiB)
	}
	return nil
}

// scaleCores runs a 10,000-sensor group with GOMAXPROCS=1 and 2 and
// compares what they wrote.
func scaleCores(env *Env, s *Section, body *strings.Builder) error {
	g := groupSpec{Name: "cores", Sensors: 10_000, Seconds: 120, RateHz: 1}
	dir := filepath.Join(env.Tmp, "scale", g.Name)
	path, err := g.write(dir)
	if err != nil {
		return err
	}
	var sums [][]byte
	for _, procs := range []string{"1", "2"} {
		out := filepath.Join(dir, "out-"+procs)
		if _, err := runProcessEnv(dir, []string{"GOMAXPROCS=" + procs}, env.Bin, "simulate", "--csv", "--out", out, path); err != nil {
			return fmt.Errorf("GOMAXPROCS=%s: %w", procs, err)
		}
		b, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			return err
		}
		sums = append(sums, b)
	}
	n, differs, err := sameCSVs(filepath.Join(dir, "out-1"), filepath.Join(dir, "out-2"))
	if err != nil {
		return err
	}
	same := bytes.Equal(sums[0], sums[1]) && differs == ""
	s.target("summary.json and CSVs, GOMAXPROCS=1 vs 2", "identical", map[bool]string{true: "identical", false: "differ"}[same], same)
	fmt.Fprintf(body, "### One core and two\n\n10,000 sensors for 120 s with GOMAXPROCS=1 and 2: summary.json and %d CSVs identical: %s.\n\n", n, yes(same))
	return nil
}

// scaleMerge runs gate_fleet's 1,000-seed sweep on one runner and as 20
// shards one after the other, merges them, and compares the reports.
func scaleMerge(env *Env, s *Section, body *strings.Builder) error {
	seeds, shards := "1-1000", 20
	if env.Quick {
		seeds = "1-60"
	}
	scenario := filepath.Join(env.Root, "scenarios", "gate_fleet.yaml")
	dir := filepath.Join(env.Tmp, "scale", "merge")
	full := filepath.Join(dir, "full")
	one, err := runGate(env.Root, env.Bin, "simulate", "--seeds", seeds, "--out", full, scenario)
	if err != nil {
		return err
	}
	var dirs []string
	shardWall := 0.0
	for i := 1; i <= shards; i++ {
		d := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		x, err := runGate(env.Root, env.Bin, "simulate", "--seeds", seeds, "--shard", fmt.Sprintf("%d/%d", i, shards), "--out", d, scenario)
		if err != nil {
			return err
		}
		shardWall = max(shardWall, wallS(x))
		dirs = append(dirs, d)
	}
	merged := filepath.Join(dir, "merged")
	m, err := runGate(env.Root, env.Bin, append([]string{"report", "merge", "--out", merged}, dirs...)...)
	if err != nil {
		return err
	}
	same := true
	for _, f := range []string{"summary.json", "junit.xml", "summary.md", "report.html", "evidence.json"} {
		a, errA := os.ReadFile(filepath.Join(full, f))
		b, errB := os.ReadFile(filepath.Join(merged, f))
		same = same && errA == nil && errB == nil && bytes.Equal(a, b)
	}
	s.target(fmt.Sprintf("gate_fleet, seeds %s: 20 shards merged vs one runner", seeds), "byte-identical reports",
		map[bool]string{true: "identical", false: "differ"}[same], same)
	s.figure("merge.unsharded_wall_s", "gate_fleet sweep on one runner: wall time", "s", statsOf([]float64{wallS(one)}))
	s.figure("merge.slowest_shard_wall_s", "gate_fleet sweep: slowest of 20 shards", "s", statsOf([]float64{shardWall}))
	s.figure("merge.merge_wall_s", "gate_fleet sweep: report merge", "s", statsOf([]float64{wallS(m)}))
	fmt.Fprintf(body, "### A sweep over a matrix\n\ngate_fleet with seeds %s: one runner %s; as 20 shards the slowest takes %s (%.1fx faster on 20 runners), `report merge` %s; reports byte-identical: %s.\n\n",
		seeds, fmtDur(wallS(one)), fmtDur(shardWall), wallS(one)/shardWall, fmtDur(wallS(m)), yes(same))
	return nil
}

// runGate runs a verb whose gate may fail (exit 2): that is a result here,
// not an error.
func runGate(dir, bin string, args ...string) (Sample, error) {
	x, err := runProcess(dir, bin, args...)
	if err != nil && !strings.Contains(err.Error(), "exit status 2") {
		return x, err
	}
	return x, nil
}
