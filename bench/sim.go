package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Upstream's harness on this machine type (REFERENCE.md 6.3): the figures
// our ratios are held against.
const (
	upstreamM0S     = 1.1
	upstreamFleet50 = 101.0
)

// simRun runs `xedgesim simulate` on a scenario and adds what the run
// reports about itself: events, kernel seconds (sim.Run only, from
// timing.json) and quanta executed.
func simRun(env *Env, scenario, out string, extra ...string) (Sample, error) {
	args := append([]string{"simulate", "--out", out}, extra...)
	args = append(args, scenario)
	s, err := runProcess(filepath.Dir(scenario), env.Bin, args...)
	if err != nil {
		return s, err
	}
	var sum struct {
		Events int64 `json:"events"`
		Steps  struct {
			Executed int64 `json:"executed"`
			Total    int64 `json:"total"`
		} `json:"steps"`
		Network struct {
			Delivered int64 `json:"packets_delivered"`
		} `json:"network"`
	}
	var timing struct {
		Wall float64 `json:"wall_time_s"`
		CPU  float64 `json:"cpu_time_s"`
	}
	if err := readJSON(filepath.Join(out, "summary.json"), &sum); err != nil {
		return s, err
	}
	if err := readJSON(filepath.Join(out, "timing.json"), &timing); err != nil {
		return s, err
	}
	s.Values["events"] = float64(sum.Events)
	s.Values["kernel_s"] = timing.Wall
	s.Values["kernel_cpu_s"] = timing.CPU
	s.Values["steps_executed"] = float64(sum.Steps.Executed)
	s.Values["steps_total"] = float64(sum.Steps.Total)
	s.Values["delivered"] = float64(sum.Network.Delivered)
	return s, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

// contender builds a Contender that simulates one generated scenario.
func (env *Env) contender(name string, f fleetSpec, extra ...string) (Contender, error) {
	dir := filepath.Join(env.Tmp, name)
	path, err := f.write(dir)
	if err != nil {
		return Contender{}, err
	}
	out := filepath.Join(dir, "out")
	return Contender{Name: name, Run: func() (Sample, error) { return simRun(env, path, out, extra...) }}, nil
}

// simulation is the simulation section: kernel throughput and memory, the
// growth curve, m0_baseline against upstream's harness, skip-ahead, and
// the Go benchmarks of the event queue and the network model.
func simulation(env *Env) (*Section, error) {
	s := &Section{Title: "Simulation"}
	var body strings.Builder
	steps := []func(*Env, *Section, *strings.Builder) error{fleetAndGrowth, baseline, skipAhead, goBench}
	for _, step := range steps {
		if err := step(env, s, &body); err != nil {
			return nil, err
		}
	}
	s.Body = body.String()
	return s, nil
}

// pythonSumFlag picks the gateway's sum() for the python3 on this machine,
// so the built-in run's CSVs can be compared with the Python nodes'.
func pythonSumFlag() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.version_info >= (3, 12))").Output()
	if err != nil {
		return "", fmt.Errorf("asking python3 its version: %w", err)
	}
	if strings.TrimSpace(string(out)) == "True" {
		return "3.12", nil
	}
	return "3.11", nil
}

// sameCSVs compares every <id>_metrics.csv in a with the file of the same
// name in b; it returns how many files it compared and the first that
// differs, or "missing: NAME" for the first that b lacks.
func sameCSVs(a, b string) (int, string, error) {
	files, err := filepath.Glob(filepath.Join(a, "*_metrics.csv"))
	if err != nil {
		return 0, "", err
	}
	if len(files) == 0 {
		return 0, "", fmt.Errorf("comparing CSVs: none in %s", a)
	}
	for _, f := range files {
		x, err := os.ReadFile(f)
		if err != nil {
			return 0, "", fmt.Errorf("comparing CSVs: %w", err)
		}
		y, err := os.ReadFile(filepath.Join(b, filepath.Base(f)))
		if errors.Is(err, fs.ErrNotExist) {
			return len(files), "missing: " + filepath.Base(f), nil
		}
		if err != nil {
			return 0, "", fmt.Errorf("comparing CSVs: %w", err)
		}
		if !bytes.Equal(x, y) {
			return len(files), filepath.Base(f), nil
		}
	}
	return len(files), "", nil
}

func fmtDur(sec float64) string {
	switch {
	case sec >= 1:
		return fmt.Sprintf("%.2f s", sec)
	case sec >= 1e-3:
		return fmt.Sprintf("%.1f ms", sec*1e3)
	default:
		return fmt.Sprintf("%.0f µs", sec*1e6)
	}
}

func fmtRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2f M", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1f k", r/1e3)
	default:
		return fmt.Sprintf("%.0f", r)
	}
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
