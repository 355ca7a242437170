package gha

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Runner reads inputs from and writes results to the GitHub Actions runner.
// Build one with [New]; the zero value is not usable.
type Runner struct {
	getenv       func(string) string
	getwd        func() (string, error)
	stdout       io.Writer
	stderr       io.Writer
	newDelimiter func() string

	// mu serialises writes so that concurrent callers never interleave
	// parts of two commands or two environment-file records.
	mu sync.Mutex
}

// Option configures a [Runner].
type Option func(*options) error

type options struct {
	getenv       func(string) string
	getwd        func() (string, error)
	stdout       io.Writer
	stderr       io.Writer
	newDelimiter func() string
}

// makeOptions holds every default in one place.
func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		getenv:       os.Getenv,
		getwd:        os.Getwd,
		stdout:       os.Stdout,
		stderr:       os.Stderr,
		newDelimiter: randomDelimiter,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithGetenv sets the function that reads environment variables (default
// [os.Getenv]). Tests pass a map-backed function.
func WithGetenv(getenv func(string) string) Option {
	return func(o *options) error {
		if getenv == nil {
			return errors.New("getenv must not be nil")
		}
		o.getenv = getenv
		return nil
	}
}

// WithWriter sets where workflow commands go, and outputs when GITHUB_OUTPUT
// is unset (default [os.Stdout]). The runner reads commands from stdout.
func WithWriter(w io.Writer) Option {
	return func(o *options) error {
		if w == nil {
			return errors.New("writer must not be nil")
		}
		o.stdout = w
		return nil
	}
}

// WithStderr sets where annotations, groups and debug lines go as plain text
// when not running under Actions (default [os.Stderr]).
func WithStderr(w io.Writer) Option {
	return func(o *options) error {
		if w == nil {
			return errors.New("stderr writer must not be nil")
		}
		o.stderr = w
		return nil
	}
}

// withGetwd replaces [os.Getwd], which resolves relative annotation paths.
// Test seam.
func withGetwd(getwd func() (string, error)) Option {
	return func(o *options) error {
		o.getwd = getwd
		return nil
	}
}

// withDelimiter replaces the random heredoc delimiter. Test seam: it lets a
// test know the delimiter and try to forge it.
func withDelimiter(newDelimiter func() string) Option {
	return func(o *options) error {
		o.newDelimiter = newDelimiter
		return nil
	}
}

// New returns a Runner configured by opts. It reads no environment variable
// yet, so it can be built before the environment is known to be complete.
func New(opts ...Option) (*Runner, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring actions runner: %w", err)
	}
	return &Runner{
		getenv:       o.getenv,
		getwd:        o.getwd,
		stdout:       o.stdout,
		stderr:       o.stderr,
		newDelimiter: o.newDelimiter,
	}, nil
}

// InActions reports whether the process runs as a GitHub Actions step, that
// is whether GITHUB_ACTIONS is "true" (act sets it too).
func (r *Runner) InActions() bool {
	return r.getenv("GITHUB_ACTIONS") == "true"
}

// debug reports whether debug lines should be shown. The runner sets
// RUNNER_DEBUG=1 when a workflow is re-run with debug logging; honouring it
// outside Actions gives local runs the same switch.
func (r *Runner) debug() bool {
	return r.getenv("RUNNER_DEBUG") == "1"
}

// randomDelimiter returns a heredoc delimiter that no value can predict:
// 128 random bits, in the shape @actions/core uses.
func randomDelimiter() string {
	var b [16]byte
	// crypto/rand.Read never returns an error since Go 1.24; it crashes
	// the program instead of handing out a weak delimiter.
	_, _ = rand.Read(b[:])
	return "ghadelimiter_" + hex.EncodeToString(b[:])
}

// write writes s to w in one call, under the lock.
func (r *Runner) write(w io.Writer, s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, err := io.WriteString(w, s)
	return err
}
