package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xedgesim/simulate/internal/testbed"
)

// The bed puts everything an edge runs (its engine and containers, sshd
// and each login) in one cgroup per edge, <EDGE>_CPU_CGROUP in the env
// file. The deploy section gives each edge a share of this machine's CPU
// there, as Mininet's CPULimitedHost does for emulated hosts: a fleet's
// devices each have their own CPU, where edges sharing two cores would
// measure this machine when three deploy at once.

// edgeCPU is one edge's CPU bandwidth setting: cgroup v1's
// cpu.cfs_quota_us, or v2's cpu.max.
type edgeCPU struct {
	dir  string
	v2   bool
	prev string // the setting as found, put back by restore
}

func openEdgeCPU(env *testbed.Env, e testbed.Edge) (*edgeCPU, error) {
	dir := env.Var(strings.ToUpper(e.Name) + "_CPU_CGROUP")
	if dir == "" {
		return nil, fmt.Errorf("the env file names no CPU cgroup for %s (scripts/testbed up makes one)", e.Name)
	}
	c := &edgeCPU{dir: dir}
	_, err := os.Stat(filepath.Join(dir, "cpu.max"))
	c.v2 = err == nil
	b, err := os.ReadFile(c.file())
	if err != nil {
		return nil, fmt.Errorf("reading %s's CPU share: %w", e.Name, err)
	}
	c.prev = strings.TrimSpace(string(b))
	return c, nil
}

func (c *edgeCPU) file() string {
	if c.v2 {
		return filepath.Join(c.dir, "cpu.max")
	}
	return filepath.Join(c.dir, "cpu.cfs_quota_us")
}

// set gives the edge cores of CPU time per period; 0 is unbounded.
func (c *edgeCPU) set(cores float64) error {
	period := 100000
	if !c.v2 {
		b, err := os.ReadFile(filepath.Join(c.dir, "cpu.cfs_period_us"))
		if err != nil {
			return err
		}
		if period, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return err
		}
	} else if f := strings.Fields(c.prev); len(f) == 2 {
		period, _ = strconv.Atoi(f[1])
	}
	v := "-1"
	switch {
	case cores > 0 && c.v2:
		v = fmt.Sprintf("%d %d", int(cores*float64(period)), period)
	case cores > 0:
		v = strconv.Itoa(int(cores * float64(period)))
	case c.v2:
		v = fmt.Sprintf("max %d", period)
	}
	return os.WriteFile(c.file(), []byte(v), 0o644)
}

func (c *edgeCPU) restore() error { return os.WriteFile(c.file(), []byte(c.prev), 0o644) }

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
			return fmt.Errorf("setting the CPU share in %s: %w", c.dir, err)
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
