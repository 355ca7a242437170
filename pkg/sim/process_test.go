package sim

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/pkg/sim/node"
)

// needPython returns a python3 or ends the test: under the test bed a
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

// TestPythonProtocolNodesMatchBuiltInModels runs m0 with every node as a
// Python process speaking upstream's TCP protocol, written the way
// upstream's reference nodes are, and checks their CSV files are the
// built-in models' byte for byte: the coordinator drives external nodes
// with exactly upstream's lockstep.
func TestPythonProtocolNodesMatchBuiltInModels(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	ref, err := filepath.Abs("../../nodes/python/refnode.py")
	if err != nil {
		t.Fatal(err)
	}
	ver, err := exec.Command(py, "-c", "import sys; print(sys.version_info >= (3, 12))").Output()
	if err != nil {
		t.Fatal(err)
	}
	sum := node.SumPlain
	if strings.TrimSpace(string(ver)) == "True" {
		sum = node.SumNeumaier
	}

	procDir := t.TempDir()
	sc := m0()
	sc.Dir = procDir
	for i := range sc.Nodes {
		n := &sc.Nodes[i]
		n.HasPort, n.Port = false, 0
		n.Config = map[string]any{"command": []any{py, ref, strings.TrimSuffix(n.Type, "_model"), "{port}"}}
	}
	pres, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatalf("Run() with process nodes = %v", err)
	}
	builtinDir := t.TempDir()
	if _, err := Run(context.Background(), m0(), WithCSVDir(builtinDir), WithSumMode(sum)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"sensor1", "sensor2", "sensor3", "gateway"} {
		name := id + "_metrics.csv"
		got, err := os.ReadFile(filepath.Join(procDir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := os.ReadFile(filepath.Join(builtinDir, name))
		if !bytes.Equal(got, want) {
			t.Errorf("%s from the Python node differs from the built-in model's:\n--- python\n%s\n--- built-in\n%s", name, got, want)
		}
	}
	if pres.Steps != 10000 || pres.Network.Delivered != 27 {
		t.Errorf("steps %d, delivered %d; want 10000 and 27", pres.Steps, pres.Network.Delivered)
	}
}
