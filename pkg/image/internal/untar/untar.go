// Package untar unpacks the tarballs the image packages read: buildx's OCI
// layout output and OCI layout archives given to push.
package untar

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/xedgesim/simulate/internal/readlimit"
)

// maxEntries bounds the entries of one archive: an OCI layout holds a few
// blobs per platform, not millions of files. A variable for the tests.
var maxEntries = 100_000

// Extract unpacks the directories and regular files of the tarball at file
// into dir, refusing any entry whose path is not local to dir (absolute,
// leaving it with "..", or otherwise not filepath.IsLocal). Other entry
// types (links, devices) are skipped.
//
// What it writes is bounded by the archive's own size: a tar stores every
// byte of its files, so only sparse entries could expand beyond it, and
// those are what a crafted archive would use to fill the disk. The archive
// must be a regular file (a FIFO or device is refused, not waited on).
func Extract(file, dir string) error {
	f, size, err := readlimit.Open(file, math.MaxInt64)
	if err != nil {
		return err
	}
	defer f.Close()
	budget := size
	tr := tar.NewReader(f)
	for entries := 0; ; entries++ {
		if entries >= maxEntries {
			return fmt.Errorf("the archive has more than %d entries", maxEntries)
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("unsafe path %q in archive", h.Name)
		}
		p := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil { // #nosec G301 -- a directory of an image, under our extraction dir
				return err
			}
		case tar.TypeReg:
			if h.Size > budget {
				return fmt.Errorf("%s: the archive's files add up to more than its own %d bytes", h.Name, size)
			}
			budget -= h.Size
			if err := writeFile(p, io.LimitReader(tr, h.Size)); err != nil {
				return err
			}
		}
	}
}

// writeFile writes r to path, making its parent directories.
func writeFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil { // #nosec G301 -- parents inside our extraction dir
		return err
	}
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644) // #nosec G304 G302 -- a local name (checked) under our extraction dir; image files are not secret
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}
