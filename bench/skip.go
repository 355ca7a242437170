package main

import (
	"fmt"
	"strings"
)

// skipAhead runs the same sparse scenario with a 1 µs and a 1 ms quantum.
// Upstream steps through every quantum, so 1 µs would cost 1,000 times
// more; with empty quanta skipped both should cost about the same.
func skipAhead(env *Env, s *Section, body *strings.Builder) error {
	seconds := 3600
	if env.Quick {
		seconds = 600
	}
	sparse := func(name string, q int) fleetSpec {
		return fleetSpec{Name: name, Sensors: 5, Seconds: seconds, Seed: 7, QuantumU: q, RateHz: 0.1}
	}
	us, err := env.contender("sparse-1us", sparse("sparse1us", 1))
	if err != nil {
		return err
	}
	ms, err := env.contender("sparse-1ms", sparse("sparse1ms", 1000))
	if err != nil {
		return err
	}
	res, err := alternate(env.Runs, us, ms)
	if err != nil {
		return fmt.Errorf("running the sparse scenarios: %w", err)
	}
	wUS := s.figure("sparse_1us.wall_s", "sparse, 1 µs quantum: wall time", "s", field(res[us.Name], wallS))
	wMS := s.figure("sparse_1ms.wall_s", "sparse, 1 ms quantum: wall time", "s", field(res[ms.Name], wallS))
	kUS := s.figure("sparse_1us.kernel_s", "sparse, 1 µs quantum: kernel time", "s", field(res[us.Name], value("kernel_s")))
	kMS := s.figure("sparse_1ms.kernel_s", "sparse, 1 ms quantum: kernel time", "s", field(res[ms.Name], value("kernel_s")))
	first := res[us.Name][0].Values
	ratio := wUS.Median / wMS.Median
	s.target("skip-ahead: wall time with a 1 µs quantum / with 1 ms", "≈ 1 (≤ 1.5)", fmt.Sprintf("%.2f", ratio), ratio <= 1.5)

	fmt.Fprintf(body, "### Skip-ahead\n\n5 sensors at 0.1 Hz for %d virtual seconds, one gateway. "+
		"With a 1 µs quantum upstream's loop would step %.0f quanta; xedgesim executed %.0f.\n\n", seconds, first["steps_total"], first["steps_executed"])
	body.WriteString("| quantum | wall, whole process | wall, kernel |\n|---|---:|---:|\n")
	fmt.Fprintf(body, "| 1 µs | %s [%s–%s] | %s |\n", fmtDur(wUS.Median), fmtDur(wUS.Min), fmtDur(wUS.Max), fmtDur(kUS.Median))
	fmt.Fprintf(body, "| 1 ms | %s [%s–%s] | %s |\n\n", fmtDur(wMS.Median), fmtDur(wMS.Min), fmtDur(wMS.Max), fmtDur(kMS.Median))
	fmt.Fprintf(body, "Ratio of wall times, 1 µs / 1 ms: %.2f.\n\n", ratio)
	return nil
}
