package gha

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// SetOutput sets the step output name to value, which may span lines.
//
// Under Actions it appends a heredoc record to the file named by
// GITHUB_OUTPUT. When GITHUB_OUTPUT is unset (a local run) it prints the
// output to the writer instead: "name=value" for a one-line value, the same
// heredoc record for a multiline one. Either way the name and value are
// validated first, so a local run catches what Actions would reject.
func (r *Runner) SetOutput(name, value string) error {
	if err := r.setFileVar("GITHUB_OUTPUT", name, value, true); err != nil {
		return fmt.Errorf("writing output %q: %w", name, err)
	}
	return nil
}

// SetEnv sets the environment variable name to value for the later steps of
// the job, through the file named by GITHUB_ENV. Without GITHUB_ENV it only
// validates: outside Actions there is no later step.
func (r *Runner) SetEnv(name, value string) error {
	if err := r.setFileVar("GITHUB_ENV", name, value, false); err != nil {
		return fmt.Errorf("writing environment variable %q: %w", name, err)
	}
	return nil
}

// setFileVar validates name and value, then appends a record to the file
// named by the variable fileEnv, or, if it is unset, prints it to the writer
// when fallback is true.
func (r *Runner) setFileVar(fileEnv, name, value string, fallback bool) error {
	delim := r.newDelimiter()
	if err := checkRecord(name, value, delim); err != nil {
		return err
	}
	path := r.getenv(fileEnv)
	if path == "" {
		if !fallback {
			return nil
		}
		if !strings.ContainsAny(value, "\r\n") {
			return r.write(r.stdout, name+"="+value+"\n")
		}
		return r.write(r.stdout, heredoc(name, value, delim))
	}
	return r.appendFile(fileEnv, path, heredoc(name, value, delim))
}

// heredoc formats one environment-file record. The runner reads the lines
// after "name<<delim" up to a line equal to delim; LF line ends are accepted
// on every runner OS.
func heredoc(name, value, delim string) string {
	return name + "<<" + delim + "\n" + value + "\n" + delim + "\n"
}

// checkRecord rejects what would make the runner split the file differently
// from what we meant: the runner takes a line as "name=value" if "=" comes
// before "<<", so a name may contain neither, nor a line break, and no part
// of the record may contain the delimiter that closes it.
func checkRecord(name, value, delim string) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case strings.ContainsAny(name, "\r\n"):
		return errors.New("name contains a line break")
	case strings.Contains(name, "="):
		return errors.New(`name contains "="`)
	case strings.Contains(name, "<<"):
		return errors.New(`name contains "<<"`)
	case strings.Contains(name, delim):
		return errors.New("name contains the heredoc delimiter")
	case strings.Contains(value, delim):
		return errors.New("value contains the heredoc delimiter")
	}
	return nil
}

// appendFile appends s to the environment file at path in one write, under
// the lock.
func (r *Runner) appendFile(fileEnv, path, s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return appendLocked(fileEnv, path, s)
}

// appendLocked appends s to the file at path in one write. The caller holds
// r.mu.
func appendLocked(fileEnv, path, s string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600) // #nosec G304 -- the runner's own file, named by GITHUB_ENV or GITHUB_OUTPUT
	if err != nil {
		return fmt.Errorf("opening %s: %w", fileEnv, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing %s: %w", fileEnv, cerr)
		}
	}()
	if _, err := f.WriteString(s); err != nil {
		return fmt.Errorf("appending to %s: %w", fileEnv, err)
	}
	return nil
}
