package actionmeta

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the README's generated action tables")

// TestReadmeTablesMatchActions fails when an action's inputs or outputs
// changed and the README's tables did not; go test -run Readme -update
// rewrites them.
func TestReadmeTablesMatchActions(t *testing.T) {
	root := filepath.Join("..", "..")
	readmePath := filepath.Join(root, "README.md")
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	got, err := RenderTables(string(data), func(p string) (*Action, error) { return Load(filepath.Join(root, p)) })
	if err != nil {
		t.Fatal(err)
	}
	actions, err := FindActions(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range actions {
		rel, _ := filepath.Rel(root, a)
		if !strings.Contains(string(data), "<!-- action-table: "+filepath.ToSlash(rel)+" -->") {
			t.Errorf("README.md has no table for %s; add <!-- action-table: %s --> and <!-- end action-table --> and run with -update", rel, rel)
		}
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(string(data), got); diff != "" {
		t.Errorf("README.md tables are stale (-README +action files); run go test ./internal/actionmeta -run Readme -update:\n%s", diff)
	}
}

func TestTable(t *testing.T) {
	t.Parallel()
	a := &Action{Inputs: []Input{{ID: "scenario", Required: true, Description: "A path | a glob"}, {ID: "seed", HasDefault: true, Default: "42", Description: "The\nseed."}},
		Outputs: []Output{{ID: "verdict", Description: "pass or fail"}}}
	want := "| input | required | default | description |\n|---|---|---|---|\n" +
		"| `scenario` | yes |  | A path \\| a glob |\n| `seed` |  | `42` | The seed. |\n" +
		"\n| output | description |\n|---|---|\n| `verdict` | pass or fail |\n"
	if diff := cmp.Diff(want, Table(a)); diff != "" {
		t.Errorf("Table() (-want +got):\n%s", diff)
	}
}
