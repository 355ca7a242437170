package readlimit

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is wrapped by the error for a device, FIFO, socket or
// directory.
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError is a file over the limit.
type TooLargeError struct {
	Size, Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the file is larger than the limit of %s", Size(e.Limit))
}

// Open opens path for reading if it is a regular file of at most limit
// bytes, and returns it with its size. It never blocks on a FIFO.
func Open(path string, limit int64) (*os.File, int64, error) {
	// O_NONBLOCK: opening a FIFO for reading would wait for a writer. It
	// changes nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // #nosec G304 -- the path is one the user named in a command line or file; reading it is the point
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w (%s)", ErrNotRegular, kind(st.Mode()))}
	}
	if st.Size() > limit {
		_ = f.Close()
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: &TooLargeError{Size: st.Size(), Limit: limit}}
	}
	return f, st.Size(), nil
}

// ReadFile reads path as os.ReadFile does, if it is a regular file of at
// most limit bytes. A file that grows past limit while it is read is
// refused too.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, size, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &fs.PathError{Op: "read", Path: path, Err: &TooLargeError{Size: max(size, int64(len(data))), Limit: limit}}
	}
	return data, nil
}

// Size renders a byte count for messages: 16 MiB, 1.5 GiB, 512 bytes.
func Size(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
	)
	switch {
	case n >= gib:
		return trim(float64(n)/gib) + " GiB"
	case n >= mib:
		return trim(float64(n)/mib) + " MiB"
	case n >= kib:
		return trim(float64(n)/kib) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trim(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}
