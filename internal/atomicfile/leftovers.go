package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// RemoveLeftovers removes the temporary files a killed process left in dir
// for the given names: .<name>.<16 hex digits>, as CreateTemp(dir,
// "."+name+".*") makes them. A run ended by a signal it can catch removes
// its own; one that was killed cannot, and an hour's CSV is gigabytes.
func RemoveLeftovers(dir string, names []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	var ours map[string]bool // made only when there is a leftover: a fleet has a million names
	var errs []error
	for _, e := range entries {
		name, ok := leftoverOf(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if ours == nil {
			ours = make(map[string]bool, len(names))
			for _, n := range names {
				ours[n] = true
			}
		}
		if !ours[name] {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("removing a killed run's %s: %w", e.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// leftoverOf returns the file a temporary file's name stands for.
func leftoverOf(file string) (string, bool) {
	const hexLen = 16
	if !strings.HasPrefix(file, ".") || len(file) < 1+hexLen+2 || file[len(file)-hexLen-1] != '.' {
		return "", false
	}
	for _, c := range file[len(file)-hexLen:] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return file[1 : len(file)-hexLen-1], true
}
