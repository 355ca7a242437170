package container

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/xedgesim/simulate/internal/engine"
	imagebuild "github.com/xedgesim/simulate/pkg/image/build"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

var _ node.Platformed = (*Node)(nil)

// ranImage is what a run records of the platform image a container ran,
// beside its reference and digest.
type ranImage struct {
	// platform is os/arch[/variant] as the engine has the image.
	platform string
	// digest is the platform image's manifest digest, known when it came
	// from an OCI layout: the one a device of that platform pulls from the
	// pushed index.
	digest string
	// size is the compressed size of its config and layers, in bytes, as a
	// registry stores them; 0 until measured.
	size int64
}

// Platform implements node.Platformed.
func (d *Node) Platform() (platform, digest string) { return d.ran.platform, d.ran.digest }

// platform reads docker.platform: os/arch[/variant], such as linux/arm64.
func (d *dockerReader) platform(v any) string {
	s, _ := v.(string)
	p, err := imagebuild.ParsePlatform(s)
	if err != nil {
		var ie *imagebuild.InputError
		if errors.As(err, &ie) {
			err = ie.Err
		}
		d.fail("platform", "%v", err)
		return ""
	}
	return imagebuild.PlatformString(p)
}

// wantPlatform is the platform a node's image must be for: docker.platform,
// else this machine's.
func (s dockerSpec) wantPlatform() v1.Platform {
	if s.platform != "" {
		if p, err := imagebuild.ParsePlatform(s.platform); err == nil {
			return p
		}
	}
	return hostPlatform()
}

// platformOf formats the engine's record of an image's platform.
func platformOf(img engine.ImageInfo) string {
	p := img.Os + "/" + img.Architecture
	if img.Variant != "" {
		p += "/" + img.Variant
	}
	return p
}

// checkPlatform refuses an image in the engine that is not for the
// platform docker.platform asks for: the engine would run it anyway, and
// the gate would pass on another digest than the device runs.
func (d *Node) checkPlatform(img engine.ImageInfo) error {
	if d.spec.platform == "" || img.Architecture == "" {
		return nil
	}
	if samePlatform(v1.Platform{OS: img.Os, Architecture: img.Architecture, Variant: img.Variant}, d.spec.wantPlatform()) {
		return nil
	}
	return d.at(fmt.Errorf("docker.platform: image %s is for %s, not %s (simulate never pulls; build it for that platform, e.g. xedgesim build --platform %s, and pass its oci: layout)",
		d.imageRef, platformOf(img), d.spec.platform, d.spec.platform))
}

// imageSize measures the compressed size of an image in the engine when
// its layout did not say: the engine keeps layers uncompressed, so they are
// read through `docker save` and gzipped, as a push would, and only the
// compressed bytes are counted.
func imageSize(ctx context.Context, cli *engine.Client, ref string) (int64, error) {
	rc, err := cli.ImageSave(ctx, ref)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	var total int64
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return 0, fmt.Errorf("reading the saved image: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		// Engines before 25 save <id>/layer.tar and <config>.json; later
		// ones the OCI form, where blobs/ holds layers, configs and
		// manifests alike: all are counted gzipped there, which adds a few
		// hundred bytes of manifest to the figure.
		name := path.Base(h.Name)
		switch {
		case name == "layer.tar" || strings.HasPrefix(h.Name, "blobs/"):
			n, err := gzippedSize(tr)
			if err != nil {
				return 0, fmt.Errorf("reading the saved image: %w", err)
			}
			total += n
		case strings.HasSuffix(name, ".json") && name != "manifest.json" && name != "json" && !strings.HasPrefix(h.Name, "repositories"):
			total += h.Size // the image config
		}
	}
}

// gzippedSize is how many bytes r takes gzipped.
func gzippedSize(r io.Reader) (int64, error) {
	var c countWriter
	zw := gzip.NewWriter(&c)
	if _, err := io.Copy(zw, r); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	return int64(c), nil
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// layoutSize is the compressed size of an image from a layout: its
// config and layers as its manifest lists them.
func layoutSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, fmt.Errorf("reading the image's manifest: %w", err)
	}
	total := m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}

// hostPlatform is this machine's platform, the one an image runs without
// emulation.
func hostPlatform() v1.Platform { return v1.Platform{OS: "linux", Architecture: runtime.GOARCH} }

// samePlatform tells whether an image for have serves want: same os and
// architecture, and the variant when want names one.
func samePlatform(have, want v1.Platform) bool {
	return have.OS == want.OS && have.Architecture == want.Architecture && (want.Variant == "" || have.Variant == want.Variant)
}

// layoutImage is what a run records of an image from an OCI layout or a
// build: its platform, manifest digest and compressed size.
func layoutImage(img v1.Image) (ranImage, error) {
	dg, err := img.Digest()
	if err != nil {
		return ranImage{}, fmt.Errorf("reading image digest: %w", err)
	}
	size, err := layoutSize(img)
	if err != nil {
		return ranImage{}, err
	}
	return ranImage{digest: dg.String(), size: size}, nil
}

// imageSizeMB is the compressed size of the image that ran, in MiB
// rounded to 0.01: from its layout's manifest, else measured in the
// engine (0 when that fails: the figure is then absent, not wrong).
func (d *Node) imageSizeMB() float64 {
	if d.ran.size == 0 && d.imageRef != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if n, err := imageSize(ctx, d.cli, d.imageRef); err == nil {
			d.ran.size = n
		}
	}
	return math.Round(float64(d.ran.size)/(1<<20)*100) / 100
}
