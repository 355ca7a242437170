package manifest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseRefusesInjection: what a manifest hands to the host's tools
// cannot carry a line of its own into their config (a newline in an env
// value became an ExecStartPre= of the unit, run as root), nor anything
// supervisord would read differently from what was written.
func TestParseRefusesInjection(t *testing.T) {
	t.Parallel()
	host := `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	img := "image: r/app@" + digest + "\n"
	svc := func(extra string) string { return "service: {name: app, health: {tcp: 80}, " + extra + "}\n" }
	systemd := "strategy: {native: {supervisor: systemd}}\n"
	native := "strategy: native\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"newline in env, systemd", img + svc(`env: {A: "a\nExecStartPre=/usr/bin/id"}`) + host + systemd,
			[]string{"m.yaml:2:50: error: service.env.A has the control character U+000A at offset 1"}},
		{"newline in env, supervisord", img + svc(`env: {A: "a\n[program:evil]"}`) + host + native,
			[]string{"m.yaml:2:50: error: service.env.A has the control character U+000A at offset 1"}},
		{"newline in env, container", img + svc(`env: {A: "x\ny=1"}`) + host,
			[]string{"m.yaml:2:50: error: service.env.A has the control character U+000A"}},
		{"carriage return", img + svc(`env: {A: "x\ry"}`) + host,
			[]string{"m.yaml:2:50: error: service.env.A has the control character U+000D"}},
		{"NUL", img + svc(`env: {A: "x\0y"}`) + host,
			[]string{"m.yaml:2:50: error: service.env.A has the control character U+0000"}},
		{"C1 control", img + svc(`env: {A: "x\x85y"}`) + host,
			[]string{"m.yaml:2:50: error: service.env.A has the control character U+0085"}},
		{"bad env name", img + svc(`env: {"A=B": x, "1A": y, "A B": z}`) + host + systemd,
			[]string{
				`m.yaml:2:47: error: service.env: "A=B" is not a valid environment variable name`,
				`m.yaml:2:57: error: service.env: "1A" is not a valid environment variable name`,
				`m.yaml:2:66: error: service.env: "A B" is not a valid environment variable name`,
			}},
		{"newline in a command argument", img + svc(`command: [-addr, "x\nExecStartPre=/usr/bin/id"]`) + host + systemd,
			[]string{"m.yaml:2:58: error: service.command[1] has the control character U+000A at offset 1"}},
		{"newline in dir", img + svc("") + host + "strategy: {native: {dir: \"/opt/x\\ny\"}}\n",
			[]string{"m.yaml:4:26: error: strategy.native.dir has the control character U+000A"}},
		{"supervisord: both quotes", img + svc(`env: {A: "it's \"x\""}`) + host + native,
			[]string{"m.yaml:2:50: error: env A has both ' and \", which supervisord's environment= cannot quote"}},
		{"supervisord: leading quote", img + svc(`env: {A: "'x"}`) + host + native,
			[]string{"m.yaml:2:50: error: env A starts or ends with a quote"}},
		{"supervisord: here", img + svc(`env: {A: "%(here)s"}, command: ["%(here)s"]`) + host + native,
			[]string{
				"m.yaml:2:50: error: env A has %(here)s",
				"m.yaml:2:73: error: service.command[0] has %(here)s",
			}},
		{"supervisord: inline comment", img + svc(`env: {A: "x ;y", B: "x\u00a0#y"}`) + host + native,
			[]string{
				`m.yaml:2:50: error: env A has a space before ";" or "#"`,
				`m.yaml:2:61: error: env B has a space before ";" or "#"`,
			}},
	}
	for _, tc := range tests {
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
			for i, d := range e.Diagnostics {
				s := d.String()
				if i < len(tc.want) && strings.HasPrefix(s, tc.want[i]) {
					s = tc.want[i]
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want prefixes +got):\n%s", diff)
			}
		})
	}
}

// TestParseAcceptsHostileButSafe: values each tool can carry as written
// load, for the strategies that can carry them.
func TestParseAcceptsHostileButSafe(t *testing.T) {
	t.Parallel()
	host := `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	img := "image: r/app@" + digest + "\n"
	env := `env: {PASS: "pa$$word", Q: "a \"b\" ;c #d", S: "it's 100%", U: "ünï cødé\ttab"}`
	for _, strategy := range []string{"strategy: container\n", "strategy: {native: {supervisor: systemd}}\n"} {
		src := img + "service: {name: app, health: {tcp: 80}, command: [\"a ;b\", \"#c\", \"$HOME\", \"'q'\"], " + env + "}\n" + host + strategy
		if strings.Contains(strategy, "native") {
			src = strings.Replace(src, `\ttab`, "", 1)
		}
		m, err := Parse([]byte(src), "m.yaml")
		if err != nil && !strings.Contains(err.Error(), "U+0009") {
			t.Errorf("%s: Parse() = %v", strategy, err)
			continue
		}
		if m != nil && m.Service.Env["PASS"] != "pa$$word" {
			t.Errorf("%s: PASS = %q", strategy, m.Service.Env["PASS"])
		}
	}
}

func TestControlChar(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain": "", "ünï \uFFFD": "", "a\x00": "the control character U+0000 at offset 1",
		"\x7f": "the control character U+007F at offset 0", "a\xffb": "a byte that is not UTF-8 at offset 1",
	} {
		if got := ControlChar(in); got != want {
			t.Errorf("ControlChar(%q) = %q, want %q", in, got, want)
		}
	}
}
