package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const file = "fixture.yaml"

// parse loads an inline fixture, failing the test on a load error.
func parse(t *testing.T, src string, opts ...Option) (*Scenario, []Diagnostic) {
	t.Helper()
	s, warnings, err := Parse([]byte(src), file, opts...)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s, warnings
}

// errorsOf loads an inline fixture that must fail and returns its errors.
func errorsOf(t *testing.T, src string, opts ...Option) []Diagnostic {
	t.Helper()
	s, _, err := Parse([]byte(src), file, opts...)
	if err == nil {
		t.Fatalf("Parse succeeded, want an error; got %+v", s)
	}
	var serr *Error
	if !errors.As(err, &serr) {
		t.Fatalf("Parse error %T %v, want *Error", err, err)
	}
	if s != nil {
		t.Errorf("Parse returned a scenario with an error")
	}
	return serr.Diagnostics
}

// where renders diagnostics as "line:col key", what the tests pin.
func where(diags []Diagnostic) []string {
	out := make([]string, len(diags))
	for i, d := range diags {
		out[i] = strings.TrimPrefix(d.Pos.String(), file+":") + " " + d.Key
	}
	return out
}

// expand turns "3:^70000 key" into "3:28 key": 28 is the column of the
// first "70000" on line 3 of src, so fixtures need no hand-counted columns.
func expand(t *testing.T, src string, want []string) []string {
	t.Helper()
	lines := strings.Split(src, "\n")
	out := make([]string, len(want))
	for i, w := range want {
		out[i] = w
		lineStr, rest, ok := strings.Cut(w, ":^")
		if !ok {
			continue
		}
		token, key, _ := strings.Cut(rest, " ")
		var line int
		if _, err := fmt.Sscan(lineStr, &line); err != nil || line < 1 || line > len(lines) {
			t.Fatalf("bad expectation %q", w)
		}
		col := strings.Index(lines[line-1], token)
		if col < 0 {
			t.Fatalf("expectation %q: %q is not on line %d", w, token, line)
		}
		out[i] = fmt.Sprintf("%d:%d %s", line, col+1, key)
	}
	return out
}

const minimal = `simulation:
  duration_s: 1
  seed: 7
nodes:
  - id: a
    type: sensor
    port: 5001
`

