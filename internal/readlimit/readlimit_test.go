package readlimit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		limit      int64
		want       string // the error's text, or "" for success
		isErr      error
	}{
		{"small", small, 5, "", nil},
		{"over the limit", small, 4, "the file is larger than the limit of 4 bytes", nil},
		{"/dev/zero", "/dev/zero", 1 << 20, "not a regular file (a character device)", ErrNotRegular},
		{"a FIFO without a writer", fifo, 1 << 20, "not a regular file (a FIFO)", ErrNotRegular},
		{"a directory", dir, 1 << 20, "not a regular file (a directory)", ErrNotRegular},
		{"missing", filepath.Join(dir, "none"), 1, "no such file", fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				defer close(done)
				data, err = ReadFile(tc.path, tc.limit)
			}()
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Fatalf("ReadFile(%s) did not return", tc.path)
			}
			if tc.want == "" {
				if err != nil || string(data) != "hello" {
					t.Fatalf("ReadFile = %q, %v", data, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("ReadFile = %v, want an error naming the path and saying %q", err, tc.want)
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Errorf("%v is not %v", err, tc.isErr)
			}
			var tl *TooLargeError
			if tc.name == "over the limit" && (!errors.As(err, &tl) || tl.Size != 5 || tl.Limit != 4) {
				t.Errorf("%v: want a *TooLargeError{5, 4}", err)
			}
		})
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1 KiB", 16 << 20: "16 MiB", 3 << 29: "1.5 GiB"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
