package main

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// umask reads the process umask without changing it (Linux 4.7 and later);
// changing it would race with every parallel test that creates files.
func umask(t *testing.T) os.FileMode {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				t.Fatal(err)
			}
			return os.FileMode(m)
		}
	}
	t.Skip("the kernel does not report the umask")
	return 0
}

// TestReportsFollowTheUmask: reports and CSVs were written 0600 (the mode
// of os.CreateTemp), so a CI step uploading them as another user, or a
// colleague on a shared machine, could not read them.
func TestReportsFollowTheUmask(t *testing.T) {
	t.Parallel()
	want := 0o666 &^ umask(t)
	out := t.TempDir()
	r := cli(t, "simulate", "--seeds", "1-2", "--csv", "--out", out, m0)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var files []string
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files = append(files, path)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Both kinds the fix touches: the reports and the CSVs.
	var reports, csvs int
	for _, f := range files {
		switch {
		case strings.HasSuffix(f, "_metrics.csv"):
			csvs++
		case strings.HasSuffix(f, ".json"), strings.HasSuffix(f, ".xml"), strings.HasSuffix(f, ".md"), strings.HasSuffix(f, ".html"):
			reports++
		}
	}
	if reports == 0 || csvs == 0 {
		t.Errorf("%d reports and %d CSVs in %v", reports, csvs, files)
	}
}