func TestDefaults(t *testing.T) {
	t.Parallel()
	s, warnings := parse(t, minimal+`network:
  links:
    - {src: a, dst: a}
`)
	want := &Scenario{
		Path: file, Dir: abs(t, "."), Name: "fixture",
		Simulation: Simulation{DurationS: 1, DurationUS: 1_000_000, Seed: 7, TimeQuantumUS: 1000},
		Nodes:      []Node{{ID: "a", Type: "sensor", Implementation: ImplPythonModel, Port: 5001, HasPort: true}},
		Network: Network{Model: ModelDirect, DefaultLatencyUS: 10000, DefaultLossRate: 0,
			Links: []Link{{Src: "a", Dst: "a", LatencyUS: 10000}}},
	}
	if diff := cmp.Diff(want, s, ignorePos); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	// Links do nothing with the direct model; say so.
	if got, want := where(warnings), []string{"9:3 network.links"}; !cmp.Equal(got, want) {
		t.Errorf("warnings = %v, want %v", got, want)
	}

	s, _ = parse(t, minimal)
	if diff := cmp.Diff(Network{Model: ModelDirect, DefaultLatencyUS: 10000}, s.Network); diff != "" {
		t.Errorf("absent network (-want +got):\n%s", diff)
	}

	// Links inherit the section's defaults.
	s, _ = parse(t, minimal+`network:
  model: latency
  default_latency_us: 0
  default_loss_rate: 0.25
  links:
    - {src: a, dst: a, latency_us: 7}
`)
	if diff := cmp.Diff([]Link{{Src: "a", Dst: "a", LatencyUS: 7, LossRate: 0.25}}, s.Network.Links, ignorePos); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

// DurationUS is int(duration_s * 1_000_000) computed in float64, as Python
// does; the values are from CPython.
func TestDurationUS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"10", 10_000_000},
		{"0.1", 100_000},
		{"1.1", 1_100_000},
		{"4.35", 4_350_000},
		{"2.8347477", 2_834_747},
		{"0.5709129", 570_912},
		{"0.000001", 1},
		{"'2.5'", 2_500_000},
		{"1_000", 1_000_000_000},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			s, _ := parse(t, strings.Replace(minimal, "duration_s: 1", "duration_s: "+tc.in, 1))
			if s.Simulation.DurationUS != tc.want {
				t.Errorf("DurationUS = %d, want %d", s.Simulation.DurationUS, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  string
		// want is "line:col key" per error, in order; msg is the full
		// String() of the first one.
		want []string
		msg  string
	}{{
		name: "missing simulation",
		src:  "nodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"1:1 simulation"},
		msg:  file + ":1:1: error: missing required section: 'simulation' (add simulation: with duration_s: and seed: under it)",
	}, {
		name: "missing nodes",
		src:  "simulation: {duration_s: 1, seed: 1}\n",
		want: []string{"1:1 nodes"},
	}, {
		name: "simulation not a mapping",
		src:  "simulation: [1, 2]\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"1:13 simulation"},
		msg:  file + ":1:13: error: 'simulation' section must be a mapping, got a list (write simulation: with duration_s: and seed: indented under it)",
	}, {
		name: "missing duration and seed",
		src:  "simulation:\n  time_quantum_us: 5\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"1:1 simulation.duration_s", "1:1 simulation.seed"},
		msg:  file + ":1:1: error: missing required field: simulation.duration_s (add duration_s: <seconds> under simulation:)",
	}, {
		name: "null duration is missing, as upstream's sim.get",
		src:  "simulation:\n  duration_s: ~\n  seed: 1\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"1:1 simulation.duration_s"},
	}, {
		name: "duration not positive",
		src:  "simulation:\n  duration_s: 0\n  seed: 1\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"2:15 simulation.duration_s"},
		msg:  file + ":2:15: error: simulation.duration_s must be positive, got 0 (write duration_s: 10)",
	}, {
		name: "duration nan",
		src:  "simulation:\n  duration_s: .nan\n  seed: 1\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"2:15 simulation.duration_s"},
		msg:  file + ":2:15: error: simulation.duration_s must be a finite number, got .nan (write duration_s: 10)",
	}, {
		name: "duration inf",
		src:  "simulation:\n  duration_s: .inf\n  seed: 1\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"2:15 simulation.duration_s"},
	}, {
		name: "duration too large for int64 microseconds",
		src:  "simulation:\n  duration_s: 9223372036854.775\n  seed: 1\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"2:15 simulation.duration_s"},
	}, {
		name: "duration a string",
		src:  "simulation:\n  duration_s: ten\n  seed: 1\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"2:15 simulation.duration_s"},
		msg:  file + `:2:15: error: simulation.duration_s must be a number, got "ten" (write duration_s: 10)`,
	}, {
		name: "duration a boolean",
		src:  "simulation:\n  duration_s: true\n  seed: 1\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"2:15 simulation.duration_s"},
		msg:  file + ":2:15: error: simulation.duration_s must be a number, got the boolean true; booleans are not numbers (write duration_s: 10)",
	}, {
		name: "seed a float string",
		src:  "simulation:\n  duration_s: 1\n  seed: '4.2'\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"3:9 simulation.seed"},
		msg:  file + `:3:9: error: simulation.seed must be an integer, got "4.2" (write seed: 42)`,
	}, {
		name: "seed too large",
		src:  "simulation:\n  duration_s: 1\n  seed: 18446744073709551616\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"3:9 simulation.seed"},
	}, {
		name: "quantum not positive",
		src:  "simulation:\n  duration_s: 1\n  seed: 1\n  time_quantum_us: -1\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"4:20 simulation.time_quantum_us"},
		msg:  file + ":4:20: error: simulation.time_quantum_us must be positive, got -1 (write time_quantum_us: 1000)",
	}, {
		name: "quantum a mapping",
		src:  "simulation:\n  duration_s: 1\n  seed: 1\n  time_quantum_us: {a: 1}\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"4:20 simulation.time_quantum_us"},
		msg:  file + ":4:20: error: simulation.time_quantum_us must be an integer, got a mapping (write time_quantum_us: 1000)",
	}, {
		name: "nodes not a list",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  a: {type: t}\n",
		want: []string{"3:3 nodes"},
		msg:  file + ":3:3: error: 'nodes' section must be a list, got a mapping (write each node as a list item: - id: sensor1)",
	}, {
		name: "no nodes",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes: []\n",
		want: []string{"2:8 nodes"},
		msg:  file + ":2:8: error: no nodes defined in scenario (add at least one node, e.g. - {id: sensor1, type: sensor, port: 5001})",
	}, {
		name: "node not a mapping",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - sensor1\n",
		want: []string{"3:5 nodes[0]"},
	}, {
		name: "node without id and type",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - port: 1\n",
		want: []string{"3:5 nodes[0].id", "3:5 nodes[0].type"},
		msg:  file + ":3:5: error: nodes[0]: missing required field 'id' (add id: <name>)",
	}, {
		name: "empty id",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: '', type: t, port: 1}\n",
		want: []string{"3:^'' nodes[0].id"},
	}, {
		name: "bad implementation",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, implementation: dokcer, port: 1}\n",
		want: []string{"3:^dokcer nodes[0].implementation"},
		msg:  file + ":3:38: error: nodes[0] (id=a): implementation must be 'python_model', 'docker', 'renode_inprocess' or 'process', got 'dokcer' (did you mean docker?)",
	}, {
		name: "missing port",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - id: a\n    type: t\n    implementation: python_model\n",
		want: []string{"3:5 nodes[0].port"},
		msg:  file + ":3:5: error: nodes[0] (id=a): missing required field 'port' for python_model (add port: <the TCP port the node listens on>, or config.command to have xedgesim start the node)",
	}, {
		name: "port out of range",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, port: 70000}\n",
		want: []string{"3:^70000 nodes[0].port"},
	}, {
		name: "port a quoted word",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, port: 'http'}\n",
		want: []string{"3:^'http' nodes[0].port"},
		msg:  file + `:3:28: error: nodes[0].port must be an integer, got "http" (write port: 5001)`,
	}, {
		name: "docker not a mapping",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, implementation: docker, port: 1, docker: img}\n",
		want: []string{"3:63 nodes[0].docker"},
	}, {
		name: "config not a mapping",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, port: 1, config: [1]}\n",
		want: []string{"3:^[1] nodes[0].config"},
	}, {
		name: "bad command",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, config: {command: [./a, {x: 1}]}}\n",
		want: []string{"3:5 nodes[0].port", "3:^{x nodes[0].config.command[1]"},
	}, {
		name: "process node with nothing to run",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, implementation: process}\n",
		want: []string{"3:5 nodes[0].config.command"},
	}, {
		name: "renode without platform and firmware",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, implementation: renode_inprocess, monitor_port: 0}\n",
		want: []string{"3:5 nodes[0].platform", "3:5 nodes[0].firmware", "3:^0} nodes[0].monitor_port"},
		msg:  file + ":3:5: error: nodes[0] (id=a): 'platform' required for renode_inprocess (add platform: platforms/nrf52840.repl)",
	}, {
		name: "duplicate node id",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, port: 1}\n  - {id: a, type: t, port: 2}\n",
		want: []string{"4:^a, nodes[1].id"},
		msg:  file + `:4:10: error: nodes[1]: duplicate node id "a" (first defined on line 3, nodes[0]) (give every node its own id)`,
	}, {
		name: "network not a mapping",
		src:  minimal + "network: latency\n",
		want: []string{"8:10 network"},
	}, {
		name: "bad model",
		src:  minimal + "network:\n  model: latncy\n",
		want: []string{"9:10 network.model"},
		msg:  file + ":9:10: error: network.model must be 'direct' or 'latency', got 'latncy' (did you mean latency?)",
	}, {
		name: "negative default latency",
		src:  minimal + "network:\n  default_latency_us: -1\n",
		want: []string{"9:23 network.default_latency_us"},
	}, {
		name: "default loss out of range",
		src:  minimal + "network:\n  default_loss_rate: 1.01\n",
		want: []string{"9:22 network.default_loss_rate"},
	}, {
		name: "default loss infinite",
		src:  minimal + "network:\n  default_loss_rate: -.inf\n",
		want: []string{"9:22 network.default_loss_rate"},
	}, {
		name: "links not a list",
		src:  minimal + "network:\n  links: {src: a, dst: a}\n",
		want: []string{"9:10 network.links"},
	}, {
		name: "link not a mapping",
		src:  minimal + "network:\n  links: [a]\n",
		want: []string{"9:11 network.links[0]"},
	}, {
		name: "link without src and dst",
		src:  minimal + "network:\n  links:\n    - latency_us: 5\n",
		want: []string{"10:7 network.links[0].src", "10:7 network.links[0].dst"},
		msg:  file + ":10:7: error: network.links[0]: missing required field 'src' (add src: <node id>)",
	}, {
		name: "latency required by the latency model",
		src:  minimal + "network:\n  model: latency\n  links:\n    - {src: a, dst: a}\n",
		want: []string{"11:7 network.links[0].latency_us"},
		msg:  file + ":11:7: error: network.links[0] (a->a): missing required field 'latency_us' for latency model (add latency_us: <microseconds>)",
	}, {
		name: "negative latency, loss above one",
		src:  minimal + "network:\n  model: latency\n  links:\n    - {src: a, dst: a, latency_us: -5, loss_rate: 2}\n",
		want: []string{"11:^-5 network.links[0].latency_us", "11:^2} network.links[0].loss_rate"},
		msg:  file + ":11:36: error: network.links[0] (a->a): latency_us must be non-negative, got -5 (write latency_us: 5000)",
	}, {
		name: "loss rate nan",
		src:  minimal + "network:\n  links:\n    - {src: a, dst: a, loss_rate: .NaN}\n",
		want: []string{"10:^.NaN network.links[0].loss_rate"},
	}, {
		name: "extensions out of range",
		src:  minimal + "network:\n  links:\n    - {src: a, dst: a, jitter_us: -1, bandwidth_bps: -2, bidirectional: 1}\n",
		want: []string{"10:^-1 network.links[0].jitter_us", "10:^-2 network.links[0].bandwidth_bps", "10:^1} network.links[0].bidirectional"},
	}, {
		name: "link to unknown node",
		src:  minimal + "  - {id: gateway, type: t, port: 2}\nnetwork:\n  links:\n    - {src: a, dst: gatway}\n",
		want: []string{"11:^gatway network.links[0].dst"},
		msg:  file + `:11:21: error: network.links[0].dst names unknown node "gatway" (did you mean gateway? known nodes: a, gateway)`,
	}, {
		name: "ml_inference without placement",
		src:  minimal + "ml_inference: {}\n",
		want: []string{"8:1 ml_inference.placement"},
		msg:  file + ":8:1: error: ml_inference section must specify 'placement' (add placement: edge or placement: cloud)",
	}, {
		name: "bad placement",
		src:  minimal + "ml_inference: {placement: fog}\n",
		want: []string{"8:27 ml_inference.placement"},
		msg:  file + ":8:27: error: ml_inference.placement must be 'edge' or 'cloud', got 'fog' (write placement: edge or placement: cloud)",
	}, {
		name: "placement without its config",
		src:  minimal + "ml_inference:\n  placement: edge\n  cloud_config: {model_path: x}\n",
		want: []string{"9:14 ml_inference.edge_config"},
		msg:  file + ":9:14: error: ml_inference.placement='edge' requires 'edge_config' section (add edge_config: with model_path: under ml_inference:)",
	}, {
		name: "config without model_path",
		src:  minimal + "ml_inference:\n  placement: cloud\n  cloud_config: {threshold: 0.5}\n",
		want: []string{"10:3 ml_inference.cloud_config.model_path"},
		msg:  file + ":10:3: error: ml_inference.cloud_config must specify 'model_path' (add model_path: models/anomaly_detector.onnx)",
	}, {
		name: "model file missing",
		src:  minimal + "ml_inference:\n  placement: edge\n  edge_config: {model_path: no/such/model.onnx}\n",
		want: []string{"10:29 ml_inference.edge_config.model_path"},
	}, {
		name: "report.csv not a boolean",
		src:  minimal + "report: {csv: 'yes'}\n",
		want: []string{"8:15 report.csv"},
	}, {
		name: "unknown tag",
		src:  minimal + "description: !secret x\n",
		want: []string{"8:14 "},
		msg:  file + ":8:14: error: unknown tag !secret; upstream's YAML loader (safe_load) refuses it (remove the tag)",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diags := errorsOf(t, tc.src)
			if diff := cmp.Diff(expand(t, tc.src, tc.want), where(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall: %v", diff, diags)
			}
			if tc.msg != "" && diags[0].String() != tc.msg {
				t.Errorf("first error:\n got %s\nwant %s", diags[0].String(), tc.msg)
			}
			for _, d := range diags {
				if d.Severity != SeverityError || d.Message == "" {
					t.Errorf("bad diagnostic %#v", d)
				}
			}
		})
	}
}

