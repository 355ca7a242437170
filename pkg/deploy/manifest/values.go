package manifest

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The values a manifest hands to a host's tools (env, command arguments)
// end up in files those tools parse line by line: a systemd unit, a
// supervisord section, a docker env file. A newline in a value would start
// a directive of its own there, so values are checked at load, before
// anything is sent.

// EnvName is the charset of environment variable names: the one systemd
// and the shell accept, and so the one every strategy takes.
var EnvName = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ControlChar returns a description of the first character of s that no
// config file line can carry (a control character, or bytes that are not
// UTF-8), or "" when there is none.
func ControlChar(s string) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Sprintf("a byte that is not UTF-8 at offset %d", i)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Sprintf("the control character U+%04X at offset %d", r, i)
		}
	}
	return ""
}

// checkValue reports a value with a control character at n.
func (d *decoder) checkValue(n *yaml.Node, what, s string) bool {
	if c := ControlChar(s); c != "" {
		d.Errorf(n, "", "write it on one line without control characters; a value that needs newlines belongs in a file (service.files)",
			"%s has %s: it would break the line it is written on in the host's config", what, c)
		return false
	}
	return true
}

// checkEnv checks the names and values of an env: mapping.
func (d *decoder) checkEnv(n *yaml.Node, what string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !EnvName().MatchString(k.Value) {
			d.Errorf(k, "", "use letters, digits and _, not starting with a digit", "%s: %q is not a valid environment variable name", what, k.Value)
			continue
		}
		if v.Kind == yaml.ScalarNode {
			d.checkValue(v, what+"."+k.Value, v.Value)
		}
	}
}

// SupervisordValue tells why v cannot be an environment= value of a
// supervisord program section, or "" when it can. supervisord splits
// environment= with Python's shlex in its non-POSIX mode (no escapes: a
// quoted value cannot hold its own quote), strips quote characters from
// both ends of every value, and cuts a line at " ;" or " #" (inline
// comments).
func SupervisordValue(v string) string {
	switch {
	case strings.Contains(v, `"`) && strings.Contains(v, `'`):
		return "has both ' and \", which supervisord's environment= cannot quote"
	case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, `'`) || strings.HasSuffix(v, `"`) || strings.HasSuffix(v, `'`):
		return "starts or ends with a quote, which supervisord strips from environment= values"
	case strings.Contains(v, supervisordHere):
		return "has " + supervisordHere + ", which supervisord replaces with its config's directory even when escaped"
	case inlineComment(v):
		return `has a space before ";" or "#", where supervisord's config parser cuts the line (an inline comment)`
	}
	return ""
}

// supervisordHere is the text supervisord replaces in every value of an
// included file, before and regardless of %% escapes.
const supervisordHere = "%(here)s"

// inlineComment tells whether s has whitespace followed by ; or #.
func inlineComment(s string) bool {
	prev := 'x'
	for _, r := range s {
		if (r == ';' || r == '#') && IsSpace(prev) {
			return true
		}
		prev = r
	}
	return false
}

// IsSpace is whitespace as Python's str.isspace sees it, which decides
// where supervisord's config parser finds an inline comment.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || (r >= 0x1c && r <= 0x1f)
}

// checkSupervisordEnv checks service.env's values against what supervisord
// can read.
func (d *decoder) checkSupervisordEnv() {
	envs := []*yaml.Node{mapValue(mapValue(d.root, "service"), "env")}
	if hosts := mapValue(d.root, "hosts"); hosts != nil && hosts.Kind == yaml.SequenceNode {
		for _, h := range hosts.Content {
			envs = append(envs, mapValue(h, "env"))
		}
	}
	for _, env := range envs {
		if env == nil || env.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(env.Content); i += 2 {
			k, v := env.Content[i], env.Content[i+1]
			if v.Kind != yaml.ScalarNode || ControlChar(v.Value) != "" {
				continue
			}
			if why := SupervisordValue(v.Value); why != "" {
				d.Errorf(v, "", "change the value, or write supervisor: systemd (its environment file takes any value)", "env %s %s", k.Value, why)
			}
		}
	}
	cmd := mapValue(mapValue(d.root, "service"), "command")
	if cmd == nil || cmd.Kind != yaml.SequenceNode {
		return
	}
	for i, a := range cmd.Content {
		if strings.Contains(a.Value, supervisordHere) {
			d.Errorf(a, "", "change the argument, or write supervisor: systemd", "service.command[%d] has %s, which supervisord replaces with its config's directory even when escaped", i, supervisordHere)
		}
	}
}
