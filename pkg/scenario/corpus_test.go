package scenario

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The corpus is upstream's scenarios, copied verbatim from
// ../shared/xedgesim/corpus. The m3c scenarios name model files that are not
// in upstream's repository; empty placeholders live next to them under
// scenarios/m3c/models/, because the loader checks that model files exist
// (as upstream does) against the scenario's directory (unlike upstream).
const corpus = "testdata/corpus"

// ignorePos leaves positions out of whole-scenario comparisons; the
// position tests check them.
var ignorePos = cmpopts.IgnoreTypes(Pos{}, map[string]Pos{})

func node(id, typ string, port int) Node {
	return Node{ID: id, Type: typ, Implementation: ImplPythonModel, Port: port, HasPort: true}
}

func link(src, dst string, latency int64) Link {
	return Link{Src: src, Dst: dst, LatencyUS: latency}
}

func seed(v int64) *int64 { return &v }

func TestCorpus(t *testing.T) {
	t.Parallel()
	direct := Network{Model: ModelDirect, DefaultLatencyUS: 10000}
	latency := Network{Model: ModelLatency, DefaultLatencyUS: 10000}
	mosquitto := map[string]any{
		"image":         "xedgesim/mosquitto:latest",
		"build_context": "containers/mqtt-broker",
		"ports":         map[string]any{"1883": 1883},
	}
	broker := Node{ID: "broker1", Type: "mqtt_broker", Implementation: ImplDocker, Port: 5003, HasPort: true, Docker: mosquitto}
	sensorCfg := map[string]any{"sensor_type": "vibration", "sample_rate_hz": 10, "noise_level": 0.1}
	m3cLinks := []Link{link("sensor1", "gateway1", 500), link("gateway1", "broker1", 100)}

	cases := []struct {
		path string
		want Scenario
	}{{
		path: "scenarios/m0_baseline.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 10, DurationUS: 10_000_000, Seed: 42, TimeQuantumUS: 1000},
			Nodes: []Node{
				node("sensor1", "sensor_model", 5001), node("sensor2", "sensor_model", 5002),
				node("sensor3", "sensor_model", 5003), node("gateway", "gateway_model", 5004),
			},
			Network: direct,
		},
	}, {
		path: "scenarios/m1b_minimal.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 2, DurationUS: 2_000_000, Seed: 123, TimeQuantumUS: 1000},
			Nodes:      []Node{node("sensor1", "sensor_model", 5001), node("gateway", "gateway_model", 5004)},
			Network:    direct,
		},
	}, {
		path: "scenarios/m1d_latency_test.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 2, DurationUS: 2_000_000, Seed: 42, TimeQuantumUS: 1000},
			Nodes:      []Node{node("sensor1", "sensor_model", 7001), node("gateway", "gateway_model", 7004)},
			Network:    Network{Model: ModelLatency, DefaultLatencyUS: 10000, Links: []Link{link("sensor1", "gateway", 5000)}},
		},
	}, {
		path: "scenarios/m2d/python_gateway.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 10, DurationUS: 10_000_000, Seed: 42, TimeQuantumUS: 1000},
			Nodes:      []Node{node("sensor1", "sensor", 5001), node("gateway1", "gateway", 5002)},
			Network:    latency,
		},
	}, {
		path: "scenarios/m2d/docker_gateway.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 10, DurationUS: 10_000_000, Seed: 42, TimeQuantumUS: 1000},
			Nodes: []Node{
				node("sensor1", "sensor", 5001),
				{ID: "gateway1", Type: "gateway", Implementation: ImplDocker, Port: 5002, HasPort: true, Docker: map[string]any{
					"image":         "xedgesim/gateway:latest",
					"build_context": "containers/gateway",
					"ports":         map[string]any{"5000": 5000},
				}},
			},
			Network: latency,
		},
	}, {
		path: "scenarios/m3c/edge_ml_placement.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 60, DurationUS: 60_000_000, Seed: 42, TimeQuantumUS: 1000},
			Nodes: []Node{
				{ID: "sensor1", Type: "sensor", Implementation: ImplPythonModel, Port: 5001, HasPort: true, Config: sensorCfg},
				{ID: "gateway1", Type: "gateway", Implementation: ImplDocker, Port: 5002, HasPort: true, Docker: map[string]any{
					"image":         "xedgesim/ml-inference:latest",
					"build_context": "containers/ml-inference",
					"ports":         map[string]any{"5000": 5000},
					"environment": map[string]any{
						"MODEL_PATH":       "/app/models/anomaly_detector.onnx",
						"MQTT_BROKER_HOST": "host.docker.internal",
						"MQTT_BROKER_PORT": 1883,
					},
					"volumes": map[string]any{"models": map[string]any{"bind": "/app/models", "mode": "ro"}},
				}},
				broker,
			},
			Network: Network{Model: ModelLatency, DefaultLatencyUS: 1000, Links: m3cLinks},
			MLInference: map[string]any{
				"placement": "edge",
				"edge_config": map[string]any{
					"model_path": "models/anomaly_detector.onnx", "broker_host": "localhost", "broker_port": 1883, "threshold": 0.5,
				},
			},
		},
	}, {
		path: "scenarios/m3c/cloud_ml_placement.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 60, DurationUS: 60_000_000, Seed: 42, TimeQuantumUS: 1000},
			Nodes: []Node{
				{ID: "sensor1", Type: "sensor", Implementation: ImplPythonModel, Port: 5001, HasPort: true, Config: sensorCfg},
				{ID: "gateway1", Type: "gateway", Implementation: ImplPythonModel, Port: 5002, HasPort: true, Config: map[string]any{"forward_to_cloud": true}},
				broker,
			},
			Network: Network{Model: ModelLatency, DefaultLatencyUS: 1000, Links: m3cLinks},
			MLInference: map[string]any{
				"placement": "cloud",
				"cloud_config": map[string]any{
					"model_path": "models/anomaly_detector.pt", "broker_host": "localhost", "broker_port": 1883,
					"latency_ms": 50, "threshold": 0.5,
				},
			},
		},
	}, {
		path: "examples/scenarios/device_emulation_basic.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 10, DurationUS: 10_000_000, Seed: 42, TimeQuantumUS: 1_000_000},
			Nodes: []Node{
				{
					ID: "sensor_device", Type: "renode", Implementation: ImplRenode,
					Platform: "platforms/nrf52840.repl", Firmware: "firmware/sensor-node/build/zephyr/zephyr.elf",
					MonitorPort: 9999, WorkingDir: "/tmp/xedgesim/sensor_device", Seed: seed(42),
				},
				node("gateway", "gateway", 5001),
				node("cloud", "cloud", 5002),
			},
			Network: Network{Model: ModelLatency, DefaultLatencyUS: 10000, Links: []Link{
				link("sensor_device", "gateway", 5000), link("gateway", "cloud", 50000),
			}},
		},
	}, {
		path: "examples/scenarios/device_emulation_simple.yaml",
		want: Scenario{
			Simulation: Simulation{DurationS: 2, DurationUS: 2_000_000, Seed: 42, TimeQuantumUS: 1_000_000},
			Nodes: []Node{{
				ID: "sensor_device", Type: "renode", Implementation: ImplRenode,
				Platform: "/Applications/Renode.app/Contents/MacOS/platforms/cpus/nrf52840.repl",
				Firmware: "firmware/sensor-node/build/zephyr/zephyr.elf", MonitorPort: 9999,
				WorkingDir: "/tmp/xedgesim/sensor_device", Seed: seed(42),
			}},
			Network: direct,
		},
	}}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(corpus, tc.path)
			got, warnings, err := Load(path, WithStrict(true))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			want := tc.want
			want.Path = path
			want.Dir = abs(t, filepath.Dir(path))
			want.Name = strings.TrimSuffix(filepath.Base(path), ".yaml")
			checkInvariants(t, got)
			if diff := cmp.Diff(&want, got, ignorePos); diff != "" {
				t.Errorf("Load(%s) mismatch (-want +got):\n%s", tc.path, diff)
			}
		})
	}
}