// A file with three mistakes gets three messages, each with its position
// and key, and Error() lists them one per line.
func TestEveryMistakeIsReported(t *testing.T) {
	t.Parallel()
	src := `simulation:
  duration_s: -1
  seed: 42
nodes:
  - id: sensor1
    type: sensor
    port: "5001x"
network:
  model: latency
  links:
    - src: sensor1
      dst: gateway
      latency_us: 5000
`
	_, _, err := Parse([]byte(src), file)
	var serr *Error
	if !errors.As(err, &serr) {
		t.Fatalf("Parse error = %v, want *Error", err)
	}
	want := []string{
		file + ":2:15: error: simulation.duration_s must be positive, got -1 (write duration_s: 10)",
		file + `:7:11: error: nodes[0].port must be an integer, got "5001x" (write port: 5001)`,
		file + `:12:12: error: network.links[0].dst names unknown node "gateway" (known nodes: sensor1)`,
	}
	if diff := cmp.Diff(strings.Join(want, "\n"), err.Error()); diff != "" {
		t.Errorf("Error() (-want +got):\n%s", diff)
	}
	if got := where(serr.Diagnostics); !cmp.Equal(got, []string{"2:15 simulation.duration_s", "7:11 nodes[0].port", "12:12 network.links[0].dst"}) {
		t.Errorf("keys = %v", got)
	}
	if serr.ExitCode() != 3 {
		t.Errorf("ExitCode() = %d, want 3", serr.ExitCode())
	}
}

