package transport

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain/path-1.conf", "plain/path-1.conf"},
		{"", "''"},
		{"a b", "'a b'"},
		{"it's", `'it'\''s'`},
		{"$(rm -rf /)", "'$(rm -rf /)'"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Quote(tc.in)); diff != "" {
			t.Errorf("Quote(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestHostKeyCallbackNeedsTrust(t *testing.T) {
	t.Parallel()
	_, _, err := HostKeyCallback(Target{Name: "edge1"})
	var ce *ConfigError
	if err == nil || !asConfig(err, &ce) || ce.ExitCode() != 3 {
		t.Fatalf("HostKeyCallback() = %v, want a ConfigError", err)
	}
}

func asConfig(err error, ce **ConfigError) bool {
	c, ok := err.(*ConfigError)
	*ce = c
	return ok
}
