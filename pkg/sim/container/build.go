package container

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	imagebuild "github.com/xedgesim/simulate/pkg/image/build"
)

// buildImage builds docker.build_context with docker.dockerfile, as
// upstream's scenarios ask, through the same Dockerfile build as
// `xedgesim build --dockerfile` (docker buildx on the current builder, or
// BUILDX_BUILDER), for this machine's platform, and loads the result into
// the engine. It returns the loaded reference; the run removes it.
func (d *Node) buildImage(ctx context.Context, dir string) (string, error) {
	bctx := d.spec.buildContext
	if !filepath.IsAbs(bctx) {
		bctx = filepath.Join(dir, bctx)
	}
	file := d.spec.dockerfile
	if file == "" {
		file = "Dockerfile"
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(bctx, file)
	}
	platform := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	b, err := imagebuild.NewDockerfile(file, imagebuild.WithContextDir(bctx), imagebuild.WithDir(bctx), imagebuild.WithPlatforms(platform))
	if err != nil {
		return "", d.at(fmt.Errorf("docker.build_context: %w", err))
	}
	res, err := b.Build(ctx)
	if err != nil {
		return "", d.at(fmt.Errorf("building docker.build_context %s: %w", d.spec.buildContext, err))
	}
	if len(res.Platforms) == 0 {
		return "", d.at(fmt.Errorf("building docker.build_context %s: no image", d.spec.buildContext))
	}
	img := res.Platforms[0].Image
	dg, err := img.Digest()
	if err != nil {
		return "", err
	}
	tag, err := name.NewTag("xedgesim.local/build:" + dg.Hex[:16])
	if err != nil {
		return "", err
	}
	_, err = d.cli.ImageInspect(ctx, tag.String())
	existed := err == nil
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.Write(tag, img, pw)) }()
	defer pr.Close()
	ref, err := imageLoad(ctx, d.cli, pr)
	if err != nil {
		return "", fmt.Errorf("node %q: loading the image built from %s: %w", d.id, d.spec.buildContext, err)
	}
	if !existed {
		d.rt.loadedImage(ref)
	}
	return ref, nil
}
