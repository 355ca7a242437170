package deploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// Upload writes dst through a temporary file beside it and a rename, as
// over SSH.
func (localConn) Upload(_ context.Context, r io.Reader, size int64, dst, mode string, progress func(int64)) error {
	perm, err := strconv.ParseUint(mode, 8, 32)
	if err != nil {
		return fmt.Errorf("copying to %s: mode %q: %w", dst, mode, err)
	}
	// Beside dst, so the rename cannot cross file systems; 0600 until the
	// copy is whole and gets its mode.
	f, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".xedgesim-*.part")
	if err != nil {
		return fmt.Errorf("copying to %s: %w", dst, err)
	}
	tmp := f.Name()
	if progress == nil {
		progress = func(int64) {}
	}
	n, err := io.Copy(f, &transport.CountingReader{R: io.LimitReader(r, size), Progress: progress})
	if err == nil && n != size {
		err = fmt.Errorf("copied %d of %d bytes", n, size)
	}
	if err == nil {
		err = f.Chmod(os.FileMode(perm))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("copying to %s: %w", dst, err)
	}
	return nil
}
