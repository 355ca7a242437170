package build

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// baseImage is a resolved base: its images by platform.
type baseImage struct {
	// ref is the base as the user wrote it; name and digest go into the
	// org.opencontainers.image.base.* annotations (empty for scratch and
	// local layouts' names).
	ref    string
	name   string
	digest string
	images []platformBase // nil for scratch
}

type platformBase struct {
	platform v1.Platform
	// any is set for a single image whose config names no platform.
	any bool
	get func() (v1.Image, error)
}

// scratchImage is an empty OCI image.
func scratchImage() v1.Image {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	return mutate.ConfigMediaType(img, types.OCIConfigJSON)
}

// resolveBase finds the base's images: scratch, oci:<dir> or a registry
// reference. Errors are input errors: the user named a base that is not
// there.
func resolveBase(ctx context.Context, ref string, opts []remote.Option, nameOpts []name.Option) (*baseImage, error) {
	switch {
	case ref == "" || ref == "scratch":
		return &baseImage{ref: "scratch"}, nil
	case strings.HasPrefix(ref, "oci:"):
		dir := strings.TrimPrefix(ref, "oci:")
		idx, err := layout.ImageIndexFromPath(dir)
		if err != nil {
			return nil, inputErr(fmt.Errorf("reading base image %s: %w", ref, err))
		}
		b := &baseImage{ref: ref}
		// A layout holding one index (as ours and buildx's do) is that
		// index; a layout of images is read as an index of them.
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, inputErr(fmt.Errorf("reading base image %s: %w", ref, err))
		}
		var indexes []v1.Descriptor
		for _, d := range im.Manifests {
			if d.MediaType.IsIndex() {
				indexes = append(indexes, d)
			}
		}
		switch {
		case len(indexes) == 1:
			b.digest = indexes[0].Digest.String()
			if idx, err = idx.ImageIndex(indexes[0].Digest); err != nil {
				return nil, inputErr(fmt.Errorf("reading base image %s: %w", ref, err))
			}
		case len(indexes) > 1:
			return nil, inputErr(fmt.Errorf("base image %s holds %d image indexes; keep one in the layout", ref, len(indexes)))
		case len(im.Manifests) == 1:
			b.digest = im.Manifests[0].Digest.String()
		}
		if b.images, err = indexImages(idx); err != nil {
			return nil, inputErr(fmt.Errorf("reading base image %s: %w", ref, err))
		}
		return b, nil
	}
	r, err := name.ParseReference(ref, nameOpts...)
	if err != nil {
		return nil, inputErr(fmt.Errorf("base %q: %w (want scratch, oci:<dir> or a registry reference)", ref, err))
	}
	desc, err := remote.Get(r, append([]remote.Option{remote.WithContext(ctx)}, opts...)...)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, inputErr(fmt.Errorf("resolving base image %s: %w", ref, oneLine(err)))
	}
	b := &baseImage{ref: ref, name: r.Name(), digest: desc.Digest.String()}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, inputErr(fmt.Errorf("reading base image %s: %w", ref, err))
		}
		if b.images, err = indexImages(idx); err != nil {
			return nil, inputErr(fmt.Errorf("reading base image %s: %w", ref, err))
		}
		return b, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, inputErr(fmt.Errorf("reading base image %s: %w", ref, err))
	}
	pb, err := imagePlatform(img)
	if err != nil {
		return nil, inputErr(fmt.Errorf("reading base image %s: %w", ref, err))
	}
	b.images = []platformBase{pb}
	return b, nil
}

// indexImages lists an index's images by platform. Entries without a usable
// platform in their descriptor (attestations as unknown/unknown) are left
// out, unless the image's config names one.
func indexImages(idx v1.ImageIndex) ([]platformBase, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []platformBase
	for _, d := range im.Manifests {
		if !d.MediaType.IsImage() {
			continue
		}
		h := d.Digest
		if d.Platform != nil && d.Platform.OS != "" && d.Platform.OS != "unknown" {
			out = append(out, platformBase{platform: *d.Platform, get: func() (v1.Image, error) { return idx.Image(h) }})
			continue
		}
		if d.Platform != nil && d.Platform.OS == "unknown" {
			continue
		}
		img, err := idx.Image(h)
		if err != nil {
			return nil, err
		}
		pb, err := imagePlatform(img)
		if err != nil {
			return nil, err
		}
		if !pb.any {
			out = append(out, pb)
		}
	}
	return out, nil
}

func imagePlatform(img v1.Image) (platformBase, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return platformBase{}, fmt.Errorf("reading config: %w", err)
	}
	get := func() (v1.Image, error) { return img, nil }
	if cf.OS == "" || cf.Architecture == "" {
		return platformBase{any: true, get: get}, nil
	}
	return platformBase{platform: v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant, OSVersion: cf.OSVersion}, get: get}, nil
}

// forPlatform returns the base image for p, or an error naming p and the
// platforms the base has. ko drops such platforms silently; its users
// complain.
func (b *baseImage) forPlatform(p v1.Platform) (v1.Image, error) {
	if b.images == nil {
		return scratchImage(), nil
	}
	for _, pb := range b.images {
		if pb.any || matches(pb.platform, p) {
			return pb.get()
		}
	}
	return nil, b.missing(p)
}

// check fails when the base lacks any of the platforms, naming all of them.
func (b *baseImage) check(ps []v1.Platform) error {
	if b.images == nil {
		return nil
	}
	var missing []string
	for _, p := range ps {
		found := false
		for _, pb := range b.images {
			if pb.any || matches(pb.platform, p) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, PlatformString(p))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return inputErr(fmt.Errorf("base image %s has no %s: it has %s", b.ref, strings.Join(missing, ", "), b.platformList()))
}

func (b *baseImage) missing(p v1.Platform) error {
	return inputErr(fmt.Errorf("base image %s has no %s: it has %s", b.ref, PlatformString(p), b.platformList()))
}

func (b *baseImage) platformList() string {
	if len(b.images) == 0 {
		return "no platform at all"
	}
	var have []string
	for _, pb := range b.images {
		have = append(have, PlatformString(pb.platform))
	}
	return strings.Join(have, ", ")
}

// oneLine keeps the first line of an error message: registry errors can
// carry whole response bodies.
func oneLine(err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		return errors.New(strings.TrimSpace(msg[:i]))
	}
	return err
}
