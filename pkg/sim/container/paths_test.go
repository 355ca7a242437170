package container

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// Relative paths resolve against the scenario's directory, else the
// working directory with a note; named volumes and absolute paths stay.
func TestResolvePaths(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	scen := filepath.Join(work, "scenarios")
	for _, d := range []string{"scenarios/ctx", "containers/broker", "config", "scenarios/layout"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d := &Node{id: "b", pos: scenario.Pos{File: "s.yaml", Line: 3, Col: 5}, spec: dockerSpec{
		buildContext: "containers/broker",
		image:        "oci:layout",
		binds:        []string{"config:/named", "./config:/etc/b:ro", "/abs:/abs", "data/new:/data"},
	}}
	d.resolvePaths(scen)
	want := dockerSpec{
		buildContext: filepath.Join(work, "containers/broker"),
		image:        "oci:" + filepath.Join(scen, "layout"),
		binds:        []string{"config:/named", filepath.Join(work, "config") + ":/etc/b:ro", "/abs:/abs", filepath.Join(scen, "data/new") + ":/data"},
	}
	if diff := cmp.Diff(want, d.spec, cmp.AllowUnexported(dockerSpec{}, healthSpec{})); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	var keys []string
	for _, n := range d.notes {
		keys = append(keys, n.Key)
		if n.Pos != d.pos || n.Severity != scenario.SeverityWarning {
			t.Errorf("note %v: want a warning at the node", n)
		}
	}
	if diff := cmp.Diff([]string{"build_context", "volumes"}, keys); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}
