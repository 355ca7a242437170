package node

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

func TestProcessConfigMistakes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  map[string]any
		want string // "" for no error
	}{
		{"tcp", map[string]any{"command": "x", "protocol": "tcp"}, ""},
		{"stdio", map[string]any{"command": "x", "protocol": "stdio"}, ""},
		{"unknown protocol", map[string]any{"command": "x", "protocol": "udp"}, `config.protocol: must be tcp`},
		{"stdio without command", map[string]any{"address": "localhost:1", "protocol": "stdio"}, `config.protocol: stdio needs a command`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewProcess(scenario.Node{ID: "n", Implementation: scenario.ImplProcess, Config: tc.cfg})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("NewProcess() error = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestProcessArgv checks the placeholders and that relative paths in a
// command keep meaning the scenario's directory although the node runs in
// the run's.
func TestProcessArgv(t *testing.T) {
	t.Parallel()
	scDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(scDir, "node.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := &Process{id: "s1", port: 5001, command: []string{"python3", "node.py", "sensor", "{port}", "--out={out}/x", "missing.py"}}
	got := p.argv(scDir, "/results/seed-1")
	want := []string{"python3", filepath.Join(scDir, "node.py"), "sensor", "5001", "--out=/results/seed-1/x", "missing.py"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("argv (-want +got):\n%s", d)
	}
	sh := &Process{id: "s1", port: 7, shell: true, command: []string{"python3 node.py {id} {port} > {out}/log"}}
	got = sh.argv(scDir, "/r")
	want = []string{"/bin/sh", "-c", "python3 " + filepath.Join(scDir, "node.py") + " s1 7 > /r/log"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("shell argv (-want +got):\n%s", d)
	}
}
