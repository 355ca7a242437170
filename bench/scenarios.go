package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// fleetSpec is a generated scenario: sensors reporting to one gateway
// called "gateway" (upstream's sensor sends to that id, hard-coded).
type fleetSpec struct {
	Name     string
	Sensors  int
	Seconds  int
	Seed     int
	QuantumU int
	RateHz   float64 // 0 means the model's default (1 Hz)
	// Command, when set, runs every node as a process speaking upstream's
	// protocol; "{role}" becomes sensor or gateway.
	Command []string
}

// write writes the scenario as dir/<name>.yaml and returns its path.
func (f fleetSpec) write(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "simulation:\n  duration_s: %d\n  seed: %d\n  time_quantum_us: %d\nnodes:\n", f.Seconds, f.Seed, f.QuantumU)
	for i := range f.Sensors {
		fmt.Fprintf(&b, "  - {id: sensor%d, type: sensor_model, %s}\n", i+1, f.nodeTail("sensor", 20000+i))
	}
	fmt.Fprintf(&b, "  - {id: gateway, type: gateway_model, %s}\n", f.nodeTail("gateway", 19999))
	b.WriteString("network:\n  model: direct\n")
	path := filepath.Join(dir, f.Name+".yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}

// nodeTail is the rest of a node's flow mapping: a port for built-in
// models (upstream's loader wants one), or the command of a process node.
func (f fleetSpec) nodeTail(role string, port int) string {
	var cfg []string
	if role == "sensor" && f.RateHz > 0 {
		cfg = append(cfg, fmt.Sprintf("sample_rate_hz: %g", f.RateHz))
	}
	head := fmt.Sprintf("port: %d", port)
	if f.Command != nil {
		head = ""
		args := make([]string, len(f.Command))
		for i, a := range f.Command {
			args[i] = fmt.Sprintf("%q", strings.ReplaceAll(a, "{role}", role))
		}
		cfg = append(cfg, "command: ["+strings.Join(args, ", ")+"]")
	}
	parts := []string{}
	if head != "" {
		parts = append(parts, head)
	}
	parts = append(parts, "config: {"+strings.Join(cfg, ", ")+"}")
	return strings.Join(parts, ", ")
}
