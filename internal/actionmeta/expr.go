package actionmeta

import (
	"regexp"
	"strings"
)

// expression is one ${{ ... }} in a string: the text between the braces and
// the byte offset of "${{".
type expression struct {
	text   string
	offset int
}

// expressions returns the ${{ ... }} expressions in s, in order. An
// unterminated "${{" runs to the end of s, as the runner would reject it
// anyway and a check should still see what it contains.
func expressions(s string) []expression {
	var out []expression
	for i := 0; ; {
		start := strings.Index(s[i:], "${{")
		if start < 0 {
			return out
		}
		start += i
		body := start + len("${{")
		end := strings.Index(s[body:], "}}")
		if end < 0 {
			return append(out, expression{text: strings.TrimSpace(s[body:]), offset: start})
		}
		out = append(out, expression{text: strings.TrimSpace(s[body : body+end]), offset: start})
		i = body + end + len("}}")
	}
}

// Context names are case-insensitive, and a context is a name that is not a
// property of something else: "github.event.inputs.x" reads github, not
// inputs. notAfter is what may not come before a context name.
const notAfter = `(?:^|[^A-Za-z0-9_.\-])`

var (
	// contextRef finds every use of a context (inputs, secrets) by name.
	inputsRef  = regexp.MustCompile(`(?i)` + notAfter + `inputs(?:[^A-Za-z0-9_\-]|$)`)
	secretsRef = regexp.MustCompile(`(?i)` + notAfter + `secrets(?:[^A-Za-z0-9_\-]|$)`)

	// inputProperty finds inputs.<name> and inputs['<name>'].
	inputProperty = regexp.MustCompile(`(?i)` + notAfter + `inputs\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_\-]*)|\[\s*'([^']*)'\s*\])`)
	// secretProperty finds secrets.<name> and secrets['<name>'].
	secretProperty = regexp.MustCompile(`(?i)` + notAfter + `secrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_\-]*)|\[\s*'([^']*)'\s*\])`)
	// stepOutput finds steps.<id>.outputs.<name>.
	stepOutput = regexp.MustCompile(`(?i)` + notAfter + `steps\s*\.\s*([A-Za-z_][A-Za-z0-9_\-]*)\s*\.\s*outputs\s*\.\s*([A-Za-z_][A-Za-z0-9_\-]*)`)
	// untrusted finds the github context's fields that carry text an
	// outsider writes: the whole event payload (titles, bodies, branch
	// names, commit messages) and the head branch name.
	untrusted = regexp.MustCompile(`(?i)` + notAfter + `github\s*(?:\.\s*(?:event|head_ref)(?:[^A-Za-z0-9_\-]|$)|\[\s*'(?:event|head_ref)'\s*\])`)
)

// properties returns the property names re (inputProperty or
// secretProperty) finds in expr, lower-cased, in order.
func properties(re *regexp.Regexp, expr string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		if name == "" {
			name = m[2]
		}
		out = append(out, strings.ToLower(name))
	}
	return out
}

// inputRefs returns the inputs the expressions in s read, lower-cased.
func inputRefs(s string) []string {
	var out []string
	for _, e := range expressions(s) {
		out = append(out, properties(inputProperty, e.text)...)
	}
	return out
}

// inputEnv is the variable the binary reads an input from (go-githubactions'
// GetInput): spaces become underscores, hyphens stay, the name is
// upper-cased.
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}
