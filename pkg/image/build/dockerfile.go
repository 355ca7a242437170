package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/xedgesim/simulate/pkg/image/internal/untar"
)

// dockerfileBuilder drives docker buildx build.
type dockerfileBuilder struct {
	file string
	o    *options
}

var _ Builder = (*dockerfileBuilder)(nil)

// NewDockerfile returns a [Builder] that runs `docker buildx build` on the
// current builder (or [WithBuilder]) for every platform, exports an OCI
// layout and reads it back, so the result is the same type as a Go
// build's. Provenance and SBOM attestations are off: they show up as
// unknown/unknown platforms that break platform checks downstream.
func NewDockerfile(file string, opts ...Option) (Builder, error) {
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	var errs []error
	if file == "" {
		errs = append(errs, errors.New("no Dockerfile given"))
	}
	if len(o.goOnly) > 0 {
		errs = append(errs, fmt.Errorf("%s applies to Go builds only; write it in the Dockerfile", strings.Join(o.goOnly, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, inputErr(err)
	}
	return &dockerfileBuilder{file: file, o: o}, nil
}

func (b *dockerfileBuilder) abs(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(b.o.dir, p)
}

// args are buildx's arguments; dest is where the OCI archive goes.
func (b *dockerfileBuilder) args(meta, dest string) []string {
	o := b.o
	ps := make([]string, len(o.platforms))
	for i, p := range o.platforms {
		ps[i] = PlatformString(p)
	}
	args := []string{"buildx", "build"}
	if o.builder != "" {
		args = append(args, "--builder", o.builder)
	}
	args = append(args,
		"--file", b.abs(b.file),
		"--platform", strings.Join(ps, ","),
		"--provenance=false", "--sbom=false",
		"--metadata-file", meta,
		"--output", "type=oci,dest="+dest+",rewrite-timestamp=true",
		"--progress", "plain",
	)
	return append(b.buildxInputs(args), b.abs(o.context))
}

// buildxInputs appends the build arguments, target and labels to args.
func (b *dockerfileBuilder) buildxInputs(args []string) []string {
	o := b.o
	for _, a := range o.buildArgs {
		args = append(args, "--build-arg", a)
	}
	if o.target != "" {
		args = append(args, "--target", o.target)
	}
	for _, k := range sortedKeys(o.labels) {
		args = append(args, "--label", k+"="+o.labels[k])
	}
	return args
}

// Build implements [Builder].
func (b *dockerfileBuilder) Build(ctx context.Context) (*Result, error) {
	o := b.o
	if info, err := os.Stat(b.abs(b.file)); err != nil || info.IsDir() {
		//lint:ignore ST1005 the message starts with the file's kind, a proper noun
		return nil, inputErr(fmt.Errorf("Dockerfile %s: no such file", b.file))
	}
	if info, err := os.Stat(b.abs(o.context)); err != nil || !info.IsDir() {
		return nil, inputErr(fmt.Errorf("build context %s: no such directory", o.context))
	}
	tmp, err := os.MkdirTemp("", "xedgesim-buildx-")
	if err != nil {
		return nil, fmt.Errorf("creating build directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	meta, archive := filepath.Join(tmp, "metadata.json"), filepath.Join(tmp, "oci.tar")
	created := o.createdAt()
	o.progress.Report(Event{Step: "buildx", Detail: b.file})
	cmd := exec.CommandContext(ctx, o.docker, b.args(meta, archive)...) // #nosec G204 -- argv, no shell: docker buildx with validated options
	// BuildKit sets every timestamp from SOURCE_DATE_EPOCH, and with
	// rewrite-timestamp the files' too.
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(created.Unix(), 10))
	cmd.Dir = o.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("docker buildx build: %s", buildxError(out, err))
	}
	lay := filepath.Join(tmp, "layout")
	if err := untar.Extract(archive, lay); err != nil {
		return nil, fmt.Errorf("reading buildx output: %w", err)
	}
	idx, err := layout.ImageIndexFromPath(lay)
	if err != nil {
		return nil, fmt.Errorf("reading buildx output: %w", err)
	}
	images, err := b.images(idx)
	if err != nil {
		return nil, fmt.Errorf("reading buildx output: %w", err)
	}
	// The layout is removed with tmp: keep the blobs in memory.
	for i := range images {
		if images[i].Image, err = materialize(images[i].Image); err != nil {
			return nil, fmt.Errorf("reading buildx output: %w", err)
		}
	}
	n := filepath.Base(b.abs(o.context))
	return assemble(n, images, o.annotations, created)
}

// images reads the platform images of buildx's layout in the order asked.
func (b *dockerfileBuilder) images(idx v1.ImageIndex) ([]PlatformImage, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(im.Manifests) != 1 {
		return nil, fmt.Errorf("index.json has %d entries, want 1", len(im.Manifests))
	}
	top := im.Manifests[0]
	var found []platformBase
	if top.MediaType.IsIndex() {
		child, err := idx.ImageIndex(top.Digest)
		if err != nil {
			return nil, err
		}
		if found, err = indexImages(child); err != nil {
			return nil, err
		}
	} else {
		img, err := idx.Image(top.Digest)
		if err != nil {
			return nil, err
		}
		pb, err := imagePlatform(img)
		if err != nil {
			return nil, err
		}
		found = []platformBase{pb}
	}
	var out []PlatformImage
	for _, p := range b.o.platforms {
		var img v1.Image
		for _, pb := range found {
			if pb.any || matches(pb.platform, p) {
				if img, err = pb.get(); err != nil {
					return nil, err
				}
				break
			}
		}
		if img == nil {
			return nil, fmt.Errorf("buildx built no %s image", PlatformString(p))
		}
		if len(b.o.annotations) > 0 {
			img = mutate.Annotations(img, b.o.annotations).(v1.Image)
		}
		pi, err := describe(img, p)
		if err != nil {
			return nil, err
		}
		out = append(out, pi)
	}
	return out, nil
}

// materialize reads an image's blobs into memory, so it outlives its
// layout directory.
func materialize(img v1.Image) (v1.Image, error) {
	return memoryImage(img)
}

// buildxError keeps the lines of buildx's output that say what failed.
func buildxError(out []byte, err error) string {
	var keep []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.HasPrefix(line, "ERROR") || strings.HasPrefix(line, "error:") || strings.Contains(line, "failed to solve") {
			keep = append(keep, strings.TrimSpace(line))
		}
	}
	if len(keep) == 0 {
		return firstLines(out, err, 3)
	}
	return strings.Join(keep, "; ")
}
