package build

// InputError is a mistake in what the user asked for: a platform, a package
// that is not a main package, a missing Dockerfile, a base image that cannot
// be reached. Its exit code is 3.
type InputError struct {
	Err error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode implements the exit-code convention of the xedgesim binary.
func (e *InputError) ExitCode() int { return 3 }

func inputErr(err error) error {
	if err == nil {
		return nil
	}
	return &InputError{Err: err}
}
