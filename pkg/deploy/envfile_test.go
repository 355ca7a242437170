package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// hostile are values that once broke out of their line or arrived
// changed: each must reach the program as written.
var hostile = map[string]string{
	"PASS":    "pa$$word",
	"COMMA":   "x,y=z",
	"PERCENT": "100% %(here) %(ENV_HOME)s %h",
	"HERE":    "%(here)s",
	"QUOTE":   `say "hi" now`,
	"APOS":    "it's",
	"SEMI":    "a;b#c",
	"BACK":    `C:\dir\n`,
	"TICK":    "`id` $(id) ${HOME}",
	"UNI":     "ünï cødé",
	"EMPTY":   "",
	"SPACES":  "  padded  ",
}

// hostileArgs are command arguments of the same kind.
var hostileArgs = []string{"-addr", ":8080", "a ;b", "#c", "it's 100%", "%(ENV_HOME)s", `"q"`, "$HOME", "${X}", `back\slash`, "", " lead", "semi;", ";", "x # y"}

// tool is the path of a parser the tests run, or skips (fails on the bed).
func tool(t *testing.T, path, why string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if testbed.Required() {
			t.Fatalf("%s is missing (%s; scripts/testbed up installs it): %v", path, why, err)
		}
		t.Skipf("no %s", path)
	}
	return path
}

// TestSupervisordReadsWhatWeWrite has supervisor's own parser (the Python
// package supervisord runs) read the program section we write: the
// command's words and the environment come out as the manifest gave them.
func TestSupervisordReadsWhatWeWrite(t *testing.T) {
	t.Parallel()
	py := tool(t, "/usr/bin/python3", "supervisor's parser")
	env := map[string]string{}
	for k, v := range hostile {
		if manifest.SupervisordValue(v) == "" {
			env[k] = v
		}
	}
	if len(env) < len(hostile)-2 {
		t.Fatalf("only %d of %d values are valid for supervisord", len(env), len(hostile))
	}
	read := func(t *testing.T, p program) (command []string, got map[string]string, err error) {
		dir := t.TempDir()
		p.logDir = dir
		conf := filepath.Join(dir, "conf.d", "app.conf")
		sup := supervisor{kind: manifest.SupervisorSupervisord, config: filepath.Join(dir, "supervisord.conf"), name: "app"}
		if got := sup.confPath(); got != conf {
			t.Fatalf("confPath() = %s, want %s", got, conf)
		}
		os.Mkdir(filepath.Dir(conf), 0o700)
		main := "[supervisord]\nlogfile=" + dir + "/supervisord.log\n[include]\nfiles = conf.d/*.conf\n"
		if err := os.WriteFile(sup.config, []byte(main), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(conf, []byte(sup.conf(p, "d1", "sha256:abc")), 0o600); err != nil {
			t.Fatal(err)
		}
		// supervisord's own reading of its config: the include, the
		// %(here)s replacement, % expansion, then the section.
		script := `import sys, json, shlex
from supervisor.options import ServerOptions
o = ServerOptions()
o.configfile = sys.argv[1]
o.process_config(do_usage=False)
pc = o.process_group_configs[0].process_configs[0]
print(json.dumps({"command": shlex.split(pc.command), "env": pc.environment or {}}))
`
		out, err := exec.Command(py, "-c", script, sup.config).CombinedOutput()
		if err != nil {
			return nil, nil, fmt.Errorf("supervisor's parser: %w\n%s", err, out)
		}
		var v struct {
			Command []string
			Env     map[string]string
		}
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return v.Command, v.Env, nil
	}
	p := program{name: "app", command: append([]string{"/opt/x/current/hello"}, hostileArgs...), dir: "/opt/x/current", env: env, logDir: "/opt/x/log"}
	command, got, err := read(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p.command, command); diff != "" {
		t.Errorf("command (-wrote +supervisord read):\n%s", diff)
	}
	if diff := cmp.Diff(env, got); diff != "" {
		t.Errorf("environment (-wrote +supervisord read):\n%s", diff)
	}
	// What the loader refuses for supervisord is what it misreads.
	for _, v := range []string{`it's "x"`, `a "b"`, "'x", "x ;y", "x #y", "%(here)s"} {
		if manifest.SupervisordValue(v) == "" {
			t.Errorf("SupervisordValue(%q) accepts it", v)
		}
		p := program{name: "app", command: []string{"/bin/x"}, dir: "/", env: map[string]string{"V": v}, logDir: "/tmp"}
		if _, got, err := read(t, p); err == nil && got["V"] == v {
			t.Errorf("supervisord reads %q as written: the loader need not refuse it", v)
		}
	}
}

// TestSystemdReadsEnvFile has systemd's own environment file parser read
// the EnvironmentFile= we write. The parser systemd ships as a program is
// the environment.d generator's, which expands $VAR after parsing (an
// EnvironmentFile= does not), so values with $ are left to the rule in
// systemdEnvFile.
func TestSystemdReadsEnvFile(t *testing.T) {
	t.Parallel()
	gen := tool(t, "/usr/lib/systemd/user-environment-generators/30-systemd-environment-d-generator", "systemd's environment file parser")
	env := map[string]string{}
	for k, v := range hostile {
		if !strings.Contains(v, "$") {
			env[k] = v
		}
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "environment.d"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "environment.d", "app.conf"), []byte("# comment\n"+systemdEnvFile(env)), 0o600); err != nil {
		t.Fatal(err)
	}
	// The generator prints what it read as shell assignments; sh reads them
	// back and prints each value NUL-terminated.
	var names []string
	for k := range env {
		names = append(names, k)
	}
	script := `eval "$("$0")" && for n in "$@"; do eval "printf '%s=%s\0' \"\$n\" \"\${$n}\""; done`
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, gen}, names...)...)
	cmd.Env = []string{"XDG_CONFIG_HOME=" + dir, "PATH=/usr/bin:/bin"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("systemd's generator: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, kv := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	if diff := cmp.Diff(env, got); diff != "" {
		t.Errorf("environment (-wrote +systemd read):\n%s", diff)
	}
	// $ is escaped: systemd reads \$ in double quotes as $.
	if got := systemdEnvFile(map[string]string{"P": "pa$$word ${X}"}); got != `P="pa\$\$word \${X}"`+"\n" {
		t.Errorf("systemdEnvFile($) = %q", got)
	}
}