func TestWarnings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{{
		name: "quoted numbers are read as upstream's int() and float() do",
		src:  "simulation: {duration_s: '2.5', seed: \"42\", time_quantum_us: ' 1_000 '}\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"1:26 simulation.duration_s", "1:39 simulation.seed", "1:62 simulation.time_quantum_us"},
	}, {
		name: "a float where an integer belongs is truncated",
		src:  "simulation: {duration_s: 1, seed: 4.9}\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"1:35 simulation.seed"},
	}, {
		name: "numeric id",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: 1, type: t, port: 1}\n",
		want: []string{"3:^1, nodes[0].id"},
	}, {
		name: "docker section on a python node",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, port: 1, docker: {image: x}}\n",
		want: []string{"3:^docker nodes[0].docker"},
	}, {
		name: "renode keys on a python node",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, port: 1, firmware: f.elf, seed: 3}\n",
		want: []string{"3:^firmware nodes[0].firmware", "3:^seed nodes[0].seed"},
	}, {
		name: "shared port",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, port: 1}\n  - {id: b, type: t, port: 1}\n",
		want: []string{"4:^1} nodes[1].port"},
	}, {
		name: "duplicate link, also through bidirectional",
		src: minimal + "  - {id: b, type: t, port: 2}\nnetwork:\n  model: latency\n  links:\n" +
			"    - {src: a, dst: b, latency_us: 1, bidirectional: true}\n    - {src: b, dst: a, latency_us: 2}\n",
		want: []string{"13:^b, network.links[1]"},
	}, {
		// A container publishes what docker.ports and socket_port say.
		name: "a docker node needs no port",
		src:  "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - {id: a, type: t, implementation: docker, docker: {image: x}}\n",
		want: []string{},
	}, {
		name: "a bidirectional self-link is not its own duplicate",
		src:  minimal + "network:\n  model: latency\n  links: [{src: a, dst: a, latency_us: 1, bidirectional: true}]\n",
		want: []string{},
	}, {
		name: "YAML 1.1 booleans",
		src:  minimal + "report: {csv: yes}\n",
		want: []string{"8:15 report.csv"},
	}, {
		name: "duplicate key: the last one wins",
		src:  "simulation: {duration_s: 1, seed: 1, seed: 2}\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"1:38 simulation.seed"},
	}, {
		name: "unknown keys, with suggestions",
		src:  "simulaton: {}\nsimulation: {duration_s: 1, seed: 1, quantum: 5}\nnodes:\n  - {id: a, type: t, port: 1, iplementation: docker}\n",
		want: []string{"1:1 simulaton", "2:^quantum simulation.quantum", "4:^iplementation nodes[0].iplementation"},
	}, {
		name: "a run shorter than a microsecond",
		src:  "simulation: {duration_s: 1e-7, seed: 1}\nnodes:\n  - {id: a, type: t, port: 1}\n",
		want: []string{"1:26 simulation.duration_s"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, warnings := parse(t, tc.src)
			if diff := cmp.Diff(expand(t, tc.src, tc.want), where(warnings)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s\nall: %v", diff, warnings)
			}
			for _, w := range warnings {
				if w.Severity != SeverityWarning || w.Hint == "" {
					t.Errorf("warning without severity or hint: %#v", w)
				}
			}
		})
	}
}

