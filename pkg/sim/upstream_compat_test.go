package sim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// An upstream file with per-node config: upstream drops it, so the sensor
// samples at 1 Hz (4 samples in 5 s) where ours takes sample_rate_hz (40).
// Upstream compatibility, by option or by simulation.compat, gives
// upstream's counts, and only the default mode carries the note.
func TestUpstreamCompatDropsConfig(t *testing.T) {
	t.Parallel()
	const body = `simulation: {duration_s: 5, seed: 42%s}
nodes:
  - id: sensor1
    type: sensor
    port: 5001
    config: {sensor_type: vibration, sample_rate_hz: 10, noise_level: 0.1}
  - id: gateway
    type: gateway
    port: 5002
`
	for _, tc := range []struct {
		name, compat string
		opts         []Option
		samples      int64
		note         string // "" for none
	}{
		{"ours", "", nil, 40, "c.yaml:6:38: warning: per-node config changes what nodes do (sensor1: sample_rate_hz), so results differ from upstream's, which ignores config (run with --upstream, or set simulation.compat: upstream, to ignore it as upstream does; compat: xedgesim says the file means it)"},
		{"WithUpstream", "", []Option{WithUpstream()}, 4, ""},
		{"compat: upstream", ", compat: upstream", nil, 4, ""},
		// Ours, and the file says it means it: no note.
		{"compat: xedgesim", ", compat: xedgesim", nil, 40, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc, _, err := scenario.Parse([]byte(strings.Replace(body, "%s", tc.compat, 1)), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(context.Background(), sc, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, n := range res.Nodes {
				got[n.ID] = n.Stats.MessagesSent
			}
			if diff := cmp.Diff(map[string]int64{"sensor1": tc.samples, "gateway": 0}, got); diff != "" {
				t.Errorf("messages sent (-want +got):\n%s", diff)
			}
			note := ""
			if d, ok := UpstreamNote(sc, tc.opts...); ok {
				note = d.String()
			}
			if note != tc.note {
				t.Errorf("UpstreamNote:\n got %q\nwant %q", note, tc.note)
			}
			for _, w := range res.Warnings {
				if strings.Contains(w.Message, "upstream's, which ignores config") {
					t.Errorf("the note is one of Run's warnings, which --fail-on-warning counts: %s", w)
				}
			}
		})
	}
}

// A process node receives its config in INIT; upstream sends {"seed": N}
// only, and so does upstream compatibility, while the keys that start the
// node (command) still apply.
func TestUpstreamCompatInit(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	script := filepath.Join(t.TempDir(), "recorder.py")
	if err := os.WriteFile(script, []byte(recorder), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts []Option
		want string
	}{
		{"ours", nil, `INIT n {"seed": 42, "rate": 3}`},
		{"upstream", []Option{WithUpstream()}, `INIT n {"seed": 42}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			log := filepath.Join(dir, "wire.log")
			sc := &scenario.Scenario{Name: "init", Dir: dir,
				Simulation: scenario.Simulation{DurationS: 0.001, DurationUS: 1000, Seed: 42, TimeQuantumUS: 1000},
				Network:    scenario.Network{Model: scenario.ModelDirect},
				Nodes: []scenario.Node{{ID: "n", Type: "t", Implementation: scenario.ImplProcess,
					Config: map[string]any{"command": []any{py, script, "{port}", log}, "rate": 3}}}}
			if _, err := Run(context.Background(), sc, tc.opts...); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if got, _, _ := strings.Cut(string(data), "\n"); got != tc.want {
				t.Errorf("INIT line %q, want %q", got, tc.want)
			}
		})
	}
}
