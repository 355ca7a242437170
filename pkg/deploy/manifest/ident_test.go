package manifest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNamesFollowTheCharset: host and service names become file names,
// container names and unit names on the host; one outside the charset is
// refused at its line, before anything connects.
func TestNamesFollowTheCharset(t *testing.T) {
	t.Parallel()
	img := "image: r/app@" + digest + "\n"
	svc := "service: {name: app, health: {tcp: 80}}\n"
	host := func(name string) string {
		return `hosts: [{name: ` + name + `, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	}
	for _, tc := range []struct {
		name, src, want string
	}{
		{"host with a slash", img + svc + host("edge/1"), `m.yaml:3:16: error: hosts[0].name "edge/1" has characters outside the name charset`},
		{"host dot-dot", img + svc + host(`".."`), `m.yaml:3:16: error: hosts[0].name ".." has characters outside the name charset`},
		{"host with a newline", img + svc + host(`"e\nx"`), `m.yaml:3:16: error: hosts[0].name "e\nx" has characters outside the name charset`},
		{"host too long", img + svc + host(strings.Repeat("e", 64)), `m.yaml:3:16: error: hosts[0].name is 64 characters long; the limit is 63`},
		{"service empty", img + "service: {name: \"\", health: {tcp: 80}}\n" + host("e1"), `m.yaml:2:17: error: service.name must not be empty`},
		{"service with a slash", img + "service: {name: a/b, health: {tcp: 80}}\n" + host("e1"), `m.yaml:2:17: error: service.name "a/b" has characters outside the name charset`},
		{"service too long", img + "service: {name: " + strings.Repeat("s", 64) + ", health: {tcp: 80}}\n" + host("e1"), `m.yaml:2:17: error: service.name is 64 characters long`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src), "m.yaml")
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse() = %v, want an *Error", err)
			}
			if e.ExitCode() != 3 {
				t.Errorf("ExitCode() = %d, want 3", e.ExitCode())
			}
			var got []string
			for _, d := range e.Diagnostics {
				s := d.String()
				if strings.HasPrefix(s, tc.want) {
					s = tc.want
				}
				got = append(got, s)
			}
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Errorf("diagnostics (-want prefixes +got):\n%s", diff)
			}
		})
	}
	// The charset's edges are accepted.
	for _, name := range []string{"e1", "edge-01.lab", "edge_1", strings.Repeat("e", 63)} {
		if _, err := Parse([]byte(img+svc+host(name)), "m.yaml"); err != nil {
			t.Errorf("host %q: %v", name, err)
		}
	}
}
