package untar

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeTar(t *testing.T, entries func(tw *tar.Writer)) string {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	entries(tw)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "a.tar")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func file(t *testing.T, tw *tar.Writer, name, body string) {
	t.Helper()
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
}

// Not parallel: one case lowers maxEntries.
func TestExtractIsBounded(t *testing.T) {
	good := writeTar(t, func(tw *tar.Writer) {
		file(t, tw, "oci-layout", `{"imageLayoutVersion":"1.0.0"}`)
		file(t, tw, "blobs/sha256/ab", "blob")
	})
	dir := t.TempDir()
	if err := Extract(good, dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "blobs/sha256/ab")); err != nil || string(b) != "blob" {
		t.Fatalf("extracted %q, %v", b, err)
	}

	fifo := filepath.Join(t.TempDir(), "fifo.tar")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	many := writeTar(t, func(tw *tar.Writer) {
		for i := range 11 {
			file(t, tw, strings.Repeat("d", i+1), "")
		}
	})
	escape := writeTar(t, func(tw *tar.Writer) { file(t, tw, "../x", "x") })
	old := maxEntries
	maxEntries = 10
	defer func() { maxEntries = old }()
	for _, tc := range []struct{ file, want string }{
		{fifo, "not a regular file (a FIFO)"},
		{"/dev/zero", "not a regular file (a character device)"},
		{many, "the archive has more than 10 entries"},
		{escape, `unsafe path "../x"`},
	} {
		done := make(chan error, 1)
		go func() { done <- Extract(tc.file, t.TempDir()) }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Extract(%s) = %v, want %q", tc.file, err, tc.want)
			}
		case <-time.After(time.Minute):
			t.Fatalf("Extract(%s) did not return", tc.file)
		}
	}
}