// vib-monitoring/config.yaml is a P0 placeholder without simulation or
// nodes; upstream fails it too.
func TestCorpusPlaceholder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(corpus, "scenarios/vib-monitoring/config.yaml")
	s, warnings, err := Load(path)
	if s != nil {
		t.Errorf("Load returned a scenario for a placeholder")
	}
	var serr *Error
	if !errors.As(err, &serr) {
		t.Fatalf("Load error = %v, want *Error", err)
	}
	if got := serr.ExitCode(); got != 3 {
		t.Errorf("ExitCode() = %d, want 3", got)
	}
	want := path + ":4:1: error: not an xEdgeSim scenario: missing required sections 'simulation' and 'nodes'; " +
		"it looks like a placeholder or an old-format file (top-level duration_s, num_devices, device_firmware, edge, ...)"
	if got := err.Error(); !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 0 {
		t.Errorf("Error() =\n%s\nwant one line starting with\n%s", got, want)
	}
	// The misplaced keys are pointed at, each on its line.
	var got []string
	for _, w := range warnings {
		got = append(got, w.Pos.String()+" "+w.Key)
	}
	wantW := []string{
		path + ":7:1 duration_s", path + ":8:1 num_devices", path + ":9:1 device_firmware",
		path + ":12:3 network.type", path + ":14:1 edge", path + ":17:1 cloud", path + ":20:1 ml_placement",
	}
	if diff := cmp.Diff(wantW, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if warnings[0].Hint != "duration_s belongs under simulation:" {
		t.Errorf("hint for duration_s = %q", warnings[0].Hint)
	}
}

// Positions of what the simulator reports on: nodes, links and sections.
func TestCorpusPositions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(corpus, "scenarios/m3c/edge_ml_placement.yaml")
	s, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{
		"simulation":       s.Simulation.Pos.String(),
		"network":          s.Network.Pos.String(),
		"nodes[0]":         s.Nodes[0].Pos.String(),
		"nodes[2]":         s.Nodes[2].Pos.String(),
		"links[1]":         s.Network.Links[1].Pos.String(),
		"config.noise_lvl": s.Nodes[0].ConfigPos["noise_level"].String(),
	}
	want := map[string]string{
		"simulation":       path + ":9:1",
		"network":          path + ":65:1",
		"nodes[0]":         path + ":25:5",
		"nodes[2]":         path + ":54:5",
		"links[1]":         path + ":73:7",
		"config.noise_lvl": path + ":32:7",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
