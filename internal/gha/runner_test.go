package gha

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cmpDiff is cmp.Diff, named once so the diff order stays (-want +got).
func cmpDiff(want, got any) string { return cmp.Diff(want, got) }

func TestNewRejectsNil(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opt  Option
		want string
	}{
		{"getenv", WithGetenv(nil), "getenv must not be nil"},
		{"writer", WithWriter(nil), "writer must not be nil"},
		{"stderr", WithStderr(nil), "stderr writer must not be nil"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := New(tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New(%s) = %v, want error containing %q", tc.name, err, tc.want)
			}
			if r != nil {
				t.Errorf("New(%s) returned a Runner with an error", tc.name)
			}
		})
	}
}

func TestNewSkipsNilOption(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r, err := New(nil, WithGetenv(func(string) string { return "" }), WithWriter(&out))
	if err != nil {
		t.Fatalf("New(nil, ...) = %v", err)
	}
	if err := r.SetOutput("a", "b"); err != nil {
		t.Fatalf("SetOutput() = %v", err)
	}
	if got, want := out.String(), "a=b\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestInActions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		value string
		want  bool
	}{
		{"true", true},
		{"", false},
		{"false", false},
		{"1", false},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			t.Parallel()
			r, _, _ := newTestRunner(t, map[string]string{"GITHUB_ACTIONS": tc.value})
			if got := r.InActions(); got != tc.want {
				t.Errorf("InActions() with GITHUB_ACTIONS=%q = %v, want %v", tc.value, got, tc.want)
			}
		})
	}
}

func TestRandomDelimiter(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^ghadelimiter_[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for range 1000 {
		d := randomDelimiter()
		if !shape.MatchString(d) {
			t.Fatalf("randomDelimiter() = %q, want %s", d, shape)
		}
		if seen[d] {
			t.Fatalf("randomDelimiter() repeated %q", d)
		}
		seen[d] = true
	}
}
