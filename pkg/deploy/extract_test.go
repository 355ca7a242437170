package deploy

import (
	"archive/tar"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/xedgesim/simulate/internal/exitcode"
)

// TestExtractIsBounded: the program taken out of an image was spooled to
// disk whatever its size; one over the limit is now refused as bad input
// before a byte is written.
func TestExtractIsBounded(t *testing.T) {
	t.Parallel()
	img, err := mutate.AppendLayers(empty.Image, layer(t, tar.Header{Name: "app", Typeflag: tar.TypeReg, Mode: 0o755}))
	if err != nil {
		t.Fatal(err)
	}
	const size = int64(len("binary app"))
	_, _, _, _, err = extractOnce(img, "/app", size-1)
	var ie *InputError
	if !errors.As(err, &ie) || exitcode.Of(err) != exitcode.Invalid || !strings.Contains(err.Error(), "it is 10 bytes, over the limit of 9 bytes for a program") {
		t.Errorf("over the limit: %v, want bad input (exit 3) naming the sizes", err)
	}
	f, _, got, _, err := extractOnce(img, "/app", size)
	if err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	if got != size || string(data) != "binary app" {
		t.Errorf("at the limit: %q, %d", data, got)
	}
}
