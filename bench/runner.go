package main

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"time"
)

// Sample is one run of one contender.
type Sample struct {
	Wall time.Duration
	// MaxRSS is the peak resident set of the process in bytes (the largest
	// of it and the children it waited for, as wait4 reports it; see
	// measureArg for why the bench does not start it itself).
	MaxRSS int64
	// CPU is the user and system time the process used: on a machine
	// other tenants load, wall time says more about them than about us.
	CPU time.Duration
	// Values are further per-run figures (events, kernel seconds, ...).
	Values map[string]float64
}

// Contender is one thing being timed.
type Contender struct {
	Name string
	Run  func() (Sample, error)
}

// alternate runs every contender runs times, round-robin (a, b, a, b, ...)
// rather than all of a then all of b, so a burst of load from the other
// tenants of the machine falls on all of them alike.
func alternate(runs int, cs ...Contender) (map[string][]Sample, error) {
	out := map[string][]Sample{}
	for i := range runs {
		for _, c := range cs {
			s, err := c.Run()
			if err != nil {
				return nil, fmt.Errorf("running %s (run %d): %w", c.Name, i+1, err)
			}
			// Progress on stderr: a full run takes many minutes.
			fmt.Fprintf(os.Stderr, "bench: %s run %d/%d: %s\n", c.Name, i+1, runs, s.Wall.Round(time.Millisecond))
			out[c.Name] = append(out[c.Name], s)
		}
	}
	return out, nil
}

// Stats is a figure over several runs.
type Stats struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

func statsOf(xs []float64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stats{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// field turns samples into one Stats through f.
func field(ss []Sample, f func(Sample) float64) Stats {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = f(s)
	}
	return statsOf(xs)
}

func wallS(s Sample) float64  { return s.Wall.Seconds() }
func rssMiB(s Sample) float64 { return float64(s.MaxRSS) / (1 << 20) }
func value(k string) func(Sample) float64 {
	return func(s Sample) float64 { return s.Values[k] }
}

// runProcess runs a command to completion and measures it from the outside:
// wall time from start to exit, and peak RSS from the kernel's accounting.
func runProcess(dir, name string, args ...string) (Sample, error) {
	return runProcessEnv(dir, nil, name, args...)
}

// runProcessEnv is runProcess with extra environment variables (KEY=VALUE)
// on top of the bench's own.
func runProcessEnv(dir string, env []string, name string, args ...string) (Sample, error) {
	cmd, done, err := measured(name, args...)
	if err != nil {
		return Sample{}, err
	}
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	u, uerr := done()
	if err != nil {
		return Sample{}, fmt.Errorf("%s %v: %w\n%s", name, args, err, tail(out.Bytes(), 2000))
	}
	if uerr != nil {
		return Sample{}, fmt.Errorf("%s %v: %w", name, args, uerr)
	}
	return u.sample(), nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
