package deploy

import (
	"maps"
	"slices"
	"strings"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// Each tool that starts the service reads its environment and arguments
// with its own parser; these functions write for that parser. The manifest
// loader has already refused control characters (manifest.ControlChar) and
// what supervisord cannot express (manifest.SupervisordValue), so every
// value here fits on its line.

// systemdEnvFile is an EnvironmentFile= for env: one KEY="VALUE" a line,
// with \ " ` and $ escaped as systemd.exec(5) says for double-quoted
// values. systemd expands neither specifiers (%) nor variables there.
func systemdEnvFile(env map[string]string) string {
	var b strings.Builder
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`)
	for _, k := range slices.Sorted(maps.Keys(env)) {
		b.WriteString(k + `="` + r.Replace(env[k]) + "\"\n")
	}
	return b.String()
}

// dockerEnvFile is a file for docker create --env-file: KEY=VALUE a line,
// taken literally to the end of the line.
func dockerEnvFile(env map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(env)) {
		b.WriteString(k + "=" + env[k] + "\n")
	}
	return b.String()
}

// supervisordEnv is the value of environment=: KEY="VALUE" pairs joined by
// commas, each value quoted with the quote it does not contain (the
// parser has no escapes), % doubled for supervisord's expansion.
func supervisordEnv(env map[string]string) string {
	pairs := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		q := `"`
		if strings.Contains(env[k], `"`) {
			q = `'`
		}
		pairs = append(pairs, k+"="+q+env[k]+q)
	}
	return supervisorEscape(strings.Join(pairs, ","))
}

// supervisordCommand is the value of command=: supervisord splits it with
// POSIX shlex, so each word is single-quoted. Its config parser cuts a
// line at whitespace followed by ; or # (an inline comment), so the quote
// is closed and reopened between them. The word [a ;b it's] becomes
//
//	'a '';b' 'it'\''s'
func supervisordCommand(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		var b strings.Builder
		b.WriteByte('\'')
		prev := 'x'
		for _, c := range w {
			switch {
			case c == '\'':
				b.WriteString(`'\''`)
			case (c == ';' || c == '#') && manifest.IsSpace(prev):
				b.WriteString("''")
				b.WriteRune(c)
			default:
				b.WriteRune(c)
			}
			prev = c
		}
		b.WriteByte('\'')
		q[i] = b.String()
	}
	return supervisorEscape(strings.Join(q, " "))
}

// withEnvFile is the command line of args (docker create ...); with env,
// it reads stdin into a new 0600 file that docker create reads with
// --env-file, removed when the command ends.
func withEnvFile(args []string, env bool) string {
	if !env {
		return shell(args...)
	}
	return `f=$(umask 077 && mktemp) || exit 1; trap 'rm -f "$f"' EXIT; cat > "$f" && ` +
		shell(args[:2]...) + ` --env-file "$f" ` + shell(args[2:]...)
}
