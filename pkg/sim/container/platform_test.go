package container

import (
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/xedgesim/simulate/internal/engine"
)

// The image docker.platform asks for is the one picked from a build's
// two-platform index (nested in a layout's index, as our build writes it);
// the digest recorded for evidence stays the index's, and the platform
// image's own digest and compressed size are what a device of that
// platform pulls.
func TestPickImagePlatform(t *testing.T) {
	t.Parallel()
	amd, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	arm, err := random.Image(2048, 3)
	if err != nil {
		t.Fatal(err)
	}
	build := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	root := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: build})
	buildDigest, err := build.Digest()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		want v1.Platform
		img  v1.Image
	}{
		{v1.Platform{OS: "linux", Architecture: "arm64"}, arm},
		{v1.Platform{OS: "linux", Architecture: "amd64"}, amd},
		{v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, nil}, // the index names no variant
		{v1.Platform{OS: "linux", Architecture: "riscv64"}, nil},
	} {
		img, subject, err := pickImage(root, v1.Hash{}, tc.want)
		if tc.img == nil {
			if err == nil {
				t.Errorf("%v: picked an image, want an error", tc.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tc.want, err)
		}
		if subject != buildDigest {
			t.Errorf("%v: subject %s, want the build's index %s", tc.want, subject, buildDigest)
		}
		got, err := layoutImage(img)
		if err != nil {
			t.Fatal(err)
		}
		wantDigest, _ := tc.img.Digest()
		m, _ := tc.img.Manifest()
		size := m.Config.Size
		for _, l := range m.Layers {
			size += l.Size
		}
		if diff := cmp.Diff(ranImage{digest: wantDigest.String(), size: size}, got, cmp.AllowUnexported(ranImage{})); diff != "" {
			t.Errorf("%v: (-want +got):\n%s", tc.want, diff)
		}
	}
}

// A gzipped size counts only the compressed bytes.
func TestGzippedSize(t *testing.T) {
	t.Parallel()
	n, err := gzippedSize(bytesOf(1<<20, 0))
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 || n > 8<<10 {
		t.Errorf("1 MiB of zeros gzips to %d bytes, want a few KiB", n)
	}
}

type repeatReader struct {
	left int
	b    byte
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), r.left)
	for i := range n {
		p[i] = r.b
	}
	r.left -= n
	return n, nil
}

func bytesOf(n int, b byte) io.Reader { return &repeatReader{left: n, b: b} }

// An image in the engine that is for another platform than
// docker.platform is refused at the node's line: the engine would run it,
// and the gate would pass on what the device does not run.
func TestCheckPlatform(t *testing.T) {
	t.Parallel()
	d := &Node{id: "pi", imageRef: "app:1", spec: dockerSpec{platform: "linux/arm64"}}
	amd := engine.ImageInfo{Os: "linux", Architecture: "amd64"}
	if err := d.checkPlatform(amd); err == nil || !strings.Contains(err.Error(), "image app:1 is for linux/amd64, not linux/arm64") {
		t.Errorf("checkPlatform(amd64) = %v, want it refused", err)
	}
	if err := d.checkPlatform(engine.ImageInfo{Os: "linux", Architecture: "arm64", Variant: "v8"}); err != nil {
		t.Errorf("checkPlatform(arm64/v8) = %v, want it taken", err)
	}
	d.spec.platform = ""
	if err := d.checkPlatform(amd); err != nil {
		t.Errorf("without docker.platform: %v", err)
	}
}
