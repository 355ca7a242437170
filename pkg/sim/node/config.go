package node

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/xedgesim/simulate/internal/yamldiag"
	"github.com/xedgesim/simulate/pkg/scenario"
)

// ConfigError is a mistake in a node's config section. It carries the
// position of the key so the CLI can point at it, and means exit code 3.
type ConfigError struct {
	Pos     scenario.Pos
	NodeID  string
	Key     string
	Message string
	// Section is the node's section the key is in; "config" when empty,
	// "node" for the node's own keys.
	Section string
}

func (e *ConfigError) Error() string {
	section := e.Section
	if section == "" {
		section = "config"
	}
	if section == "node" {
		// A key of the node itself, such as firmware.
		return fmt.Sprintf("%s:%d:%d: node %q: %s: %s", e.Pos.File, e.Pos.Line, e.Pos.Col, e.NodeID, e.Key, e.Message)
	}
	return fmt.Sprintf("%s:%d:%d: node %q: %s.%s: %s", e.Pos.File, e.Pos.Line, e.Pos.Col, e.NodeID, section, e.Key, e.Message)
}

// ExitCode marks a config mistake as invalid input.
func (e *ConfigError) ExitCode() int { return 3 }

// config reads typed values out of a node's config section and collects
// every mistake instead of stopping at the first.
type config struct {
	n    scenario.Node
	used map[string]bool
	errs []error
}

func newConfig(n scenario.Node) *config {
	return &config{n: n, used: map[string]bool{}}
}

func (c *config) fail(key, format string, args ...any) {
	pos, ok := c.n.ConfigPos[key]
	if !ok {
		pos = c.n.Pos
	}
	c.errs = append(c.errs, &ConfigError{Pos: pos, NodeID: c.n.ID, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (c *config) value(key string) (any, bool) {
	c.used[key] = true
	v, ok := c.n.Config[key]
	return v, ok && v != nil
}

// float returns a number >= min (or def when absent).
func (c *config) float(key string, def, min float64) float64 {
	return c.floatIn(key, def, min, math.Inf(1))
}

// floatIn returns a number in [min, max] (or def when absent).
func (c *config) floatIn(key string, def, min, max float64) float64 {
	v, ok := c.value(key)
	if !ok {
		return def
	}
	f, ok := yamldiag.Number(v)
	if !ok {
		c.fail(key, "must be a number, got %T", v)
		return def
	}
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0) || f < min:
		c.fail(key, "must be a number >= %g, got %v", min, v)
		return def
	case f > max:
		c.fail(key, "must be a number <= %g, got %v", max, v)
		return def
	}
	return f
}

// MaxConfigUS is the longest time a node's config may set, in
// microseconds: 4e18, about 126,000 years. A larger number would wrap when
// converted to an int64 (start_s: 1e300 became a start far in the past and
// the sensor drew samples until memory ran out), and the sum of a time in
// the run and one such interval still fits.
const MaxConfigUS = scenario.MaxTimeS * 1e6

// MaxPayloadBytes is the largest payload_bytes, 1 TB: the serialization
// time the network model computes from it (size*8*1e6 over the bandwidth)
// still fits in an int64.
const MaxPayloadBytes = 1e12

// micros returns a number of seconds >= min as whole microseconds (or def
// seconds when absent), within MaxConfigUS.
func (c *config) micros(key string, def, min float64) int64 {
	return int64(math.Round(c.floatIn(key, def, min, MaxConfigUS/1e6) * 1e6))
}

func (c *config) str(key, def string) string {
	v, ok := c.value(key)
	if !ok {
		return def
	}
	s, isStr := v.(string)
	if !isStr || s == "" {
		c.fail(key, "must be a non-empty string, got %v", v)
		return def
	}
	return s
}

// err returns the collected mistakes, in key order for stable output.
func (c *config) err() error {
	sort.SliceStable(c.errs, func(i, j int) bool {
		return c.errs[i].(*ConfigError).Key < c.errs[j].(*ConfigError).Key
	})
	return errors.Join(c.errs...)
}
