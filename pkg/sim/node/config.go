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
	v, ok := c.value(key)
	if !ok {
		return def
	}
	f, ok := yamldiag.Number(v)
	if !ok {
		c.fail(key, "must be a number, got %T", v)
		return def
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < min {
		c.fail(key, "must be a number >= %g, got %v", min, v)
		return def
	}
	return f
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
