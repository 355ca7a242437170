package build

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// entry is one file of a layer, with its content in memory.
type entry struct {
	path string // absolute, clean, in the image
	mode fs.FileMode
	data []byte
	link string // symlink target
}

// layerFromEntries writes entries into a reproducible tar layer: sorted
// paths, every parent directory present, owner root, the same mtime
// everywhere, no user or group names, permission bits only.
func layerFromEntries(entries []entry, mtime time.Time) (v1.Layer, error) {
	all := map[string]entry{}
	for _, e := range entries {
		for dir := path.Dir(e.path); dir != "/"; dir = path.Dir(dir) {
			if _, ok := all[dir]; !ok {
				all[dir] = entry{path: dir, mode: fs.ModeDir | 0o755}
			}
		}
		all[e.path] = e
	}
	paths := make([]string, 0, len(all))
	for p := range all {
		paths = append(paths, p)
	}
	slices.Sort(paths)

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		e := all[p]
		h := &tar.Header{
			Name:    strings.TrimPrefix(p, "/"),
			Mode:    int64(e.mode.Perm()),
			ModTime: mtime,
			Format:  tar.FormatPAX,
		}
		switch {
		case e.mode.IsDir():
			h.Typeflag, h.Name = tar.TypeDir, h.Name+"/"
		case e.mode&fs.ModeSymlink != 0:
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("writing layer entry %s: %w", p, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.data); err != nil {
				return nil, fmt.Errorf("writing layer entry %s: %w", p, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing layer: %w", err)
	}
	b := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("compressing layer: %w", err)
	}
	return layer, nil
}

// filesEntries reads --file sources: a file is copied to DST; a directory's
// contents go under DST. Modes keep their permission bits; symlinks stay
// symlinks.
func filesEntries(dir string, files []File) ([]entry, error) {
	var out []entry
	for _, f := range files {
		src := f.Src
		if !filepath.IsAbs(src) {
			src = filepath.Join(dir, src)
		}
		dst := path.Clean(f.Dst)
		info, err := os.Lstat(src)
		if err != nil {
			return nil, inputErr(fmt.Errorf("file %s: %w", f.Src, err))
		}
		if !info.IsDir() {
			e, err := readEntry(src, dst, info)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
			continue
		}
		err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(src, p)
			if err != nil {
				return err
			}
			target := path.Join(dst, filepath.ToSlash(rel))
			info, err := d.Info()
			if err != nil {
				return err
			}
			if d.IsDir() {
				out = append(out, entry{path: target, mode: fs.ModeDir | info.Mode().Perm()})
				return nil
			}
			e, err := readEntry(p, target, info)
			if err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
		if err != nil {
			return nil, inputErr(fmt.Errorf("file %s: %w", f.Src, err))
		}
	}
	return out, nil
}

func readEntry(src, dst string, info fs.FileInfo) (entry, error) {
	if info.Mode()&fs.ModeSymlink != 0 {
		link, err := os.Readlink(src)
		if err != nil {
			return entry{}, inputErr(fmt.Errorf("reading link %s: %w", src, err))
		}
		return entry{path: dst, mode: fs.ModeSymlink | 0o777, link: link}, nil
	}
	if !info.Mode().IsRegular() {
		return entry{}, inputErr(fmt.Errorf("file %s: not a regular file, directory or symlink", src))
	}
	b, err := os.ReadFile(src) // #nosec G304 -- a file the user's build lists; regular (checked above)
	if err != nil {
		return entry{}, inputErr(fmt.Errorf("reading file %s: %w", src, err))
	}
	return entry{path: dst, mode: info.Mode().Perm(), data: b}, nil
}
