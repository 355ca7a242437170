package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCreateTempFollowsTheUmask changes the process umask, so it does not
// run in parallel with anything.
func TestCreateTempFollowsTheUmask(t *testing.T) {
	for _, tc := range []struct {
		umask int
		want  os.FileMode
	}{{0o022, 0o644}, {0o027, 0o640}, {0o077, 0o600}, {0o002, 0o664}} {
		old := syscall.Umask(tc.umask)
		dir := t.TempDir()
		f, err := CreateTemp(dir, ".summary.json.*")
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		fi, err := os.Stat(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tc.want {
			t.Errorf("umask %03o: mode %v, want %v", tc.umask, got, tc.want)
		}
		if base := filepath.Base(f.Name()); !strings.HasPrefix(base, ".summary.json.") || len(base) != len(".summary.json.")+16 {
			t.Errorf("name %q", base)
		}
	}
}

func TestCreateTempNamesDiffer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seen := map[string]bool{}
	for range 100 {
		f, err := CreateTemp(dir, "x-*.part")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		if seen[f.Name()] || !strings.HasSuffix(f.Name(), ".part") {
			t.Fatalf("name %q", f.Name())
		}
		seen[f.Name()] = true
	}
	if _, err := CreateTemp(dir, "a/b*"); err == nil {
		t.Error("a pattern with a separator was accepted")
	}
}
