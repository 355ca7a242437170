package registry

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenTarRefusesWhatIsNotAFile: push tar:<FIFO> waited for a writer
// for ever, and tar:/dev/zero read zeros for ever; both are bad input now.
func TestOpenTarRefusesWhatIsNotAFile(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "image.tar")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, "/dev/zero"} {
		done := make(chan error, 1)
		go func() {
			_, err := openTar(p)
			done <- err
		}()
		select {
		case err := <-done:
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("openTar(%s) = %v, want bad input saying it is not a regular file", p, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("openTar(%s) did not return", p)
		}
	}
}
