package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// baselineRuns is how many times m0_baseline runs: it takes milliseconds,
// so start-up noise needs more runs than the long scenarios.
const baselineRuns = 20

// baseline times m0_baseline and a 50-sensor minute against upstream's
// harness as measured on this machine type, and runs both with upstream-
// style Python protocol nodes under our coordinator as a live figure.
func baseline(env *Env, s *Section, body *strings.Builder) error {
	m0 := filepath.Join(env.Root, "scenarios", "m0_baseline.yaml")
	m0Out := filepath.Join(env.Tmp, "m0", "out")
	builtin := Contender{Name: "m0", Run: func() (Sample, error) { return simRun(env, m0, m0Out) }}
	res, err := alternate(max(baselineRuns, env.Runs), builtin)
	if err != nil {
		return fmt.Errorf("running m0: %w", err)
	}
	m0Wall := s.figure("m0.wall_s", "m0_baseline: wall time including start-up", "s", field(res["m0"], wallS))
	s.figure("m0.peak_rss_mib", "m0_baseline: peak RSS", "MiB", field(res["m0"], rssMiB))

	pySec := env.PySeconds
	py, err := harness(env, pySec)
	if err != nil {
		return err
	}
	f50 := s.figure("fleet50.wall_s", "50 sensors × 60 s, built-in: wall time including start-up", "s", field(py["fleet50"], wallS))
	pyM0 := s.figure("py_m0.wall_s", "m0_baseline with Python protocol nodes: wall time", "s", field(py["py-m0"], wallS))
	pyF50 := s.figure("py_fleet50.wall_s", fmt.Sprintf("50 sensors × %d s with Python protocol nodes: wall time", pySec), "s", field(py["py-fleet50"], wallS))
	perNodeQuantum := s.figure("py_fleet50.us_per_node_quantum", "Python protocol nodes: wall time per node per quantum", "µs",
		field(py["py-fleet50"], func(x Sample) float64 { return x.Wall.Seconds() / (x.Values["steps_executed"] * 51) * 1e6 }))
	pyF50At60 := pyF50.Median * 60 / float64(pySec)

	r0, r50 := upstreamM0S/m0Wall.Median, upstreamFleet50/f50.Median
	s.target("m0_baseline vs upstream's harness (1.1 s)", "> 100×", fmt.Sprintf("%.0f× (%s)", r0, fmtDur(m0Wall.Median)), r0 > 100)
	s.target("50 sensors × 60 s vs upstream's harness (101 s)", "> 1000×", fmt.Sprintf("%.0f× (%s)", r50, fmtDur(f50.Median)), r50 > 1000)

	same0, same50, err := compareHarnessCSVs(env, pySec)
	if err != nil {
		return err
	}
	s.target("CSVs of Python protocol nodes = built-in models' (m0_baseline)", "identical", same0, strings.HasPrefix(same0, "identical"))
	s.target(fmt.Sprintf("CSVs of Python protocol nodes = built-in models' (50 sensors × %d s)", pySec), "identical", same50, strings.HasPrefix(same50, "identical"))

	body.WriteString("### m0_baseline and 50 sensors against upstream's harness\n\n")
	fmt.Fprintf(body, "Upstream's figures were measured by running upstream's own coordinator and nodes on this machine type "+
		"(REFERENCE.md 6.3: m0_baseline 1.1 s, 50 sensors × 60 s 101 s, about 33 µs per node per quantum). "+
		"Ours are the whole `xedgesim simulate` process, start-up included, median of %d runs.\n\n", m0Wall.N)
	body.WriteString("| scenario | upstream's harness | xedgesim, built-in models | ratio |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(body, "| m0_baseline (4 nodes, 10 s) | 1.1 s | %s [%s–%s] | %.0f× |\n", fmtDur(m0Wall.Median), fmtDur(m0Wall.Min), fmtDur(m0Wall.Max), r0)
	fmt.Fprintf(body, "| 50 sensors + gateway, 60 s | 101 s | %s [%s–%s] | %.0f× |\n\n", fmtDur(f50.Median), fmtDur(f50.Min), fmtDur(f50.Max), r50)

	body.WriteString("**Live upstream-style harness.** The same scenarios with every node a Python process " +
		"(`nodes/python/refnode.py`, written the way upstream's reference nodes are, speaking upstream's TCP line protocol) " +
		"under *our* coordinator. It is not upstream's coordinator; it shows what per-quantum TCP round trips to Python nodes cost " +
		"on this machine today, next to the built-in models in the same run.\n\n")
	body.WriteString("| scenario | Python protocol nodes | built-in models | ratio |\n|---|---:|---:|---:|\n")
	fmt.Fprintf(body, "| m0_baseline | %s [%s–%s] | %s | %.0f× |\n", fmtDur(pyM0.Median), fmtDur(pyM0.Min), fmtDur(pyM0.Max), fmtDur(m0Wall.Median), pyM0.Median/m0Wall.Median)
	fmt.Fprintf(body, "| 50 sensors, %d s measured | %s [%s–%s] | | |\n", pySec, fmtDur(pyF50.Median), fmtDur(pyF50.Min), fmtDur(pyF50.Max))
	fmt.Fprintf(body, "| 50 sensors, 60 s (scaled ×%g from the %d s runs) | ≈ %s | %s | ≈ %.0f× |\n\n", 60/float64(pySec), pySec, fmtDur(pyF50At60), fmtDur(f50.Median), pyF50At60/f50.Median)
	fmt.Fprintf(body, "The 50-sensor Python run is measured over %d virtual seconds and scaled to 60, because its cost is one TCP round trip "+
		"per node per quantum whatever happens (%.0f µs per node per quantum here, against upstream's 33 µs); a full minute "+
		"takes minutes on a loaded machine. `go run ./bench -py-seconds 60` measures it in full.\n\n", pySec, perNodeQuantum.Median)
	return nil
}

// harness runs the Python protocol node scenarios, alternated with the
// built-in 50-sensor minute.
func harness(env *Env, pySec int) (map[string][]Sample, error) {
	ref := filepath.Join(env.Root, "nodes", "python", "refnode.py")
	cmd := []string{"python3", ref, "{role}", "{port}"}
	specs := []struct {
		name string
		f    fleetSpec
	}{
		{"py-m0", fleetSpec{Name: "m0_baseline", Sensors: 3, Seconds: 10, Seed: 42, QuantumU: 1000, Command: cmd}},
		{"fleet50", fleetSpec{Name: "fleet50", Sensors: 50, Seconds: 60, Seed: 42, QuantumU: 1000}},
		{"py-fleet50", fleetSpec{Name: "fleet50", Sensors: 50, Seconds: pySec, Seed: 42, QuantumU: 1000, Command: cmd}},
	}
	var cs []Contender
	for _, sp := range specs {
		c, err := env.contender(sp.name, sp.f)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	res, err := alternate(env.Runs, cs...)
	if err != nil {
		return nil, fmt.Errorf("running the Python harness: %w", err)
	}
	return res, nil
}

// compareHarnessCSVs runs the built-in models once with --csv on the two
// scenarios the Python nodes ran (the Python nodes wrote theirs in their
// run's directory, its --out) and compares the files.
func compareHarnessCSVs(env *Env, pySec int) (string, string, error) {
	sum, err := pythonSumFlag()
	if err != nil {
		return "", "", err
	}
	var verdicts []string
	for _, c := range []struct {
		py string
		f  fleetSpec
	}{
		{"py-m0", fleetSpec{Name: "m0_baseline", Sensors: 3, Seconds: 10, Seed: 42, QuantumU: 1000}},
		{"py-fleet50", fleetSpec{Name: "fleet50", Sensors: 50, Seconds: pySec, Seed: 42, QuantumU: 1000}},
	} {
		dir := filepath.Join(env.Tmp, "csv-"+c.py)
		path, err := c.f.write(dir)
		if err != nil {
			return "", "", err
		}
		out := filepath.Join(dir, "out")
		if _, err := simRun(env, path, out, "--csv", "--python", sum); err != nil {
			return "", "", fmt.Errorf("running %s for its CSVs: %w", c.f.Name, err)
		}
		n, diff, err := sameCSVs(out, filepath.Join(env.Tmp, c.py, "out"))
		if err != nil {
			return "", "", err
		}
		v := fmt.Sprintf("identical (%d files)", n)
		if diff != "" {
			v = "differ: " + diff
		}
		verdicts = append(verdicts, v)
	}
	return verdicts[0], verdicts[1], nil
}
