package yamldiag_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// TestDiagnosticsAreBounded: a file with a mistake on every line keeps the
// first hundred errors and the first hundred warnings, in file order, and
// says in one last line of each how many more there were. Without the
// bound, 200,000 such lines cost gigabytes and printed as many lines.
func TestDiagnosticsAreBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := range 250 {
		fmt.Fprintf(&b, "k%d: x\n", i)
	}
	d := yamldiag.New("f.yaml")
	root, _ := d.Document([]byte(b.String()), "a test file")
	m := d.AsMap(root, "")
	d.CheckKeys(m, yamldiag.Keys{Known: []string{"port"}}) // 250 warnings
	for _, e := range m.Entries {
		d.Int(e.Val, e.Name, "") // 250 errors
	}
	warnings, err := d.Result()
	var e *yamldiag.Error
	if !errorsAs(err, &e) {
		t.Fatalf("Result() error = %v", err)
	}
	for _, tc := range []struct {
		name  string
		diags []yamldiag.Diagnostic
		first string
		last  string
	}{
		{"warnings", warnings, "f.yaml:1:1: warning: unknown key k0 (known keys: port)", "f.yaml: warning: 150 more warnings not shown (fix those above and run again)"},
		{"errors", e.Diagnostics, `f.yaml:1:5: error: k0 must be an integer, got "x"`, "f.yaml: error: 150 more errors not shown (fix those above and run again)"},
	} {
		if len(tc.diags) != 101 {
			t.Errorf("%s: %d, want 101", tc.name, len(tc.diags))
			continue
		}
		got := []string{tc.diags[0].String(), tc.diags[100].String()}
		if diff := cmp.Diff([]string{tc.first, tc.last}, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
		if p := tc.diags[99].Pos; p.Line != 100 {
			t.Errorf("%s: the hundredth is at %v, want line 100", tc.name, p)
		}
	}
	// Another decoder's diagnostics (a file this one's names) carry its
	// count with them, added to this one's.
	outer := yamldiag.New("outer.yaml")
	outer.Errorf(nil, "", "", "one of the outer file's own")
	outer.Add(d.Diagnostics()...)
	all := outer.Diagnostics()
	var got []string
	for _, x := range all[len(all)-2:] {
		got = append(got, x.String())
	}
	want := []string{"outer.yaml: error: 151 more errors not shown (fix those above and run again)", "outer.yaml: warning: 150 more warnings not shown (fix those above and run again)"}
	if diff := cmp.Diff(want, got); diff != "" || len(all) != 202 {
		t.Errorf("outer decoder: %d diagnostics, the last (-want +got):\n%s", len(all), diff)
	}
}

func errorsAs(err error, e **yamldiag.Error) bool { return errors.As(err, e) }