func TestWarningValues(t *testing.T) {
	t.Parallel()
	s, warnings := parse(t, "simulation: {duration_s: '2.5', seed: 4.9, time_quantum_us: ' 1_000 '}\nnodes:\n  - {id: 7, type: t, port: 1}\n")
	got := []any{s.Simulation.DurationS, s.Simulation.Seed, s.Simulation.TimeQuantumUS, s.Nodes[0].ID}
	if diff := cmp.Diff([]any{2.5, int64(4), int64(1000), "7"}, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	want := file + ":1:39: warning: simulation.seed is not a whole number; read as 4, as upstream's int() truncates it (write seed: 4)"
	if warnings[1].String() != want {
		t.Errorf("warning:\n got %s\nwant %s", warnings[1], want)
	}

	// The last duplicate wins, as in PyYAML.
	s, _ = parse(t, "simulation: {duration_s: 1, seed: 1, seed: 2}\nnodes:\n  - {id: a, type: t, port: 1}\n")
	if s.Simulation.Seed != 2 {
		t.Errorf("Seed = %d, want the last one, 2", s.Simulation.Seed)
	}
}

func TestStrict(t *testing.T) {
	t.Parallel()
	src := minimal + "  - {id: b, type: t, port: 2, prot: 3}\nscenario_name: x\ndescription: y\nvalidation: {assertions: []}\nfaults: []\nx-anchors: {a: 1}\nreport: {csv: true}\nextra: 1\n"
	s, warnings := parse(t, src)
	if got, want := where(warnings), []string{"8:31 nodes[1].prot", "15:1 extra"}; !cmp.Equal(got, want) {
		t.Errorf("warnings = %v, want %v", got, want)
	}
	if warnings[0].Hint != "did you mean port?" {
		t.Errorf("hint = %q", warnings[0].Hint)
	}
	if !s.Report.CSV {
		t.Error("Report.CSV = false")
	}

	diags := errorsOf(t, src, WithStrict(true))
	if got, want := where(diags), []string{"8:31 nodes[1].prot", "15:1 extra"}; !cmp.Equal(got, want) {
		t.Errorf("strict errors = %v, want %v", got, want)
	}
	if _, _, err := Parse([]byte(src), file, WithStrict(true), WithStrict(false)); err != nil {
		t.Errorf("the last option wins: %v", err)
	}
	// Keys inside docker, config and the ML configs are free-form.
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "m.pt"), "")
	mustWrite(t, filepath.Join(dir, "s.yaml"), `simulation: {duration_s: 1, seed: 1}
nodes:
  - {id: a, type: t, implementation: docker, port: 1, docker: {anything: 1, goes: {here: 2}}, config: {k: v}}
ml_inference: {placement: cloud, cloud_config: {model_path: m.pt, whatever: 1}}
`)
	if _, warnings, err := Load(filepath.Join(dir, "s.yaml"), WithStrict(true)); err != nil || len(warnings) > 0 {
		t.Errorf("free-form keys: %v %v", warnings, err)
	}
}

