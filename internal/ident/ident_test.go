package ident

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"sensor1", true}, {"sensor_device", true}, {"mqtt-broker", true}, {"edge-01.lab", true},
		{"A", true}, {"0", true}, {strings.Repeat("a", MaxLen), true},
		{"", false}, {strings.Repeat("a", MaxLen+1), false},
		{"a/b", false}, {"../x", false}, {".", false}, {"..", false}, {".hidden", false},
		{"-rf", false}, {"_x", false}, {"a b", false}, {"a\nExecStart=/bin/id", false},
		{"a\x00", false}, {"a:b", false}, {"a$b", false}, {"a;b", false}, {"é", false},
		{"a\\b", false}, {"a%b", false},
	} {
		if got := Valid(tc.name); got != tc.want {
			t.Errorf("Valid(%q) = %t, want %t", tc.name, got, tc.want)
		}
		if err := Check("node id", tc.name); (err == nil) != tc.want {
			t.Errorf("Check(%q) = %v", tc.name, err)
		}
	}
}

func TestCheckMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"", "node id must not be empty"},
		{strings.Repeat("x", 64), "node id is 64 characters long; the limit is 63"},
		{"a/b", `node id "a/b" has characters outside the name charset (letters, digits`},
	} {
		err := Check("node id", tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%q) = %v, want it to say %q", tc.in, err, tc.want)
		}
	}
}
