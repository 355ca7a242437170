package evidence

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// FindAll is [Find] and [FindSigned] with one listing of subject's
// referrers: a push that copies both kinds along asks the registry once.
func FindAll(ctx context.Context, subject name.Digest, opts ...remote.Option) ([]Attached, []SignedAttestation, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	idx, err := remote.Referrers(subject, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("listing referrers of %s: %w", subject, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, fmt.Errorf("listing referrers of %s: %w", subject, err)
	}
	var found []Attached
	var signed []SignedAttestation
	for _, d := range im.Manifests {
		// As in referrers: some registries give the config's media type
		// instead of artifactType, so those are read to tell.
		generic := d.ArtifactType == string(types.OCIEmptyJSON) || d.ArtifactType == ""
		if generic || d.ArtifactType == ArtifactType {
			a, ok, err := attachedAt(subject, d.Digest, opts)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				found = append(found, a)
			}
		}
		if generic || d.ArtifactType == BundleMediaType {
			if s, ok := signedAt(subject, d.Digest, opts); ok {
				signed = append(signed, s)
			}
		}
	}
	return found, signed, nil
}
