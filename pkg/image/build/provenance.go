package build

import (
	"context"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"

	"github.com/xedgesim/simulate/pkg/image/evidence"
	"github.com/xedgesim/simulate/pkg/image/provenance"
)

// Provenance is how a Go build attests to itself: SLSA v1 provenance,
// signed by Sign (a key or a keyless certificate, as evidence is signed)
// and attached to the index like cosign attest --new-bundle-format does.
type Provenance struct {
	// Sign turns the encoded in-toto statement into a Sigstore bundle.
	Sign func(ctx context.Context, statement []byte) ([]byte, error)
	// ToolVersion is this toolkit's version, the builder's version.
	ToolVersion string
	// Getenv reads the Actions context: builder, run and source.
	Getenv func(string) string
}

// WithProvenance attaches signed SLSA v1 provenance to a Go build's index.
func WithProvenance(p Provenance) Option {
	return func(o *options) error {
		if p.Sign == nil {
			return fmt.Errorf("provenance: no signer")
		}
		o.provenance = &p
		o.goOnly = append(o.goOnly, "provenance")
		return nil
	}
}

// provenanceReferrer signs the provenance of res and wraps the bundle in
// an artifact whose subject is the index.
func (b *goBuilder) provenanceReferrer(ctx context.Context, res *Result, pkg goPackage, base *baseImage, started time.Time) (Referrer, error) {
	o := b.o
	img := provenance.Image{Name: pkg.binName, Index: res.Digest.String()}
	for _, pi := range res.Platforms {
		img.Platforms = append(img.Platforms, provenance.Platform{Platform: PlatformString(pi.Platform), Digest: pi.Digest.String(), BuildInfo: pi.BuildInfo})
	}
	params := map[string]any{"platforms": res.PlatformStrings(), "base": o.base, "ldflags": o.ldflags, "buildvcs": o.buildVCS}
	if len(o.files) > 0 {
		var fs []string
		for _, f := range o.files {
			fs = append(fs, f.Src+":"+f.Dst)
		}
		params["files"] = fs
	}
	var baseRef string
	if base.name != "" && base.digest != "" {
		baseRef = base.name + "@" + base.digest
	}
	st, err := provenance.ForGo(provenance.Go{
		Image: img, Package: pkg.importPath, Parameters: params, Base: baseRef,
		ToolVersion: o.provenance.ToolVersion, Started: started, Ended: time.Now(), Getenv: o.provenance.Getenv,
	})
	if err != nil {
		return Referrer{}, err
	}
	payload, err := st.Marshal()
	if err != nil {
		return Referrer{}, err
	}
	bundle, err := o.provenance.Sign(ctx, payload)
	if err != nil {
		return Referrer{}, fmt.Errorf("signing provenance: %w", err)
	}
	d, err := partial.Descriptor(res.Index)
	if err != nil {
		return Referrer{}, fmt.Errorf("describing index: %w", err)
	}
	subject := v1.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
	art, err := evidence.BundleArtifact(bundle, provenance.PredicateType, subject)
	if err != nil {
		return Referrer{}, err
	}
	ad, size, err := digestSize(art, "provenance")
	if err != nil {
		return Referrer{}, err
	}
	return Referrer{ArtifactType: evidence.BundleMediaType, Subject: subject, Image: art, Digest: ad, Size: size}, nil
}