func TestNodes(t *testing.T) {
	t.Parallel()
	s, warnings := parse(t, `simulation: {duration_s: 1, seed: 1}
nodes:
  - id: started
    type: sensor
    config:
      command: [./sensor, --rate, 10]
      rate: 1.5
  - id: shell
    type: gateway
    implementation: process
    config: {command: "./gw --flag"}
  - id: remote
    type: t
    config: {address: "10.0.0.2:5001"}
  - id: dialled
    type: t
    implementation: process
    port: 6000
  - id: dev
    type: renode
    implementation: renode_inprocess
    platform: p.repl
    firmware: f.elf
`)
	if len(warnings) > 0 {
		t.Errorf("warnings: %v", warnings)
	}
	want := []Node{
		{ID: "started", Type: "sensor", Implementation: ImplPythonModel,
			Config: map[string]any{"command": []any{"./sensor", "--rate", 10}, "rate": 1.5}},
		{ID: "shell", Type: "gateway", Implementation: ImplProcess, Config: map[string]any{"command": "./gw --flag"}},
		{ID: "remote", Type: "t", Implementation: ImplPythonModel, Config: map[string]any{"address": "10.0.0.2:5001"}},
		{ID: "dialled", Type: "t", Implementation: ImplProcess, Port: 6000, HasPort: true},
		{ID: "dev", Type: "renode", Implementation: ImplRenode, Platform: "p.repl", Firmware: "f.elf"},
	}
	if diff := cmp.Diff(want, s.Nodes, ignorePos); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	wantPos := map[string]Pos{"command": {File: file, Line: 6, Col: 7}, "rate": {File: file, Line: 7, Col: 7}}
	if diff := cmp.Diff(wantPos, s.Nodes[0].ConfigPos); diff != "" {
		t.Errorf("ConfigPos (-want +got):\n%s", diff)
	}
	if got := s.Nodes[3].Pos; got != (Pos{File: file, Line: 15, Col: 5}) {
		t.Errorf("Pos = %v", got)
	}
}

// Reordering keys changes nothing but positions.
func TestKeyOrder(t *testing.T) {
	t.Parallel()
	a := `simulation:
  duration_s: 10
  seed: 42
  time_quantum_us: 1000
nodes:
  - {id: s1, type: sensor, port: 5001, config: {x: 1, y: [1, 2]}}
  - {id: gw, type: gateway, implementation: docker, port: 5002, docker: {image: i, ports: {5000: 5000}}}
network:
  model: latency
  default_latency_us: 5
  default_loss_rate: 0.5
  links:
    - {src: s1, dst: gw, latency_us: 7, loss_rate: 0.1, jitter_us: 2, bandwidth_bps: 9, bidirectional: true}
report: {csv: true}
`
	b := `report: {csv: true}
network:
  links:
    - {bidirectional: true, bandwidth_bps: 9, jitter_us: 2, loss_rate: 0.1, latency_us: 7, dst: gw, src: s1}
  default_loss_rate: 0.5
  default_latency_us: 5
  model: latency
nodes:
  - {config: {y: [1, 2], x: 1}, port: 5001, type: sensor, id: s1}
  - {docker: {ports: {5000: 5000}, image: i}, port: 5002, implementation: docker, type: gateway, id: gw}
simulation:
  time_quantum_us: 1000
  seed: 42
  duration_s: 10
`
	sa, _ := parse(t, a)
	sb, _ := parse(t, b)
	if diff := cmp.Diff(sa, sb, ignorePos); diff != "" {
		t.Errorf("reordered keys (-a +b):\n%s", diff)
	}
	if sa.Nodes[0].ID != "s1" || sa.Nodes[1].ID != "gw" {
		t.Errorf("node order is not file order: %v", sa.Nodes)
	}
}

