package gha

import (
	"errors"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/internal/exitcode"
)

func TestInput(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"INPUT_WHO-TO-GREET": "  Mona \n",
		"INPUT_DRY_RUN":      "true",
		"INPUT_SCENARIO":     "scenarios/m0.yaml",
	}
	cases := []struct {
		name, want string
	}{
		{"who-to-greet", "Mona"}, // hyphens kept, value trimmed
		{"dry run", "true"},      // spaces become underscores
		{"scenario", "scenarios/m0.yaml"},
		{"Scenario", "scenarios/m0.yaml"}, // upper-cased
		{"missing", ""},
	}
	r, _, _ := newTestRunner(t, env)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := r.Input(tc.name); got != tc.want {
				t.Errorf("Input(%q) = %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}

func TestRequireInput(t *testing.T) {
	t.Parallel()
	r, _, _ := newTestRunner(t, map[string]string{
		"INPUT_SCENARIO":   "a.yaml",
		"INPUT_BLANK":      " \n\t",
		"INPUT_SSH-TARGET": "",
	})

	got, err := r.RequireInput("scenario")
	if err != nil || got != "a.yaml" {
		t.Errorf(`RequireInput("scenario") = %q, %v, want "a.yaml", nil`, got, err)
	}

	cases := []struct {
		name    string
		wantEnv string
	}{
		{"blank", "INPUT_BLANK"},
		{"ssh-target", "INPUT_SSH-TARGET"},
		{"not set", "INPUT_NOT_SET"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := r.RequireInput(tc.name)
			if got != "" {
				t.Errorf("RequireInput(%q) value = %q, want empty", tc.name, got)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("RequireInput(%q) error = %v, want *InputError", tc.name, err)
			}
			if ie.Name != tc.name {
				t.Errorf("InputError.Name = %q, want %q", ie.Name, tc.name)
			}
			for _, want := range []string{`input "` + tc.name + `"`, "required", tc.wantEnv, "with:"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("RequireInput(%q) error = %q, want it to contain %q", tc.name, err, want)
				}
			}
			if code := exitcode.Of(err); code != exitcode.Invalid {
				t.Errorf("exitcode.Of(RequireInput(%q)) = %d, want %d", tc.name, code, exitcode.Invalid)
			}
		})
	}
}

func TestBoolInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		value   string
		def     bool
		want    bool
		wantErr bool
	}{
		{"true", false, true, false},
		{"True", false, true, false},
		{"TRUE", false, true, false},
		{" true\n", false, true, false},
		{"false", true, false, false},
		{"False", true, false, false},
		{"FALSE", true, false, false},
		{"", true, true, false},
		{"", false, false, false},
		{"yes", false, false, true},
		{"no", true, false, true},
		{"1", false, false, true},
		{"0", true, false, true},
		{"on", false, false, true},
		{"tRUE", false, false, true},
		{"falsey", false, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			t.Parallel()
			r, _, _ := newTestRunner(t, map[string]string{"INPUT_DRY-RUN": tc.value})
			got, err := r.BoolInput("dry-run", tc.def)
			if tc.wantErr {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Fatalf("BoolInput(%q) error = %v, want *InputError", tc.value, err)
				}
				for _, want := range []string{`input "dry-run"`, `"` + strings.TrimSpace(tc.value) + `"`, "true or false"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("BoolInput(%q) error = %q, want it to contain %q", tc.value, err, want)
					}
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("BoolInput(%q, %v) = %v, %v, want %v, nil", tc.value, tc.def, got, err, tc.want)
			}
		})
	}
}

func TestMultilineInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, value string
		want        []string
	}{
		{"empty", "", nil},
		{"one", "edge1", []string{"edge1"}},
		{"lines trimmed", "  edge1  \n\tedge2\n", []string{"edge1", "edge2"}},
		{"blank lines dropped", "edge1\n\n   \nedge2", []string{"edge1", "edge2"}},
		{"comments dropped", "# hosts\nedge1\n  # edge2 is down\nedge3", []string{"edge1", "edge3"}},
		{"crlf", "edge1\r\nedge2\r\n", []string{"edge1", "edge2"}},
		{"commas kept", "a,b\nc", []string{"a,b", "c"}},
		{"only comments", "# nothing\n#", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _, _ := newTestRunner(t, map[string]string{"INPUT_HOSTS": tc.value})
			if diff := cmpDiff(tc.want, r.MultilineInput("hosts")); diff != "" {
				t.Errorf("MultilineInput(%q) mismatch (-want +got):\n%s", tc.value, diff)
			}
		})
	}
}

func TestListInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, value string
		want        []string
	}{
		{"empty", "", nil},
		{"commas", "linux/amd64,linux/arm64", []string{"linux/amd64", "linux/arm64"}},
		{"commas and spaces", " linux/amd64 , linux/arm64 ,", []string{"linux/amd64", "linux/arm64"}},
		{"lines", "linux/amd64\nlinux/arm64\n", []string{"linux/amd64", "linux/arm64"}},
		{"mixed", "a, b\nc\n\n,d,,\n# e\n", []string{"a", "b", "c", "d"}},
		{"only separators", ",\n , ,", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, _, _ := newTestRunner(t, map[string]string{"INPUT_PLATFORMS": tc.value})
			if diff := cmpDiff(tc.want, r.ListInput("platforms")); diff != "" {
				t.Errorf("ListInput(%q) mismatch (-want +got):\n%s", tc.value, diff)
			}
		})
	}
}
