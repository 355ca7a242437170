package gha

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnnotationsInActions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		call func(r *Runner)
		want string
	}{{
		name: "error with a full span",
		call: func(r *Runner) {
			r.Error("unknown field", Annotation{Title: "scenario", File: "scenarios/a.yaml", Line: 12, Col: 5, EndLine: 13, EndColumn: 7})
		},
		want: "::error col=5,endColumn=7,endLine=13,file=scenarios/a.yaml,line=12,title=scenario::unknown field\n",
	}, {
		name: "warning on a file",
		call: func(r *Runner) { r.Warning("deprecated", Annotation{File: "a.yaml"}) },
		want: "::warning file=a.yaml::deprecated\n",
	}, {
		name: "notice without annotation",
		call: func(r *Runner) { r.Notice("gate passed", Annotation{}) },
		want: "::notice::gate passed\n",
	}, {
		name: "zero and negative positions left out",
		call: func(r *Runner) { r.Error("x", Annotation{File: "a.yaml", Line: 0, Col: -1}) },
		want: "::error file=a.yaml::x\n",
	}, {
		name: "message escaping",
		call: func(r *Runner) { r.Error("rate 100% too high\r\nsee ::docs, a:b", Annotation{}) },
		want: "::error::rate 100%25 too high%0D%0Asee ::docs, a:b\n",
	}, {
		name: "property escaping",
		call: func(r *Runner) {
			r.Warning("m", Annotation{Title: "bad: value, 100%\nnext\r", File: "odd,dir/a:b.yaml"})
		},
		want: "::warning file=odd%2Cdir/a%3Ab.yaml,title=bad%3A value%2C 100%25%0Anext%0D::m\n",
	}, {
		name: "escaped escapes survive",
		call: func(r *Runner) { r.Notice("literal %0A stays", Annotation{Title: "%3A"}) },
		want: "::notice title=%253A::literal %250A stays\n",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, stdout, stderr := newTestRunner(t, inActions())
			tc.call(r)
			if diff := cmpDiff(tc.want, stdout.String()); diff != "" {
				t.Errorf("command mismatch (-want +got):\n%s", diff)
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr = %q, want nothing under Actions", stderr)
			}
		})
	}
}

func TestAnnotationsOutsideActions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		call func(r *Runner)
		want string
	}{{
		name: "file line col",
		call: func(r *Runner) {
			r.Error("unknown field", Annotation{File: "scenario.yaml", Line: 12, Col: 5, EndLine: 14})
		},
		want: "scenario.yaml:12:5: error: unknown field\n",
	}, {
		name: "file line",
		call: func(r *Runner) { r.Warning("deprecated", Annotation{File: "scenario.yaml", Line: 3}) },
		want: "scenario.yaml:3: warning: deprecated\n",
	}, {
		name: "col without line ignored",
		call: func(r *Runner) { r.Warning("w", Annotation{File: "scenario.yaml", Col: 3}) },
		want: "scenario.yaml: warning: w\n",
	}, {
		name: "title",
		call: func(r *Runner) { r.Notice("all 12 assertions hold", Annotation{Title: "gate"}) },
		want: "notice: gate: all 12 assertions hold\n",
	}, {
		name: "no escaping, one trailing newline",
		call: func(r *Runner) { r.Error("100% a:b\n", Annotation{}) },
		want: "error: 100% a:b\n",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, stdout, stderr := newTestRunner(t, map[string]string{})
			tc.call(r)
			if diff := cmpDiff(tc.want, stderr.String()); diff != "" {
				t.Errorf("line mismatch (-want +got):\n%s", diff)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing outside Actions", stdout)
			}
		})
	}
}

func TestAnnotationWorkspacePath(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	other := t.TempDir()
	cases := []struct {
		name, workspace, wd, file, want string
	}{
		{"absolute inside", ws, other, filepath.Join(ws, "scenarios", "a.yaml"), "scenarios/a.yaml"},
		{"relative to a working-directory", ws, filepath.Join(ws, "edge"), filepath.Join("scenarios", "a.yaml"), "edge/scenarios/a.yaml"},
		{"relative at the root", ws, ws, "a.yaml", "a.yaml"},
		{"absolute outside", ws, ws, filepath.Join(other, "a.yaml"), filepath.Join(other, "a.yaml")},
		{"relative escaping", ws, ws, filepath.Join("..", "a.yaml"), filepath.Join("..", "a.yaml")},
		{"the workspace's parent", ws, ws, filepath.Dir(ws), filepath.Dir(ws)},
		{"no workspace", "", ws, filepath.Join(ws, "a.yaml"), filepath.Join(ws, "a.yaml")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, stdout, _ := newTestRunner(t, inActions("GITHUB_WORKSPACE", tc.workspace),
				withGetwd(func() (string, error) { return tc.wd, nil }))
			r.Error("m", Annotation{File: tc.file})
			want := "::error file=" + escapePropertyForTest(tc.want) + "::m\n"
			if got := stdout.String(); got != want {
				t.Errorf("Error(File: %q) = %q, want %q", tc.file, got, want)
			}
		})
	}

	// Outside Actions the path stays as the user wrote it.
	r, _, stderr := newTestRunner(t, map[string]string{"GITHUB_WORKSPACE": ws})
	file := filepath.Join(ws, "a.yaml")
	r.Error("m", Annotation{File: file, Line: 1})
	if got, want := stderr.String(), file+":1: error: m\n"; got != want {
		t.Errorf("Error() outside Actions = %q, want %q", got, want)
	}
}

