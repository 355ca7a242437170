package container

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"

	imagebuild "github.com/xedgesim/simulate/pkg/image/build"
)

// buildImage builds docker.build_context with docker.dockerfile (relative
// to the context, as docker build reads it), as upstream's scenarios ask,
// for the node's platform, straight into the engine: `docker buildx build
// --load` on the current builder (or BUILDX_BUILDER), which works on the
// default `docker` driver as on a BuildKit builder.
//
// With docker.image beside build_context, upstream's meaning holds: the
// image is used if the engine has it (resolveImage), else built and tagged
// so, and it stays, as docker build -t leaves it. Without, the build is
// tagged for the run only, and the run removes it.
func (d *Node) buildImage(ctx context.Context) (string, error) {
	bctx := d.spec.buildContext // absolute: resolvePaths
	file := d.spec.dockerfile
	if file == "" {
		file = "Dockerfile"
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(bctx, file)
	}
	tag, keep := d.spec.image, true
	if tag == "" {
		sum := sha256.Sum256([]byte(d.runID + "/" + d.id))
		tag, keep = "xedgesim.local/build:"+hex.EncodeToString(sum[:8]), false
	}
	p := d.spec.wantPlatform()
	_, err := imagebuild.LoadDockerfile(ctx, file, tag, imagebuild.WithContextDir(bctx), imagebuild.WithDir(bctx), imagebuild.WithPlatforms(p))
	if err != nil {
		var ie *imagebuild.InputError
		if errors.As(err, &ie) {
			return "", d.at(fmt.Errorf("docker.build_context: %w", err))
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("node %q: building docker.build_context %s: %w", d.id, d.spec.buildContext, err)
	}
	if !keep {
		d.rt.loadedImage(tag)
	}
	return tag, nil
}
