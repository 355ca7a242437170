package gha

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Annotation places a message on a file and a span of it. Zero fields are
// left out. Lines and columns count from 1.
type Annotation struct {
	// Title is a short heading shown above the message.
	Title string
	// File is the path of the file at fault. Under Actions, a path inside
	// GITHUB_WORKSPACE is rewritten relative to it, so that GitHub can
	// show the annotation on the file in a pull request.
	File string
	// Line and Col mark where the span starts, EndLine and EndColumn
	// where it ends.
	Line, Col          int
	EndLine, EndColumn int
}

// Error reports an error. Under Actions it prints an "::error ...::msg"
// command, which GitHub shows as an annotation on the run and, with a File,
// on that line of the pull request. Elsewhere it prints a plain line such as
// "scenario.yaml:12:5: error: msg" to stderr.
func (r *Runner) Error(msg string, a Annotation) { r.annotate("error", msg, a) }

// Warning reports a warning, like [Runner.Error].
func (r *Runner) Warning(msg string, a Annotation) { r.annotate("warning", msg, a) }

// Notice reports a notice, like [Runner.Error].
func (r *Runner) Notice(msg string, a Annotation) { r.annotate("notice", msg, a) }

// Debugf prints a debug line. Under Actions it is a "::debug::" command, which
// the runner shows only when debug logging is on. Elsewhere it goes to stderr
// only if RUNNER_DEBUG=1, the variable the runner sets for debug logging.
func (r *Runner) Debugf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.InActions() {
		r.command("debug", msg, nil)
		return
	}
	if r.debug() {
		_ = r.write(r.stderr, "debug: "+strings.TrimSuffix(msg, "\n")+"\n")
	}
}

// AddMask asks the runner to replace value with *** in the log from now on.
// Each line of a multiline value is masked on its own, because the runner
// masks log lines one by one; blank lines are skipped. Outside Actions it does
// nothing and prints nothing, since echoing the value would reveal it.
// Unlike the logging methods it returns write errors: a lost mask leaks a
// secret.
func (r *Runner) AddMask(value string) error {
	if !r.InActions() {
		return nil
	}
	var b strings.Builder
	for line := range strings.Lines(value) {
		// The trimmed line is a substring of the raw one, so masking it
		// covers every place the raw line appears.
		if line = strings.TrimSpace(line); line != "" {
			b.WriteString(format("add-mask", line, nil))
		}
	}
	if b.Len() == 0 {
		return nil
	}
	if err := r.write(r.stdout, b.String()); err != nil {
		return fmt.Errorf("masking a value: %w", err)
	}
	return nil
}

// StartGroup starts a collapsible group of log lines titled title, up to
// [Runner.EndGroup]. Groups do not nest on GitHub. Outside Actions it prints
// "== title" to stderr.
func (r *Runner) StartGroup(title string) {
	if r.InActions() {
		r.command("group", title, nil)
		return
	}
	_ = r.write(r.stderr, "== "+title+"\n")
}

// EndGroup ends the group started by [Runner.StartGroup]. Outside Actions it
// prints nothing.
func (r *Runner) EndGroup() {
	if r.InActions() {
		r.command("endgroup", "", nil)
	}
}

// Group runs fn inside a group titled title and returns fn's error. The group
// is ended even if fn panics.
func (r *Runner) Group(title string, fn func() error) error {
	r.StartGroup(title)
	defer r.EndGroup()
	return fn()
}

// annotate prints an annotation command under Actions and a plain line
// elsewhere. Write errors are dropped, as the log package drops them: there
// is nowhere left to report them.
func (r *Runner) annotate(level, msg string, a Annotation) {
	if r.InActions() {
		r.command(level, msg, r.properties(a))
		return
	}
	_ = r.write(r.stderr, human(level, msg, a))
}

// command prints one workflow command to the writer.
func (r *Runner) command(name, msg string, props properties) {
	_ = r.write(r.stdout, format(name, msg, props))
}

// properties are a workflow command's key=value pairs.
type properties map[string]string

// format renders a workflow command line, ::name k=v,k=v::data, with the
// pairs in sorted order, as @actions/core and go-githubactions write it: the
// data escapes % CR LF, and property values also : and , as the runner
// unescapes them. A few lines here rather than go-githubactions, which links
// html/template into every start.
func format(name, msg string, props properties) string {
	var b strings.Builder
	b.WriteString("::")
	b.WriteString(name)
	if len(props) > 0 {
		pairs := make([]string, 0, len(props))
		for k, v := range props {
			pairs = append(pairs, k+"="+propertyEscaper.Replace(v))
		}
		slices.Sort(pairs)
		b.WriteString(" ")
		b.WriteString(strings.Join(pairs, ","))
	}
	b.WriteString("::")
	b.WriteString(dataEscaper.Replace(msg))
	b.WriteString("\n")
	return b.String()
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

// properties maps an Annotation to the property names @actions/core uses.
func (r *Runner) properties(a Annotation) properties {
	p := properties{}
	if a.Title != "" {
		p["title"] = a.Title
	}
	if a.File != "" {
		p["file"] = r.workspacePath(a.File)
	}
	for k, v := range map[string]int{"line": a.Line, "col": a.Col, "endLine": a.EndLine, "endColumn": a.EndColumn} {
		if v > 0 {
			p[k] = strconv.Itoa(v)
		}
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// workspacePath returns file relative to GITHUB_WORKSPACE, with forward
// slashes, which is how GitHub matches annotations to repository files.
// Relative paths are taken from the working directory, which differs from
// the workspace under "working-directory:". A file outside the workspace,
// or any doubt, keeps the path as given.
func (r *Runner) workspacePath(file string) string {
	ws := r.getenv("GITHUB_WORKSPACE")
	if ws == "" {
		return file
	}
	abs := file
	if !filepath.IsAbs(abs) {
		wd, err := r.getwd()
		if err != nil {
			return file
		}
		abs = filepath.Join(wd, abs)
	}
	rel, err := filepath.Rel(ws, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return file
	}
	return filepath.ToSlash(rel)
}

// human renders an annotation the way compilers do:
// "file:line:col: level: title: msg".
func human(level, msg string, a Annotation) string {
	var b strings.Builder
	if a.File != "" {
		b.WriteString(a.File)
		if a.Line > 0 {
			fmt.Fprintf(&b, ":%d", a.Line)
			if a.Col > 0 {
				fmt.Fprintf(&b, ":%d", a.Col)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(level)
	b.WriteString(": ")
	if a.Title != "" {
		b.WriteString(a.Title)
		b.WriteString(": ")
	}
	b.WriteString(strings.TrimSuffix(msg, "\n"))
	b.WriteString("\n")
	return b.String()
}
