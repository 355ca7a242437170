package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The annotations cosign puts on an attached bundle, which its listing
// and ours read without fetching the layer.
const (
	annotationBundleContent   = "dev.sigstore.bundle.content"
	annotationBundlePredicate = "dev.sigstore.bundle.predicateType"
)

// BundleArtifact is the OCI artifact that attaches a signed bundle to
// subject, laid out as cosign attest --new-bundle-format lays it out:
// artifactType and its one layer of the bundle media type, the empty
// config, and subject. It has no timestamp: the same bundle and subject
// give the same digest.
func BundleArtifact(bundle []byte, predicateType string, subject v1.Descriptor) (v1.Image, error) {
	layerHash, layerSize, err := v1.SHA256(bytes.NewReader(bundle))
	if err != nil {
		return nil, fmt.Errorf("hashing bundle: %w", err)
	}
	cfgHash, cfgSize, err := v1.SHA256(bytes.NewReader(emptyConfig))
	if err != nil {
		return nil, fmt.Errorf("hashing config: %w", err)
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  BundleMediaType,
		Config:        v1.Descriptor{MediaType: types.OCIEmptyJSON, Digest: cfgHash, Size: cfgSize, Data: emptyConfig},
		Layers:        []v1.Descriptor{{MediaType: BundleMediaType, Digest: layerHash, Size: layerSize}},
		Subject:       &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations:   map[string]string{annotationBundleContent: "dsse-envelope", annotationBundlePredicate: predicateType},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding bundle manifest: %w", err)
	}
	return partial.CompressedToImage(&bundleCore{artifactCore{manifest: raw, layer: bundle, layerHash: layerHash}})
}

// bundleCore is artifactCore with the bundle's layer media type.
type bundleCore struct{ artifactCore }

func (b *bundleCore) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h != b.layerHash {
		return nil, fmt.Errorf("artifact has no layer %s", h)
	}
	return &typedBlob{blob{b: b.layer, h: h}, BundleMediaType}, nil
}

type typedBlob struct {
	blob
	mt types.MediaType
}

func (b *typedBlob) MediaType() (types.MediaType, error) { return b.mt, nil }

// AttachSigned pushes a signed bundle (see [Sign]) as an artifact
// referring to subject and returns the artifact's reference. Registries
// with the referrers API index it themselves; for the others the
// referrers tag (sha256-<hex>) is updated, which is where cosign and
// every OCI 1.1 client look on such registries.
func AttachSigned(ctx context.Context, subject name.Digest, bundle []byte, opts ...remote.Option) (name.Digest, error) {
	bu, err := ParseBundle(bundle)
	if err != nil {
		return name.Digest{}, fmt.Errorf("attaching attestation: %w", err)
	}
	predicateType := PredicateTestResult
	var head struct {
		PredicateType string `json:"predicateType"`
	}
	if json.Unmarshal(bu.DSSEEnvelope.Payload, &head) == nil && head.PredicateType != "" {
		predicateType = head.PredicateType
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Head(subject, opts...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("attaching attestation: reading subject %s: %w", subject, err)
	}
	img, err := BundleArtifact(bundle, predicateType, *desc)
	if err != nil {
		return name.Digest{}, fmt.Errorf("attaching attestation: %w", err)
	}
	h, err := img.Digest()
	if err != nil {
		return name.Digest{}, fmt.Errorf("attaching attestation: %w", err)
	}
	ref := subject.Context().Digest(h.String())
	if err := remote.Write(ref, img, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("attaching attestation to %s: %w", subject, err)
	}
	return ref, nil
}

// SignedAttestation is a bundle found attached to a digest, as read:
// verifying it is [Policy.Check]'s work.
type SignedAttestation struct {
	// Digest is the artifact's manifest digest.
	Digest v1.Hash
	// Bundle is the layer's bytes; Err says why it could not be read.
	Bundle []byte
	Err    error
}

// FindSigned returns the Sigstore bundles attached to subject, through
// the referrers API or the referrers tag. Other artifacts are skipped; a
// bundle that cannot be read is returned with its Err, so the policy can
// say what was wrong with it.
func FindSigned(ctx context.Context, subject name.Digest, opts ...remote.Option) ([]SignedAttestation, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	cands, err := referrers(subject, BundleMediaType, opts)
	if err != nil {
		return nil, err
	}
	var found []SignedAttestation
	for _, d := range cands {
		if s, ok := signedAt(subject, d.Digest, opts); ok {
			found = append(found, s)
		}
	}
	return found, nil
}

// signedAt reads the bundle of artifact h; ok is false for an artifact
// that is no bundle.
func signedAt(subject name.Digest, h v1.Hash, opts []remote.Option) (SignedAttestation, bool) {
	b, ok, err := fetchBundle(subject, h, opts)
	return SignedAttestation{Digest: h, Bundle: b, Err: err}, ok
}

// fetchBundle reads the bundle layer of artifact h; ok is false for an
// artifact that is no bundle.
func fetchBundle(subject name.Digest, h v1.Hash, opts []remote.Option) ([]byte, bool, error) {
	img, err := remote.Image(subject.Context().Digest(h.String()), opts...)
	if err != nil {
		return nil, true, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, true, err
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != BundleMediaType {
		return nil, false, nil
	}
	if m.Subject == nil || m.Subject.Digest.String() != subject.DigestStr() {
		return nil, true, fmt.Errorf("artifact does not refer to %s", subject.DigestStr())
	}
	l := m.Layers[0]
	if l.Size > 2*maxStatementSize {
		return nil, true, fmt.Errorf("bundle layer of %d bytes is larger than %d", l.Size, 2*maxStatementSize)
	}
	layer, err := img.LayerByDigest(l.Digest)
	if err != nil {
		return nil, true, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, true, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 2*maxStatementSize))
	return b, true, err
}