func TestAnchorsAndMerges(t *testing.T) {
	t.Parallel()
	s, warnings := parse(t, `x-node: &node
  type: sensor
  implementation: python_model
x-sim: &sim {duration_s: 2, seed: 7}
simulation:
  <<: *sim
  seed: 9
nodes:
  - <<: *node
    id: a
    port: 5001
  - {<<: *node, id: b, port: 5002, config: &cfg {k: [1, {z: *node}]}}
  - {<<: [*node, {type: ignored, port: 1}], id: c, port: 5003, config: *cfg}
`)
	if len(warnings) > 0 {
		t.Errorf("warnings: %v", warnings)
	}
	cfg := map[string]any{"k": []any{1, map[string]any{"z": map[string]any{"type": "sensor", "implementation": "python_model"}}}}
	want := []Node{
		{ID: "a", Type: "sensor", Implementation: ImplPythonModel, Port: 5001, HasPort: true},
		{ID: "b", Type: "sensor", Implementation: ImplPythonModel, Port: 5002, HasPort: true, Config: cfg},
		{ID: "c", Type: "sensor", Implementation: ImplPythonModel, Port: 5003, HasPort: true, Config: cfg},
	}
	if diff := cmp.Diff(want, s.Nodes, ignorePos); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	if s.Simulation.Seed != 9 || s.Simulation.DurationS != 2 {
		t.Errorf("simulation = %+v, want the merged duration and the explicit seed", s.Simulation)
	}
}

