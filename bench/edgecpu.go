package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xedgesim/simulate/internal/testbed"
)

// The bed puts everything an edge runs (its engine and containers, sshd
// and each login) below one cgroup per edge, <EDGE>_CPU_CGROUP in the env
// file. The deploy section gives each edge a share of this machine's CPU
// there, as Mininet's CPULimitedHost does for emulated hosts: a fleet's
// devices each have their own CPU, where edges sharing two cores would
// measure this machine when three deploy at once.

// edgeCPU is one edge's CPU bandwidth setting: cgroup v1's
// cpu.cfs_quota_us, or v2's cpu.max ("QUOTA PERIOD").
type edgeCPU struct {
	file   string
	v2     bool
	period int    // µs
	prev   string // the setting as found, put back by restore
}

func openEdgeCPU(env *testbed.Env, e testbed.Edge) (*edgeCPU, error) {
	dir := env.Var(strings.ToUpper(e.Name) + "_CPU_CGROUP")
	if dir == "" {
		return nil, fmt.Errorf("the env file names no CPU cgroup for %s (scripts/testbed up makes one)", e.Name)
	}
	c := &edgeCPU{file: filepath.Join(dir, "cpu.max"), v2: true}
	b, err := os.ReadFile(c.file)
	if errors.Is(err, fs.ErrNotExist) {
		c.file, c.v2 = filepath.Join(dir, "cpu.cfs_quota_us"), false
		b, err = os.ReadFile(c.file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s's CPU share: %w", e.Name, err)
	}
	c.prev = strings.TrimSpace(string(b))
	period := "100000"
	if !c.v2 {
		if b, err = os.ReadFile(filepath.Join(dir, "cpu.cfs_period_us")); err != nil {
			return nil, fmt.Errorf("reading %s's CPU period: %w", e.Name, err)
		}
		period = strings.TrimSpace(string(b))
	} else if f := strings.Fields(c.prev); len(f) == 2 {
		period = f[1]
	}
	if c.period, err = strconv.Atoi(period); err != nil {
		return nil, fmt.Errorf("reading %s's CPU period: %w", e.Name, err)
	}
	return c, nil
}

// set gives the edge cores of CPU time per period; 0 is unbounded.
func (c *edgeCPU) set(cores float64) error {
	quota := "-1"
	if c.v2 {
		quota = "max"
	}
	if cores > 0 {
		quota = strconv.Itoa(int(cores * float64(c.period)))
	}
	if c.v2 {
		quota += " " + strconv.Itoa(c.period)
	}
	return os.WriteFile(c.file, []byte(quota), 0o644)
}

func (c *edgeCPU) restore() error { return os.WriteFile(c.file, []byte(c.prev), 0o644) }

// edgeCPUs are the CPU settings of a set of edges, changed together.
type edgeCPUs []*edgeCPU

func openEdgeCPUs(env *testbed.Env, edges []testbed.Edge) (edgeCPUs, error) {
	var cs edgeCPUs
	for _, e := range edges {
		c, err := openEdgeCPU(env, e)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func (cs edgeCPUs) set(cores float64) error {
	for _, c := range cs {
		if err := c.set(cores); err != nil {
			return fmt.Errorf("setting the CPU share in %s: %w", c.file, err)
		}
	}
	return nil
}

func (cs edgeCPUs) restore() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.restore())
	}
	return errors.Join(errs...)
}
