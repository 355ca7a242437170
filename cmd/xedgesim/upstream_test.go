package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// m0Hash is upstream's published determinism figure for m0_baseline, seed
// 42 (REFERENCE.md Appendix C).
const m0Hash = "d376231ff78a8789b1b886b0476be4a2bcc626677cdbcac7b46579c4cf8fd589"

// needPython returns python3 or ends the test: under the test bed a
// missing python3 is a failure, elsewhere a skip.
func needPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("XEDGESIM_TESTBED") == "1" {
			t.Fatal("python3 is missing (scripts/testbed up installs it)")
		}
		t.Skip("python3 not found; it runs the reference protocol nodes")
	}
	return py
}

// refNode is the repository's Python node, written the way upstream's
// reference nodes are.
func refNode(t *testing.T) string {
	t.Helper()
	ref, err := filepath.Abs("../../nodes/python/refnode.py")
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// writeScenario writes a scenario file into a new directory and returns
// its path.
func writeScenario(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// m0Process is m0_baseline with every node a process running the
// reference node with arg ("{port}" or "--stdio"); extra goes into each
// node's config.
func m0Process(py, ref, arg, extra string) string {
	var b strings.Builder
	b.WriteString("simulation: {duration_s: 10, seed: 42, time_quantum_us: 1000}\nnodes:\n")
	for _, n := range []struct{ id, kind string }{{"sensor1", "sensor"}, {"sensor2", "sensor"}, {"sensor3", "sensor"}, {"gateway", "gateway"}} {
		fmt.Fprintf(&b, "  - id: %s\n    type: %s_model\n    implementation: process\n    config:\n      command: [%q, %q, %s, %q]\n%s",
			n.id, n.kind, py, ref, n.kind, arg, extra)
	}
	return b.String()
}

// pythonSumFlag is the --python the built-in gateway needs to match
// python3's sum().
func pythonSumFlag(t *testing.T, py string) string {
	t.Helper()
	out, err := exec.Command(py, "-c", "import sys; print(sys.version_info >= (3, 12))").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(out)) == "True" {
		return "3.12"
	}
	return "3.11"
}

func hashCSVs(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	for _, id := range []string{"gateway", "sensor1", "sensor2", "sensor3"} {
		b, err := os.ReadFile(filepath.Join(dir, id+"_metrics.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 {
			t.Errorf("%s/%s_metrics.csv is empty", dir, id)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// wantM0Hash is the published hash, or with a CPython whose sum() changed
// (3.12) the built-in models' hash under --python 3.12.
func wantM0Hash(t *testing.T, py string) string {
	t.Helper()
	if pythonSumFlag(t, py) == "3.11" {
		return m0Hash
	}
	dir := t.TempDir()
	if r := cli(t, "simulate", "--python", "3.12", "--csv", "--out", dir, m0); r.code != 0 {
		t.Fatalf("built-in m0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return hashCSVs(t, dir)
}

// TestProcessNodesCSVsLandInOut is issue #19's first case: upstream's
// nodes write <id>_metrics.csv into their working directory, so they must
// run in the run's directory, one per seed, and nothing else may leave an
// empty file of that name.
func TestProcessNodesCSVsLandInOut(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	sc := writeScenario(t, "m0_process.yaml", m0Process(py, refNode(t), "{port}", ""))
	out := t.TempDir()
	r := cli(t, "simulate", "--seeds", "41-43", "--csv", "--out", out, sc)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	hashes := map[string]bool{}
	for _, seed := range []string{"41", "42", "43"} {
		dir := filepath.Join(out, "m0_process", "seed-"+seed)
		h := hashCSVs(t, dir)
		hashes[h] = true
		if seed == "42" {
			if want := wantM0Hash(t, py); h != want {
				t.Errorf("seed 42's CSVs hash to %s, want %s", h, want)
			}
		}
	}
	if len(hashes) != 3 {
		t.Errorf("three seeds gave %d different CSV sets, want 3 (a run overwrote another's files?)", len(hashes))
	}
	entries, _ := os.ReadDir(filepath.Dir(sc))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".csv") {
			t.Errorf("%s landed in the scenario's directory", e.Name())
		}
	}
}

// TestProcessNodeOutPlaceholder checks {out} in a command is the run's
// directory, and that without --csv nothing leaves empty CSV files.
func TestProcessNodeOutPlaceholder(t *testing.T) {
	t.Parallel()
	sc := writeScenario(t, "out.yaml", `simulation: {duration_s: 1, seed: 1}
nodes:
  - id: sink
    type: sink_model
    implementation: process
    config: {command: "echo here > {out}/marker; exit 3"}
`)
	out := t.TempDir()
	r := cli(t, "simulate", "--csv", "--out", out, sc)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (the node exits at once)\n%s%s", r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(filepath.Join(out, "marker")); err != nil || string(b) != "here\n" {
		t.Errorf("{out}/marker = %q, %v; want the run's directory", b, err)
	}
	if _, err := os.Stat(filepath.Join(out, "sink_metrics.csv")); err == nil {
		t.Error("an empty sink_metrics.csv look-alike was written")
	}
}

// freePorts returns n ports nothing listens on now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// TestHandStartedNodeIsNotSilentlyIgnored is issue #19's second case: a
// researcher starts upstream's nodes by hand, and a built-in model would
// run in their place without a word.
func TestHandStartedNodeIsNotSilentlyIgnored(t *testing.T) {
	t.Parallel()
	// Not m0's 5001, which parallel tests run built-in models on: a
	// listener there would put this warning into their reports.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	sc := writeScenario(t, "hand.yaml", fmt.Sprintf(`simulation: {duration_s: 2, seed: 42}
nodes:
  - id: sensor1
    type: sensor_model
    port: %d
  - id: gateway
    type: gateway_model
    port: %d
`, port, freePorts(t, 1)[0]))
	for _, args := range [][]string{{"simulate", "--out", t.TempDir(), sc}, {"simulate", "--dry-run", sc}} {
		r := cli(t, args...)
		all := r.stdout + r.stderr
		if r.code != 0 {
			t.Errorf("%v: exit %d\n%s", args, r.code, all)
		}
		for _, want := range []string{`node "sensor1"`, fmt.Sprintf("port %d", port), "implementation: process", "--connect", "hand.yaml:3:5"} {
			if !strings.Contains(all, want) {
				t.Errorf("%v: output does not contain %q:\n%s", args[:2], want, all)
			}
		}
		if strings.Contains(all, `node "gateway" runs the built-in`) {
			t.Errorf("warned about the gateway, whose port is free:\n%s", all)
		}
	}
}

// TestConnectDrivesHandStartedNodes runs m0 upstream's way: four reference
// nodes started by hand, and --connect drives them on their ports.
func TestConnectDrivesHandStartedNodes(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	ref := refNode(t)
	ports := freePorts(t, 4)
	nodeDir := t.TempDir()
	var exited []chan error
	var b strings.Builder
	b.WriteString("simulation: {duration_s: 10, seed: 42, time_quantum_us: 1000}\nnodes:\n")
	for i, n := range []struct{ id, kind string }{{"sensor1", "sensor"}, {"sensor2", "sensor"}, {"sensor3", "sensor"}, {"gateway", "gateway"}} {
		fmt.Fprintf(&b, "  - {id: %s, type: %s_model, port: %d}\n", n.id, n.kind, ports[i])
		cmd := exec.Command(py, ref, n.kind, fmt.Sprint(ports[i]))
		cmd.Dir = nodeDir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		exited = append(exited, done)
		t.Cleanup(func() { cmd.Process.Kill() })
	}
	sc := writeScenario(t, "m0_hand.yaml", b.String())
	out := t.TempDir()
	r := cli(t, "simulate", "--connect", "--out", out, sc)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stderr, "already listens") {
		t.Errorf("--connect still warns about the nodes it connects to:\n%s", r.stderr)
	}
	// The nodes close their files after SHUTDOWN, on their own time.
	for _, done := range exited {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("a hand-started node failed: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a hand-started node did not exit after SHUTDOWN")
		}
	}
	if got, want := hashCSVs(t, nodeDir), wantM0Hash(t, py); got != want {
		t.Errorf("hand-started nodes' CSVs hash to %s, want %s", got, want)
	}
}

// TestDryRunRefusesWhatTheRunRefuses is issue #19's third case: a dry run
// makes every check the run makes before starting anything, with the same
// exit code.
func TestDryRunRefusesWhatTheRunRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       []string
	}{
		{"missing firmware", `simulation: {duration_s: 1, seed: 1}
nodes:
  - id: dev
    type: renode
    implementation: renode_inprocess
    platform: board.repl
    firmware: build/zephyr.elf
`, []string{"fw.yaml:7:15:", `node "dev": firmware: firmware not found`, "zephyr.elf"}},
		{"command not on PATH", `simulation: {duration_s: 1, seed: 1}
nodes:
  - id: n1
    type: sensor
    config: {command: [no-such-program-xedgesim, "{port}"]}
`, []string{"fw.yaml:5:14:", `node "n1": config.command: program "no-such-program-xedgesim" not found`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sc := writeScenario(t, "fw.yaml", tc.body)
			// The platform exists; only the firmware is missing.
			os.WriteFile(filepath.Join(filepath.Dir(sc), "board.repl"), nil, 0o644)
			for _, args := range [][]string{{"simulate", "--dry-run", sc}, {"simulate", "--out", t.TempDir(), sc}} {
				r := cli(t, args...)
				all := r.stdout + r.stderr
				if r.code != 3 {
					t.Errorf("%v: exit %d, want 3\n%s", args[:2], r.code, all)
				}
				for _, w := range tc.want {
					if !strings.Contains(all, w) {
						t.Errorf("%v: output does not contain %q:\n%s", args[:2], w, all)
					}
				}
			}
		})
	}
}

// TestStdioProcessNodesRunM0 is issue #19's fourth case: a process node
// with protocol: stdio speaks upstream's stdin/stdout dialect over its own
// streams, and m0 gives the same CSVs as over TCP.
func TestStdioProcessNodesRunM0(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	sc := writeScenario(t, "m0_stdio.yaml", m0Process(py, refNode(t), "--stdio", "      protocol: stdio\n"))
	out := t.TempDir()
	r := cli(t, "simulate", "--out", out, sc)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := hashCSVs(t, out), wantM0Hash(t, py); got != want {
		t.Errorf("stdio nodes' CSVs hash to %s, want %s", got, want)
	}
	if !strings.Contains(r.stdout, "27 delivered") {
		t.Errorf("want 27 messages delivered:\n%s", r.stdout)
	}
}

// TestSchemaDescribesProcessKeys: an editor shows what each process-node
// key of config does.
func TestSchemaDescribesProcessKeys(t *testing.T) {
	t.Parallel()
	r := cli(t, "schema")
	var s struct {
		Defs struct {
			Node struct {
				Properties struct {
					Config struct {
						Properties map[string]struct {
							Description string `json:"description"`
						} `json:"properties"`
					} `json:"config"`
				} `json:"properties"`
			} `json:"node"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("schema: exit %d: %v", r.code, err)
	}
	props := s.Defs.Node.Properties.Config.Properties
	for _, k := range []string{"command", "address", "protocol", "network_metadata", "timeout_s", "connect_timeout_s", "env"} {
		if props[k].Description == "" {
			t.Errorf("config.%s has no description in the schema", k)
		}
	}
	if !strings.Contains(props["command"].Description, "{out}") {
		t.Errorf("config.command's description does not mention {out}: %q", props["command"].Description)
	}
}