func TestAnnotationGetwdFails(t *testing.T) {
	t.Parallel()
	r, stdout, _ := newTestRunner(t, inActions("GITHUB_WORKSPACE", t.TempDir()),
		withGetwd(func() (string, error) { return "", errors.New("gone") }))
	r.Error("m", Annotation{File: "a.yaml"})
	if got, want := stdout.String(), "::error file=a.yaml::m\n"; got != want {
		t.Errorf("Error() when getwd fails = %q, want %q", got, want)
	}
}

// escapePropertyForTest is the runner's property escaping for the characters
// a temporary directory can hold.
func escapePropertyForTest(s string) string {
	return strings.NewReplacer("%", "%25", ":", "%3A", ",", "%2C").Replace(s)
}

func TestDebugf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                   string
		env                    map[string]string
		wantStdout, wantStderr string
	}{
		{"actions", inActions(), "::debug::took 5%25 of 3s\n", ""},
		{"actions with debug", inActions("RUNNER_DEBUG", "1"), "::debug::took 5%25 of 3s\n", ""},
		{"local", map[string]string{}, "", ""},
		{"local with RUNNER_DEBUG", map[string]string{"RUNNER_DEBUG": "1"}, "", "debug: took 5% of 3s\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, stdout, stderr := newTestRunner(t, tc.env)
			r.Debugf("took %d%% of %s", 5, "3s")
			if got := stdout.String(); got != tc.wantStdout {
				t.Errorf("stdout = %q, want %q", got, tc.wantStdout)
			}
			if got := stderr.String(); got != tc.wantStderr {
				t.Errorf("stderr = %q, want %q", got, tc.wantStderr)
			}
		})
	}
}

func TestAddMask(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, value, want string
	}{
		{"one line", "hunter2", "::add-mask::hunter2\n"},
		{"empty", "", ""},
		{"blank", " \n\t\n", ""},
		{
			name:  "multiline key",
			value: "-----BEGIN KEY-----\r\nMIIEabc\r\n\r\n  def==\n-----END KEY-----\n",
			want:  "::add-mask::-----BEGIN KEY-----\n::add-mask::MIIEabc\n::add-mask::def==\n::add-mask::-----END KEY-----\n",
		},
		{"escaped", "50%off", "::add-mask::50%25off\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, stdout, stderr := newTestRunner(t, inActions())
			if err := r.AddMask(tc.value); err != nil {
				t.Fatalf("AddMask(%q) = %v", tc.value, err)
			}
			if diff := cmpDiff(tc.want, stdout.String()); diff != "" {
				t.Errorf("AddMask(%q) mismatch (-want +got):\n%s", tc.value, diff)
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func TestAddMaskOutsideActionsPrintsNothing(t *testing.T) {
	t.Parallel()
	r, stdout, stderr := newTestRunner(t, map[string]string{"GITHUB_ACTIONS": "false"})
	if err := r.AddMask("hunter2\nline2"); err != nil {
		t.Fatalf("AddMask() = %v", err)
	}
	if all := stdout.String() + stderr.String(); all != "" {
		t.Errorf("AddMask() outside Actions printed %q, want nothing (it would reveal the secret)", all)
	}
}

func TestAddMaskWriteError(t *testing.T) {
	t.Parallel()
	r, err := New(WithGetenv(inActionsGetenv), WithWriter(errWriter{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddMask("hunter2"); err == nil || !strings.Contains(err.Error(), "masking a value: disk on fire") {
		t.Errorf("AddMask() on a failing writer = %v, want a wrapped write error", err)
	}
	// Logging methods drop the error rather than panic.
	r.Error("m", Annotation{})
	r.Debugf("d")
	if err := r.Group("g", func() error { return nil }); err != nil {
		t.Errorf("Group() on a failing writer = %v, want nil", err)
	}
}

func inActionsGetenv(k string) string { return inActions()[k] }

func TestGroup(t *testing.T) {
	t.Parallel()
	errStep := errors.New("step failed")
	cases := []struct {
		name                   string
		env                    map[string]string
		fnErr                  error
		wantStdout, wantStderr string
	}{
		{"actions", inActions(), nil, "::group::Deploy edge1 %25\n::endgroup::\n", ""},
		{"actions error", inActions(), errStep, "::group::Deploy edge1 %25\n::endgroup::\n", ""},
		{"local", map[string]string{}, nil, "", "== Deploy edge1 %\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, stdout, stderr := newTestRunner(t, tc.env)
			ran := false
			err := r.Group("Deploy edge1 %", func() error { ran = true; return tc.fnErr })
			if !ran {
				t.Error("Group() did not run fn")
			}
			if !errors.Is(err, tc.fnErr) || (tc.fnErr == nil && err != nil) {
				t.Errorf("Group() = %v, want %v", err, tc.fnErr)
			}
			if got := stdout.String(); got != tc.wantStdout {
				t.Errorf("stdout = %q, want %q", got, tc.wantStdout)
			}
			if got := stderr.String(); got != tc.wantStderr {
				t.Errorf("stderr = %q, want %q", got, tc.wantStderr)
			}
		})
	}
}

func TestGroupEndsOnPanic(t *testing.T) {
	t.Parallel()
	r, stdout, _ := newTestRunner(t, inActions())
	func() {
		defer func() { _ = recover() }()
		_ = r.Group("g", func() error { panic("boom") })
	}()
	if got, want := stdout.String(), "::group::g\n::endgroup::\n"; got != want {
		t.Errorf("Group() with a panicking fn printed %q, want %q", got, want)
	}
}
