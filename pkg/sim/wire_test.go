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

// recorder is a protocol node that writes every line it receives to the
// file named by its second argument and answers READY and DONE [].
const recorder = `import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("localhost", int(sys.argv[1])))
srv.listen(1)
conn, _ = srv.accept()
f = conn.makefile("rw", newline="\n")
log = open(sys.argv[2], "w")
while True:
    line = f.readline()
    if not line:
        break
    log.write(line)
    cmd = line.split(" ", 1)[0].strip()
    if cmd == "INIT":
        f.write("READY\n")
    elif cmd == "ADVANCE":
        log.write(f.readline())
        f.write("DONE\n[]\n")
    elif cmd == "SHUTDOWN":
        break
    f.flush()
log.close()
`

// TestWireMatchesUpstreamCoordinator records what the coordinator writes
// to a protocol node and compares it with upstream's messages
// (REFERENCE.md 2.4-2.6): json.dumps spacing, the Event dataclass's keys
// in order, and network_metadata as upstream's models fill it.
func TestWireMatchesUpstreamCoordinator(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	script := filepath.Join(t.TempDir(), "recorder.py")
	if err := os.WriteFile(script, []byte(recorder), 0o644); err != nil {
		t.Fatal(err)
	}
	latency := scenario.Network{Model: scenario.ModelLatency, DefaultLatencyUS: 10000,
		Links: []scenario.Link{{Src: "sensor1", Dst: "gateway", LatencyUS: 5000}}}
	direct := scenario.Network{Model: scenario.ModelDirect, DefaultLatencyUS: 10000}
	cases := []struct {
		name    string
		network scenario.Network
		meta    bool
		// The ADVANCE that delivers sensor1's first reading (sent at 1 s:
		// the next quantum's on the direct model, after the latency on
		// the latency model), and the event as upstream writes it; TEMP
		// is the reading.
		advance, event string
	}{
		{"direct without metadata", direct, false, "ADVANCE 1002000",
			`{"time_us": 1000000, "type": "TRANSMIT", "src": "sensor1", "dst": "gateway", "payload": {"temperature": TEMP, "unit": "C", "sample_id": 1}, "size_bytes": 64}`},
		{"direct", direct, true, "ADVANCE 1002000",
			`{"time_us": 1000000, "type": "TRANSMIT", "src": "sensor1", "dst": "gateway", "payload": {"temperature": TEMP, "unit": "C", "sample_id": 1}, "size_bytes": 64, "network_metadata": {}}`},
		{"latency", latency, true, "ADVANCE 1006000",
			`{"time_us": 1005000, "type": "TRANSMIT", "src": "sensor1", "dst": "gateway", "payload": {"temperature": TEMP, "unit": "C", "sample_id": 1}, "size_bytes": 64, "network_metadata": {"latency_us": 5000, "sent_time_us": 1000000, "delivery_time_us": 1005000, "loss_rate": 0.0}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			log := filepath.Join(dir, "wire.log")
			sc := &scenario.Scenario{Name: "wire", Dir: dir,
				Simulation: scenario.Simulation{DurationS: 2, DurationUS: 2_000_000, Seed: 42, TimeQuantumUS: 1000},
				Network:    tc.network,
				Nodes: []scenario.Node{
					{ID: "sensor1", Type: "sensor_model", Implementation: scenario.ImplPythonModel, Port: 5001, HasPort: true},
					{ID: "gateway", Type: "gateway_model", Implementation: scenario.ImplProcess,
						Config: map[string]any{"command": []any{py, script, "{port}", log}, "network_metadata": tc.meta}},
				}}
			if _, err := Run(context.Background(), sc, WithCSVDir(dir)); err != nil {
				t.Fatal(err)
			}
			csv, err := os.ReadFile(filepath.Join(dir, "sensor1_metrics.csv"))
			if err != nil {
				t.Fatal(err)
			}
			// The first row: 1000000,sample,<repr of the reading>.
			temp := strings.Split(strings.Split(string(csv), "\r\n")[1], ",")[2]
			data, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if d := cmp.Diff([]string{`INIT gateway {"seed": 42}`, "ADVANCE 1000", "[]"}, lines[:3]); d != "" {
				t.Errorf("first lines (-upstream +ours):\n%s", d)
			}
			if got := lines[len(lines)-1]; got != "SHUTDOWN" {
				t.Errorf("last line %q, want SHUTDOWN", got)
			}
			var delivered string
			for i, l := range lines {
				if l == tc.advance {
					delivered = lines[i+1]
				}
			}
			want := "[" + strings.Replace(tc.event, "TEMP", temp, 1) + "]"
			if delivered != want {
				t.Errorf("events line after %s:\n got %s\nwant %s", tc.advance, delivered, want)
			}
		})
	}
}