// TestSystemdUnitCarriesNoSecret: the unit (world-readable) names the
// environment file and holds no value; hostile arguments pass systemd's
// own check.
func TestSystemdUnitCarriesNoSecret(t *testing.T) {
	t.Parallel()
	analyze := tool(t, "/usr/bin/systemd-analyze", "systemd's unit parser")
	dir := t.TempDir()
	exe := filepath.Join(dir, "hello")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(dir, "service.env")
	os.WriteFile(env, []byte(systemdEnvFile(hostile)), 0o600)
	sup := supervisor{kind: manifest.SupervisorSystemd, name: "xs-app"}
	p := program{name: "xs-app", command: append([]string{exe}, hostileArgs...), dir: dir, env: hostile, envFile: env, restart: "always"}
	unitText := sup.conf(p, "d1", "sha256:abc")
	for k := range hostile {
		if strings.Contains(unitText, k+"=") {
			t.Errorf("the unit holds %s:\n%s", k, unitText)
		}
	}
	if !strings.Contains(unitText, "\nEnvironmentFile="+env+"\n") || strings.Contains(unitText, "\nEnvironment=") {
		t.Errorf("the unit does not name the environment file:\n%s", unitText)
	}
	unit := filepath.Join(dir, "xs-app.service")
	if err := os.WriteFile(unit, []byte(unitText), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(analyze, "verify", unit).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s\n%s", err, out, unitText)
	}
}

// TestContainerEnvNotInArgv: docker create reads env from a file, so no
// value is in the command line (ps shows it) or in an error quoting it.
func TestContainerEnvNotInArgv(t *testing.T) {
	t.Parallel()
	cmd := withEnvFile([]string{"docker", "create", "--name", "x", "img"}, true)
	if !strings.Contains(cmd, `docker create --env-file "$f" --name x img`) || !strings.Contains(cmd, "umask 077") {
		t.Errorf("withEnvFile() = %s", cmd)
	}
	if got := dockerEnvFile(map[string]string{"B": " x y ", "A": `"q"`}); got != "A=\"q\"\nB= x y \n" {
		t.Errorf("dockerEnvFile() = %q", got)
	}
}
