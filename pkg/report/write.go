package report

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/xedgesim/simulate/internal/atomicfile"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
)

type histogram = netmodel.Histogram

// WriteFile writes data to dir/name atomically: a reader never sees half a
// report, and a failed write leaves the old file (or none).
func WriteFile(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- the results directory, for CI uploaders
		return fmt.Errorf("creating results directory: %w", err)
	}
	f, err := atomicfile.CreateTemp(dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", name, firstErr(werr, cerr))
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
