package gha

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// newTestRunner returns a Runner whose environment is env and whose stdout
// and stderr are buffers.
func newTestRunner(t *testing.T, env map[string]string, opts ...Option) (r *Runner, stdout, stderr *bytes.Buffer) {
	t.Helper()
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	getenv := func(k string) string { return env[k] }
	all := append([]Option{WithGetenv(getenv), WithWriter(stdout), WithStderr(stderr)}, opts...)
	r, err := New(all...)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return r, stdout, stderr
}

// inActions is the minimal environment of a step.
func inActions(kv ...string) map[string]string {
	env := map[string]string{"GITHUB_ACTIONS": "true"}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

// record is one name and value read back from an environment file.
type record struct {
	Name, Value string
}

// parseEnvFile reads an environment file the way the runner does
// (FileCommandManager.cs, SetEnvFileCommand, LF line ends): a line is
// "name=value" if "=" comes before "<<", otherwise "name<<delimiter"
// followed by value lines up to a line equal to the delimiter.
func parseEnvFile(text string) ([]record, error) {
	var out []record
	lines := strings.SplitAfter(text, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSuffix(lines[i], "\n")
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		switch {
		case eq >= 0 && (hd < 0 || eq < hd):
			out = append(out, record{line[:eq], line[eq+1:]})
		case hd >= 0:
			name, delim := line[:hd], line[hd+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("invalid format %q: empty name or delimiter", line)
			}
			var value strings.Builder
			found := false
			for i++; i < len(lines); i++ {
				if strings.TrimSuffix(lines[i], "\n") == delim {
					found = true
					break
				}
				value.WriteString(lines[i])
			}
			if !found {
				return nil, fmt.Errorf("matching delimiter not found %q", delim)
			}
			// The newline before the delimiter line ends the record, not
			// the value.
			out = append(out, record{name, strings.TrimSuffix(value.String(), "\n")})
		default:
			return nil, fmt.Errorf("invalid format %q", line)
		}
	}
	return out, nil
}

func TestParseEnvFile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want []record
	}{
		{"short form", "a=b\nc=d=e\n", []record{{"a", "b"}, {"c", "d=e"}}},
		{"heredoc", "a<<EOF\nx\ny\nEOF\n", []record{{"a", "x\ny"}}},
		{"empty heredoc", "a<<EOF\nEOF\n", []record{{"a", ""}}},
		{"trailing newline kept", "a<<EOF\nx\n\nEOF\n", []record{{"a", "x\n"}}},
		{"equals before heredoc", "a=b<<EOF\n", []record{{"a", "b<<EOF"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseEnvFile(tc.in)
			if err != nil {
				t.Fatalf("parseEnvFile(%q) = %v", tc.in, err)
			}
			if diff := cmpDiff(tc.want, got); diff != "" {
				t.Errorf("parseEnvFile(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
	if _, err := parseEnvFile("a<<EOF\nx\n"); err == nil {
		t.Error("parseEnvFile(unterminated heredoc) = nil error, want an error")
	}
}

// errWriter fails every write.
type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk on fire") }
