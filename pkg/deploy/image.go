package deploy

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// image is the image to deploy, read once from its registry.
type image struct {
	ref    name.Digest
	digest string
	// platforms maps os/arch[/variant] to the platform manifest.
	platforms map[string]v1.Descriptor
	order     []string
	single    v1.Image // when the reference is one image, not an index
}

// resolveImage reads what d names: an index or one image.
func resolveImage(ctx context.Context, d name.Digest, o options) (*image, error) {
	ropts := append([]remote.Option{remote.WithContext(ctx)}, o.remote...)
	desc, err := remote.Get(d, ropts...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, err)
	}
	im := &image{ref: d, digest: d.DigestStr(), platforms: map[string]v1.Descriptor{}}
	if desc.MediaType.IsIndex() {
		mf, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", d, err)
		}
		for _, m := range mf.Manifests {
			if m.Platform == nil || m.Platform.OS == "unknown" || m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
				continue
			}
			p := platformString(*m.Platform)
			if _, dup := im.platforms[p]; !dup {
				im.platforms[p] = m
				im.order = append(im.order, p)
			}
		}
		return im, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config of %s: %w", d, err)
	}
	p := platformString(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})
	im.single = img
	im.platforms[p] = desc.Descriptor
	im.order = []string{p}
	return im, nil
}

// platformString is os/arch[/variant], the form manifests and engines use.
func platformString(p v1.Platform) string {
	return v1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}.String()
}

// pick returns the platform manifest for platform; linux/arm64 also
// matches linux/arm64/v8.
func (im *image) pick(platform string) (v1.Descriptor, bool) {
	if d, ok := im.platforms[platform]; ok {
		return d, true
	}
	if strings.Count(platform, "/") == 1 {
		for p, d := range im.platforms {
			if strings.HasPrefix(p, platform+"/") {
				return d, true
			}
		}
	}
	d, ok := im.platforms[strings.TrimSuffix(platform, "/v8")]
	return d, ok
}
