package registry

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/xedgesim/simulate/internal/fanout"
)

// readsAtOnce is how many reads describe and verify send at once.
const readsAtOnce = 8

// platformBlobs is one manifest of the source and its blobs.
type platformBlobs struct {
	name   string
	digest v1.Hash
	blobs  []v1.Descriptor
}

// describe lists the manifests of the source and which blobs they use,
// from the manifests alone. An index's manifests are read at once, not one
// after the other: from a registry each is a round trip.
func describe(ctx context.Context, a *artifact) ([]platformBlobs, map[v1.Hash]blobInfo, error) {
	var out []platformBlobs
	imageBlobs := func(img v1.Image) ([]v1.Descriptor, error) {
		m, err := img.Manifest()
		if err != nil {
			return nil, err
		}
		return append([]v1.Descriptor{m.Config}, m.Layers...), nil
	}
	var walkIndex func(idx v1.ImageIndex) ([]platformBlobs, error)
	walkIndex = func(idx v1.ImageIndex) ([]platformBlobs, error) {
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		// At most readsAtOnce manifests in flight: an index of hundreds
		// must not meet a registry's rate limit at once.
		parts := make([][]platformBlobs, len(im.Manifests))
		err = fanout.Run(ctx, len(im.Manifests), readsAtOnce, func(_ context.Context, i int) error {
			d := im.Manifests[i]
			switch {
			case d.MediaType.IsIndex():
				child, err := idx.ImageIndex(d.Digest)
				if err != nil {
					return err
				}
				parts[i], err = walkIndex(child)
				return err
			case d.MediaType.IsImage():
				img, err := idx.Image(d.Digest)
				if err != nil {
					return err
				}
				bs, err := imageBlobs(img)
				if err != nil {
					return err
				}
				parts[i] = []platformBlobs{{name: platformName(d), digest: d.Digest, blobs: bs}}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		var all []platformBlobs
		for _, p := range parts {
			all = append(all, p...)
		}
		return all, nil
	}
	if a.index != nil {
		var err error
		if out, err = walkIndex(a.index); err != nil {
			return nil, nil, fmt.Errorf("reading index: %w", err)
		}
	} else {
		bs, err := imageBlobs(a.image)
		if err != nil {
			return nil, nil, fmt.Errorf("reading image: %w", err)
		}
		p := "image"
		if cf, err := a.image.ConfigFile(); err == nil && cf.OS != "" {
			p = (&v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}).String()
		}
		out = append(out, platformBlobs{name: p, digest: a.desc.Digest, blobs: bs})
	}
	blobs := map[v1.Hash]blobInfo{}
	for _, p := range out {
		for _, b := range p.blobs {
			bi := blobs[b.Digest]
			bi.size = b.Size
			bi.platforms = append(bi.platforms, p.name)
			blobs[b.Digest] = bi
		}
	}
	return out, blobs, nil
}

type blobInfo struct {
	size      int64
	platforms []string
}
