package deploy

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/xedgesim/simulate/internal/readlimit"
)

// nativeCommand is the binary to take out of the image and its arguments:
// the manifest's binary (or else the image's entrypoint) and the service's
// command (or else the rest of the image's entrypoint and its cmd).
func nativeCommand(img v1.Image, binary string, command []string) (string, []string, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return "", nil, fmt.Errorf("reading the image config: %w", err)
	}
	ep := append(append([]string(nil), cf.Config.Entrypoint...), cf.Config.Cmd...)
	args := command
	if binary == "" {
		if len(ep) == 0 || !strings.HasPrefix(ep[0], "/") {
			return "", nil, &InputError{fmt.Errorf("the image has no entrypoint with an absolute path (%q); set strategy.native.binary", ep)}
		}
		binary = ep[0]
		if args == nil {
			args = ep[1:]
		}
	}
	return binary, args, nil
}

// MaxProgramSize bounds the program the native strategy takes out of an
// image and spools to disk: 1 GiB, ten times the largest static binaries.
const MaxProgramSize int64 = 1 << 30

// extractFile copies the file at name in img's filesystem (following
// symbolic and hard links inside the image) to a temporary file, and
// returns it rewound, with its SHA-256 and size.
func extractFile(img v1.Image, name string) (*os.File, string, int64, error) {
	want := path.Clean("/" + name)
	for hops := 0; hops < 16; hops++ {
		f, sum, size, link, err := extractOnce(img, want, MaxProgramSize)
		if err != nil || link == "" {
			return f, sum, size, err
		}
		want = link
	}
	return nil, "", 0, &InputError{fmt.Errorf("taking %s out of the image: too many links", name)}
}

// extractOnce walks the flattened filesystem once; link is set when want
// is a link, to the path it points at. A file over limit bytes is refused
// before anything is spooled.
func extractOnce(img v1.Image, want string, limit int64) (f *os.File, sum string, size int64, link string, err error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, "", 0, "", &InputError{fmt.Errorf("taking %s out of the image: there is no such file in it; set strategy.native.binary", want)}
		}
		if err != nil {
			return nil, "", 0, "", fmt.Errorf("reading the image's layers: %w", err)
		}
		if path.Clean("/"+h.Name) != want {
			continue
		}
		switch h.Typeflag {
		case tar.TypeSymlink:
			if path.IsAbs(h.Linkname) {
				return nil, "", 0, path.Clean(h.Linkname), nil
			}
			return nil, "", 0, path.Join(path.Dir(want), h.Linkname), nil // #nosec G305 -- a path looked up inside the image, never written to disk
		case tar.TypeLink:
			return nil, "", 0, path.Clean("/" + h.Linkname), nil
		case tar.TypeReg:
		default:
			return nil, "", 0, "", &InputError{fmt.Errorf("taking %s out of the image: it is not a file", want)}
		}
		if h.Size > limit {
			return nil, "", 0, "", &InputError{fmt.Errorf("taking %s out of the image: it is %s, over the limit of %s for a program", want, readlimit.Size(h.Size), readlimit.Size(limit))}
		}
		f, size, sum, err := spool("xedgesim-native-*", func(w io.Writer) error {
			// Within the header's size: the spool on disk is bounded by
			// what was checked above, whatever the layer holds.
			_, err := io.Copy(w, io.LimitReader(tr, h.Size))
			return err
		})
		if err != nil {
			return nil, "", 0, "", fmt.Errorf("taking %s out of the image: %w", want, err)
		}
		return f, sum, size, "", nil
	}
}
