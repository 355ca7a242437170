package scenario

import (
	"fmt"
	"os"
	"path/filepath"
)

// ResolvePath returns where a relative path in a scenario points: against
// dir, the scenario's directory, when something is there; else against
// the working directory, where upstream looks, when something is there
// (fromWorkDir); else against dir, so that the error names the place the
// scenario means. An absolute path is itself.
//
// Upstream resolves every path against the working directory, so its
// files (the guide's scenarios/mqtt_test.yaml and its build_context
// containers/mqtt-broker, m3c's models) name paths from the repository's
// root and run from there; a path beside the scenario still wins, so a
// scenario means the same wherever the runner is started.
func ResolvePath(dir, p string) (full string, fromWorkDir bool) {
	if p == "" || filepath.IsAbs(p) {
		return p, false
	}
	full = filepath.Join(dir, p)
	if _, err := os.Stat(full); err == nil {
		return full, false
	}
	if _, err := os.Stat(p); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs, true
		}
	}
	return full, false
}

// WorkDirNote is the note a run gives when key's path p was found only
// relative to the working directory, as upstream finds it.
func WorkDirNote(key, p, full string) string {
	return fmt.Sprintf("%s %s: nothing there relative to the scenario's directory; using %s, relative to the working directory as upstream does", key, p, full)
}
