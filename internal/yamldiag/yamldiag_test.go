package yamldiag_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/internal/yamldiag"
)

// lines renders what d reported, one diagnostic a line, in file order.
func lines(d *yamldiag.Decoder) []string {
	warnings, err := d.Result()
	var out []string
	for _, w := range warnings {
		out = append(out, w.String())
	}
	var e *yamldiag.Error
	if errors.As(err, &e) {
		for _, x := range e.Diagnostics {
			out = append(out, x.String())
		}
	}
	return out
}

func TestDiagnosticString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    yamldiag.Diagnostic
		want string
	}{
		{yamldiag.Diagnostic{Pos: yamldiag.Pos{File: "f.yaml", Line: 3, Col: 7}, Message: "m", Hint: "h"}, "f.yaml:3:7: error: m (h)"},
		{yamldiag.Diagnostic{Pos: yamldiag.Pos{File: "f.yaml", Line: 3}, Severity: yamldiag.SeverityWarning, Message: "m"}, "f.yaml:3: warning: m"},
		{yamldiag.Diagnostic{Pos: yamldiag.Pos{File: "f.yaml"}, Message: "m"}, "f.yaml: error: m"},
		{yamldiag.Diagnostic{Message: "m"}, "error: m"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.d.String()); diff != "" {
			t.Errorf("String() (-want +got):\n%s", diff)
		}
	}
	err := yamldiag.NewError([]yamldiag.Diagnostic{tests[0].d, tests[2].d}, nil)
	if diff := cmp.Diff("f.yaml:3:7: error: m (h)\nf.yaml: error: m", err.Error()); diff != "" {
		t.Errorf("Error() (-want +got):\n%s", diff)
	}
	if err.ExitCode() != 3 {
		t.Errorf("ExitCode() = %d, want 3", err.ExitCode())
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	known := []string{"port", "rollout", "file", "latency", "packet_delivery_rate"}
	tests := []struct{ word, want string }{
		{"prot", "port"},      // a swap of neighbours is one edit
		{"rolout", "rollout"}, // one edit in seven letters
		{"fil", "file"},       // one edit in four
		{"Port", "port"},      // case only
		{"fxe", ""},           // two edits in four letters are too many
		{"latncy", "latency"}, // one edit
		{"ltncy", ""},         // two edits in seven
		{"packet_delivry_rte", "packet_delivery_rate"},
		{"port", ""}, // known already
		{strings.Repeat("x", 100), ""},
	}
	for _, tc := range tests {
		if got := yamldiag.Suggest(tc.word, known); got != tc.want {
			t.Errorf("Suggest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestDocument(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		empty     bool
		want      []string
	}{
		{"fine", "a: 1\n", false, nil},
		{"empty", "", true, nil},
		{"comments only", "# x\n", true, nil},
		{"null", "---\n~\n", true, nil},
		{"byte order mark", "\xef\xbb\xbfa: 1\n", false, nil},
		{"syntax", "a: {b: 1\n", false, []string{"f.yaml:1: error: invalid YAML: did not find expected ',' or '}' (fix the YAML syntax)"}},
		{"tab", "a:\n\tb: 1\n", false, []string{"f.yaml:2:1: error: invalid YAML: found character that cannot start any token (indent with spaces; YAML does not allow tabs)"}},
		{"unknown anchor", "a: 1\nb: *nope\n", false, []string{"f.yaml:2:4: error: invalid YAML: unknown anchor 'nope' referenced (define it first with &nope)"}},
		{"not UTF-8", "a: 1\nb: \xff\n", false, []string{"f.yaml:2:4: error: the file is not valid UTF-8 (save it as UTF-8)"}},
		{"two documents", "a: 1\n---\nb: 2\n", false, []string{"f.yaml:2:1: error: the file holds more than one YAML document; a test file is exactly one (remove the second document, after ---, or move it to its own file)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := yamldiag.New("f.yaml")
			root, empty := d.Document([]byte(tc.src), "a test file")
			got := lines(d)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			if empty != tc.empty || (root != nil) != (!tc.empty && len(tc.want) == 0) {
				t.Errorf("Document() = %v, %t", root, empty)
			}
		})
	}
}

// TestBudget checks that a billion laughs is an error, reported once.
func TestBudget(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		prev := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	d := yamldiag.New("f.yaml", yamldiag.WithBudget(10_000))
	root, _ := d.Document([]byte(b.String()), "a test file")
	d.Value(root, "")
	want := []string{"f.yaml:1:10: error: the file expands into too many values through aliases (use fewer nested aliases)"}
	if diff := cmp.Diff(want, lines(d)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	src := "base: &b {x: 1, y: [a, 2.5, true, ~]}\nm:\n  <<: *b\n  x: 2\n  5000: 5000\nself: &s [*s]\n"
	d := yamldiag.New("f.yaml")
	root, _ := d.Document([]byte(src), "a test file")
	got := d.Value(root, "")
	want := map[string]any{
		"base": map[string]any{"x": 1, "y": []any{"a", 2.5, true, nil}},
		"m":    map[string]any{"x": 2, "y": []any{"a", 2.5, true, nil}, "5000": 5000},
		"self": []any{nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Value() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"f.yaml:6:11: error: self[0] contains an alias to itself (remove the alias that points back into its own anchor)"}, lines(d)); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestGetters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src string
		get       func(d *yamldiag.Decoder, n *yaml.Node) any
		want      any
		diags     []string
	}{
		{"string", "v: abc", str, "abc", nil},
		{"string from a number", "v: 1000", str, "1000", nil},
		{"string null", "v: ~", str, "", []string{"f.yaml:1:4: error: v has no value (h)"}},
		{"string list", "v: [a]", str, "", []string{"f.yaml:1:4: error: v must be a string, got a list (h)"}},
		{"int", "v: 42", integer, int64(42), nil},
		{"int through an alias", "a: &a 7\nv: *a", integer, int64(7), nil},
		{"int quoted", "v: '42'", integer, int64(0), []string{`f.yaml:1:4: error: v must be an integer, got "42" (h)`}},
		{"int boolean", "v: true", integer, int64(0), []string{"f.yaml:1:4: error: v must be an integer, got the boolean true; booleans are not numbers (h)"}},
		{"int too big", "v: 18446744073709551615", integer, int64(0), []string{"f.yaml:1:4: error: v is out of range for a 64-bit integer: 18446744073709551615 (h)"}},
		{"int in range", "v: 0", intIn, int64(0), []string{"f.yaml:1:4: error: v must be between 1 and 65535, got 0 (h)"}},
		{"float", "v: 2.5", float, 2.5, nil},
		{"float from an int", "v: 2", float, 2.0, nil},
		{"float string", "v: x", float, 0.0, []string{`f.yaml:1:4: error: v must be a number, got "x" (h)`}},
		{"bool", "v: false", boolean, false, nil},
		{"bool yes", "v: yes", boolean, false, []string{`f.yaml:1:4: error: v must be true or false, got "yes" (h)`}},
		{"duration", "v: 1m30s", duration, 90 * time.Second, nil},
		{"duration without unit", "v: 30", duration, time.Duration(0), []string{"f.yaml:1:4: error: v must be a positive duration such as 30s or 2m, got 30 (h)"}},
		{"list", "v: [a, b]", list, 2, nil},
		{"list scalar", "v: a", list, 0, []string{`f.yaml:1:4: error: the list v must be a list, got "a" (h)`}},
		{"map", "v: {a: 1, a: 2}", mapping, 1, []string{"f.yaml:1:11: warning: duplicate key v.a (first on line 1); the last one wins (remove one of them)"}},
		{"map scalar", "v: 1", mapping, 0, []string{"f.yaml:1:4: error: the map v must be a mapping, got 1 (h)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := yamldiag.New("f.yaml")
			root, _ := d.Document([]byte(tc.src), "a test file")
			v, _ := d.AsMap(root, "").Get("v")
			got := tc.get(d, v.Val)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.diags, lines(d)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func str(d *yamldiag.Decoder, n *yaml.Node) any { v, _ := d.String(n, "v", "h"); return v }

func integer(d *yamldiag.Decoder, n *yaml.Node) any { v, _ := d.Int(n, "v", "h"); return v }

func intIn(d *yamldiag.Decoder, n *yaml.Node) any { v, _ := d.IntIn(n, "v", "h", 1, 65535); return v }

func float(d *yamldiag.Decoder, n *yaml.Node) any { v, _ := d.Float(n, "v", "h"); return v }

func boolean(d *yamldiag.Decoder, n *yaml.Node) any { v, _ := d.Bool(n, "v", "h"); return v }

func duration(d *yamldiag.Decoder, n *yaml.Node) any { v, _ := d.Duration(n, "v", "h"); return v }

func list(d *yamldiag.Decoder, n *yaml.Node) any {
	v, _ := d.List(n, "v", "the list v", "h")
	return len(v)
}

func mapping(d *yamldiag.Decoder, n *yaml.Node) any {
	m := d.Map(n, "v", "the map v", "h")
	if m == nil {
		return 0
	}
	return len(m.Entries)
}

func TestCheckKeys(t *testing.T) {
	t.Parallel()
	src := "prot: 1\nport: 2\nseed: 3\nzzz: 4\nx-ext: 5\n[a]: 6\n"
	keys := yamldiag.Keys{
		Known:  []string{"port", "host"},
		Accept: func(name string) bool { return strings.HasPrefix(name, "x-") },
		Elsewhere: func(name string) string {
			if name == "seed" {
				return "seed belongs under simulation:"
			}
			return ""
		},
	}
	want := []string{
		"f.yaml:1:1: warning: unknown key prot (did you mean port?)",
		"f.yaml:3:1: warning: unknown key seed (seed belongs under simulation:)",
		"f.yaml:4:1: warning: unknown key zzz (known keys: port, host)",
		"f.yaml:6:1: warning: the file has a key that is a list (keys must be plain names)",
	}
	d := yamldiag.New("f.yaml")
	root, _ := d.Document([]byte(src), "a test file")
	d.CheckKeys(d.AsMap(root, ""), keys)
	if diff := cmp.Diff(want, lines(d)); diff != "" {
		t.Errorf("lenient (-want +got):\n%s", diff)
	}

	// Strict, with the format's own wording.
	keys.Message = func(path, name string) string { return "unknown key " + name + " in the manifest" }
	d = yamldiag.New("f.yaml", yamldiag.WithStrict(true))
	root, _ = d.Document([]byte("prot: 1\n"), "a test file")
	d.CheckKeys(d.AsMap(root, ""), keys)
	if diff := cmp.Diff([]string{"f.yaml:1:1: error: unknown key prot in the manifest (did you mean port?)"}, lines(d)); diff != "" {
		t.Errorf("strict (-want +got):\n%s", diff)
	}
}

// TestMappingUse: a mapping read through an alias keeps the alias as its
// Use, so one use of an anchor can be pointed at; otherwise Use is Node.
func TestMappingUse(t *testing.T) {
	t.Parallel()
	d := yamldiag.New("f.yaml")
	root, _ := d.Document([]byte("a: &x {k: 1}\nb: *x\n"), "a test file")
	top := d.AsMap(root, "")
	var got []string
	for _, name := range []string{"a", "b"} {
		e, _ := top.Get(name)
		m := d.AsMap(e.Val, name)
		got = append(got, fmt.Sprintf("%s: node %d:%d, use %d:%d", name, m.Node.Line, m.Node.Column, m.Use.Line, m.Use.Column))
	}
	want := []string{"a: node 1:4, use 1:4", "b: node 1:4, use 2:4"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
}