// Odd inputs get diagnostics, never panics.
func TestOddInputs(t *testing.T) {
	t.Parallel()
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for _, c := range "bcdefgh" {
		prev := string(c - 1)
		bomb += "x-" + string(c) + ": &" + string(c) + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
	}
	bomb = strings.Replace(bomb, "a: &a", "x-a: &a", 1)
	bomb += minimal + "    config: {boom: *h}\n"
	for _, tc := range []struct {
		name, src string
		want      string // String() of the first error
	}{
		{"empty", "", file + ":1:1: error: the scenario file is empty (an xEdgeSim scenario has simulation: {duration_s, seed} and nodes: [{id, type, port}])"},
		{"comments only", "# nothing\n", file + ":1:1: error: the scenario file is empty (an xEdgeSim scenario has simulation: {duration_s, seed} and nodes: [{id, type, port}])"},
		{"null document", "---\n~\n", file + ":1:1: error: the scenario file is empty (an xEdgeSim scenario has simulation: {duration_s, seed} and nodes: [{id, type, port}])"},
		{"a list", "- simulation: {}\n", file + ":1:1: error: a scenario must be a YAML mapping of sections, got a list (start the file with the simulation: and nodes: sections)"},
		{"a scalar", "hello\n", file + `:1:1: error: a scenario must be a YAML mapping of sections, got "hello" (start the file with the simulation: and nodes: sections)`},
		{"tabs", "simulation:\n\tduration_s: 1\n", file + ":2:1: error: invalid YAML: found character that cannot start any token (indent with spaces; YAML does not allow tabs)"},
		{"not UTF-8", "simulation:\n  seed: \xff\n", file + ":2:9: error: the file is not valid UTF-8 (save it as UTF-8)"},
		{"syntax", "simulation: {duration_s: 1\n", file + ":1: error: invalid YAML: did not find expected ',' or '}' (fix the YAML syntax)"},
		{"two documents", minimal + "---\nfoo: 1\n", file + ":8:1: error: the file holds more than one YAML document; a scenario is exactly one (remove the second document, after ---, or move it to its own file)"},
		{"unknown anchor", "simulation: *nope\n", file + ":1:13: error: invalid YAML: unknown anchor 'nope' referenced (define it first with &nope)"},
		{"alias cycle", "simulation: {duration_s: 1, seed: 1}\nnodes:\n  - &n {id: a, type: t, port: 1, config: {self: *n}}\n", ""},
		{"merge cycle", "simulation: &s {duration_s: 1, seed: 1, <<: *s}\nnodes:\n  - {id: a, type: t, port: 1}\n", ""},
		{"alias bomb", bomb, ""},
		{"huge number", "simulation: {duration_s: 1e999999, seed: 1}\nnodes: [{id: a, type: t, port: 1}]\n", ""},
		{"deep nesting", strings.Repeat("[", 20000), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diags := errorsOf(t, tc.src)
			if tc.want != "" && diags[0].String() != tc.want {
				t.Errorf("got  %s\nwant %s", diags[0], tc.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nope.yaml")
	s, _, err := Load(path)
	if s != nil || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load = %v, %v; want fs.ErrNotExist", s, err)
	}
	var serr *Error
	if !errors.As(err, &serr) || serr.ExitCode() != 3 {
		t.Fatalf("error %T, want *Error with exit code 3", err)
	}
	want := path + ": error: scenario file not found (check the path; it is relative to the working directory)"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

// Relative paths resolve against the scenario file's directory, not the
// working directory (where upstream resolves them).
func TestRelativePaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "sub", "models", "m.onnx"), "")
	path := filepath.Join(dir, "sub", "s.yaml")
	mustWrite(t, path, minimal+"ml_inference: {placement: edge, edge_config: {model_path: models/m.onnx}}\n")
	s, _, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.Dir != filepath.Join(dir, "sub") {
		t.Errorf("Dir = %q", s.Dir)
	}
	for in, want := range map[string]string{
		"models/m.onnx": filepath.Join(dir, "sub", "models", "m.onnx"),
		"../x":          filepath.Join(dir, "x"),
		"/abs/p":        "/abs/p",
		"":              "",
	} {
		if got := s.Resolve(in); got != want {
			t.Errorf("Resolve(%q) = %q, want %q", in, got, want)
		}
	}

	// A path that only exists relative to the working directory (the
	// package directory under go test) resolves there, as upstream finds
	// it, with a note saying so and how to write it from the scenario.
	model := "testdata/corpus/scenarios/m3c/models/anomaly_detector.pt"
	other := filepath.Join(dir, "other.yaml")
	mustWrite(t, other, minimal+"ml_inference: {placement: cloud, cloud_config: {model_path: "+model+"}}\n")
	o, warns, err := Load(other)
	if err != nil || len(warns) != 1 {
		t.Fatalf("Load = %v, warnings %v; want one warning", err, warns)
	}
	d := warns[0]
	rel, _ := filepath.Rel(dir, abs(t, model))
	if d.Message != WorkDirNote("ml_inference.cloud_config.model_path", model, abs(t, model)) || !strings.HasSuffix(d.Hint, "write model_path: "+filepath.ToSlash(rel)) {
		t.Errorf("got %s", d)
	}
	if d.Pos != (Pos{File: other, Line: 8, Col: 61}) || d.Key != "ml_inference.cloud_config.model_path" {
		t.Errorf("pos %v key %s", d.Pos, d.Key)
	}
	if got := o.Resolve(model); got != abs(t, model) {
		t.Errorf("Resolve(%q) = %q, want the working directory's %q", model, got, abs(t, model))
	}

	// Nowhere: an error naming the scenario's place.
	mustWrite(t, other, minimal+"ml_inference: {placement: cloud, cloud_config: {model_path: models/none.pt}}\n")
	_, _, err = Load(other)
	var serr *Error
	if !errors.As(err, &serr) || len(serr.Diagnostics) != 1 || serr.Diagnostics[0].Message != "cloud ML model not found: models/none.pt" {
		t.Errorf("Load = %v, want one error: model not found", err)
	}
}

// The same input gives the same output, warnings in file order.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	src := "simulation: {duration_s: 1, seed: '1', zz: 1, aa: 2, mm: 3}\nnodes:\n  - {id: a, type: t, port: 1, q: 1, b: 2}\n"
	_, first := parse(t, src)
	for range 20 {
		_, again := parse(t, src)
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("diagnostics differ between runs:\n%s", diff)
		}
	}
	for i := 1; i < len(first); i++ {
		a, b := first[i-1].Pos, first[i].Pos
		if a.Line > b.Line || a.Line == b.Line && a.Col > b.Col {
			t.Errorf("diagnostics out of order: %v then %v", a, b)
		}
	}
}

func TestDiagnosticFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Pos: Pos{File: "f.yaml", Line: 3, Col: 7}, Message: "m", Hint: "h"}, "f.yaml:3:7: error: m (h)"},
		{Diagnostic{Pos: Pos{File: "f.yaml", Line: 3, Col: 0}, Severity: SeverityWarning, Message: "m"}, "f.yaml:3: warning: m"},
		{Diagnostic{Pos: Pos{File: "f.yaml", Line: 0, Col: 0}, Message: "m"}, "f.yaml: error: m"},
		{Diagnostic{Pos: Pos{File: "", Line: 2, Col: 1}, Message: "m"}, "2:1: error: m"},
		{Diagnostic{Message: "m"}, "error: m"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	b, err := json.Marshal(Diagnostic{Pos: Pos{File: "f", Line: 1, Col: 2}, Severity: SeverityWarning, Key: "k", Message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"pos":{"file":"f","line":1,"col":2},"severity":"warning","key":"k","message":"m"}`; string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
	var back Diagnostic
	if err := json.Unmarshal(b, &back); err != nil || back.Severity != SeverityWarning {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
