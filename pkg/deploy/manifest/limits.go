package manifest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xedgesim/simulate/internal/readlimit"
)

// Limits on the files a manifest names. The manifest and its compose file
// are read whole into memory; files: sources are streamed to every host.
const (
	// MaxFileSize bounds the manifest and its compose file: 4 MiB, far
	// beyond any hand-written YAML.
	MaxFileSize int64 = 4 << 20
	// MaxCopySize bounds each service.files source: 64 MiB. Larger
	// payloads belong in the image.
	MaxCopySize int64 = 64 << 20
)

// readManifestFile reads a YAML file the manifest names (or the manifest
// itself): a regular file of at most MaxFileSize bytes. A device or FIFO
// would be read until memory ran out, or block the open.
func readManifestFile(path string) ([]byte, error) {
	return readlimit.ReadFile(path, MaxFileSize)
}

// fileHint says how to fix a read error of a file the manifest names.
func fileHint(err error, what string) string {
	var tl *readlimit.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "the path is relative to the manifest's directory"
	case errors.Is(err, readlimit.ErrNotRegular):
		return "name a regular file"
	case errors.As(err, &tl):
		return fmt.Sprintf("a %s this large is a mistake; keep it under %s", what, readlimit.Size(tl.Limit))
	}
	return ""
}

// checkCopySources refuses, at its item's line, a files: source that
// exists but is not a regular file or is over MaxCopySize. A missing one is
// left to the deploy, which names it the same way: a manifest may be
// checked where the files are not.
func (d *decoder) checkCopySources(m *Manifest) {
	for i, f := range m.Service.Files {
		if f.Src == "" {
			continue
		}
		path := f.Src
		if !filepath.IsAbs(path) {
			path = filepath.Join(m.Dir, path)
		}
		st, err := os.Stat(path)
		if err != nil {
			continue
		}
		what := fmt.Sprintf("service.files[%d].src %s", i, strconv.Quote(f.Src))
		switch {
		case !st.Mode().IsRegular():
			d.Add(Diagnostic{Pos: f.Pos, Message: what + " is not a regular file", Hint: "name a regular file"})
		case st.Size() > MaxCopySize:
			d.Add(Diagnostic{Pos: f.Pos, Message: fmt.Sprintf("%s is larger than the limit of %s", what, readlimit.Size(MaxCopySize)), Hint: "copy large payloads in the image"})
		}
	}
}
