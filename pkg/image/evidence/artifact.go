package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The annotations of an evidence artifact.
const (
	// AnnotationVerdict repeats the verdict on the artifact, so a listing
	// of referrers shows it; the layer is what counts.
	AnnotationVerdict = "dev.xedgesim.simulation.verdict"
	annotationTitle   = "org.opencontainers.image.title"
)

// maxEvidenceSize bounds what is read from a registry.
const maxEvidenceSize = 4 << 20

// emptyConfig is the OCI empty descriptor's content.
var emptyConfig = []byte("{}")

// Artifact is the OCI artifact that attaches e to the manifest subject:
// an image manifest with artifactType [ArtifactType], the empty config,
// one layer holding evidence.json, and subject. It has no timestamp, so
// the same evidence and subject always give the same digest.
func Artifact(e Evidence, subject v1.Descriptor) (v1.Image, error) {
	body, err := e.Marshal()
	if err != nil {
		return nil, err
	}
	layerHash, layerSize, err := v1.SHA256(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("hashing evidence: %w", err)
	}
	cfgHash, cfgSize, err := v1.SHA256(bytes.NewReader(emptyConfig))
	if err != nil {
		return nil, fmt.Errorf("hashing config: %w", err)
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  ArtifactType,
		Config:        v1.Descriptor{MediaType: types.OCIEmptyJSON, Digest: cfgHash, Size: cfgSize, Data: emptyConfig},
		Layers: []v1.Descriptor{{
			MediaType:   ArtifactType,
			Digest:      layerHash,
			Size:        layerSize,
			Annotations: map[string]string{annotationTitle: FileName},
		}},
		Subject:     &v1.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size},
		Annotations: map[string]string{AnnotationVerdict: e.Verdict},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding artifact manifest: %w", err)
	}
	return partial.CompressedToImage(&artifactCore{manifest: raw, layer: body, layerHash: layerHash})
}

// artifactCore is the minimal image behind Artifact.
type artifactCore struct {
	manifest  []byte
	layer     []byte
	layerHash v1.Hash
}

func (a *artifactCore) RawConfigFile() ([]byte, error)      { return emptyConfig, nil }
func (a *artifactCore) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifactCore) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a *artifactCore) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h != a.layerHash {
		return nil, fmt.Errorf("artifact has no layer %s", h)
	}
	return &blob{b: a.layer, h: h}, nil
}

var _ partial.CompressedImageCore = (*artifactCore)(nil)

type blob struct {
	b []byte
	h v1.Hash
}

func (b *blob) Digest() (v1.Hash, error)             { return b.h, nil }
func (b *blob) Size() (int64, error)                 { return int64(len(b.b)), nil }
func (b *blob) MediaType() (types.MediaType, error)  { return ArtifactType, nil }
func (b *blob) Compressed() (io.ReadCloser, error)   { return io.NopCloser(bytes.NewReader(b.b)), nil }
func (b *blob) Uncompressed() (io.ReadCloser, error) { return b.Compressed() }

// Attach pushes e as an artifact referring to subject, into subject's
// repository, and returns the artifact's reference. Registries with the
// referrers API index it themselves; for the others the referrers tag
// (sha256-<hex>) is updated. opts carry the transport and credentials.
func Attach(ctx context.Context, subject name.Digest, e Evidence, opts ...remote.Option) (name.Digest, error) {
	if err := e.Validate(); err != nil {
		return name.Digest{}, fmt.Errorf("attaching evidence: %w", err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	desc, err := remote.Head(subject, opts...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("attaching evidence: reading subject %s: %w", subject, err)
	}
	img, err := Artifact(e, *desc)
	if err != nil {
		return name.Digest{}, fmt.Errorf("attaching evidence: %w", err)
	}
	h, err := img.Digest()
	if err != nil {
		return name.Digest{}, fmt.Errorf("attaching evidence: %w", err)
	}
	ref := subject.Context().Digest(h.String())
	if err := remote.Write(ref, img, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("attaching evidence to %s: %w", subject, err)
	}
	return ref, nil
}

// referrers lists the artifacts attached to subject that may be of
// artifactType, through the referrers API or the referrers tag. There is
// no server-side filter: some registries (go-containerregistry's own)
// report the config's media type instead of artifactType, so candidates
// with the empty config are returned for the caller to read.
func referrers(subject name.Digest, artifactType string, opts []remote.Option) ([]v1.Descriptor, error) {
	idx, err := remote.Referrers(subject, opts...)
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", subject, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("listing referrers of %s: %w", subject, err)
	}
	var out []v1.Descriptor
	for _, d := range im.Manifests {
		if d.ArtifactType == artifactType || d.ArtifactType == string(types.OCIEmptyJSON) || d.ArtifactType == "" {
			out = append(out, d)
		}
	}
	return out, nil
}

// Attached is evidence found attached to a digest.
type Attached struct {
	// Digest is the artifact's manifest digest.
	Digest   v1.Hash
	Evidence Evidence
}

// Find returns the evidence attached to subject, through the referrers API
// or, for registries without it, the referrers tag. Evidence that cannot
// be read is an error: it must never count as passing.
func Find(ctx context.Context, subject name.Digest, opts ...remote.Option) ([]Attached, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	cands, err := referrers(subject, ArtifactType, opts)
	if err != nil {
		return nil, err
	}
	var found []Attached
	for _, d := range cands {
		a, ok, err := attachedAt(subject, d.Digest, opts)
		if err != nil {
			return nil, err
		}
		if ok {
			found = append(found, a)
		}
	}
	return found, nil
}

// attachedAt reads the evidence of artifact h; ok is false for another
// tool's artifact.
func attachedAt(subject name.Digest, h v1.Hash, opts []remote.Option) (Attached, bool, error) {
	e, err := fetch(subject, h, opts)
	if errors.Is(err, errNotEvidence) {
		return Attached{}, false, nil
	}
	if err != nil {
		return Attached{}, false, fmt.Errorf("reading evidence %s of %s: %w", h, subject, err)
	}
	return Attached{Digest: h, Evidence: e}, true, nil
}

// errNotEvidence marks another tool's artifact.
var errNotEvidence = errors.New("not simulation evidence")

func fetch(subject name.Digest, h v1.Hash, opts []remote.Option) (Evidence, error) {
	img, err := remote.Image(subject.Context().Digest(h.String()), opts...)
	if err != nil {
		return Evidence{}, err
	}
	m, err := img.Manifest()
	if err != nil {
		return Evidence{}, err
	}
	if m.ArtifactType != ArtifactType {
		return Evidence{}, errNotEvidence
	}
	if m.Subject == nil || m.Subject.Digest.String() != subject.DigestStr() {
		return Evidence{}, fmt.Errorf("artifact does not refer to %s", subject.DigestStr())
	}
	for _, l := range m.Layers {
		if l.MediaType != ArtifactType {
			continue
		}
		if l.Size > maxEvidenceSize {
			return Evidence{}, fmt.Errorf("evidence layer of %d bytes is larger than %d", l.Size, maxEvidenceSize)
		}
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return Evidence{}, err
		}
		rc, err := layer.Compressed()
		if err != nil {
			return Evidence{}, err
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxEvidenceSize))
		_ = rc.Close() // read only; ReadAll's error is checked below
		if err != nil {
			return Evidence{}, err
		}
		return Parse(b)
	}
	return Evidence{}, fmt.Errorf("artifact has no %s layer", ArtifactType)
}

// CheckAttached is the promotion rule: subject (REPO@sha256:...) must have
// evidence attached, and every attached evidence must pass for its digest
// or one of its children (the platform manifests of an index). The error
// is a *Refusal naming the subject and the evidence at fault.
func CheckAttached(subject string, attached []Attached, children ...string) error {
	if len(attached) == 0 {
		return &Refusal{Subject: subject, Reason: "no simulation evidence is attached to it: no simulation ran for this digest (run xedgesim simulate, then xedgesim attest or push --evidence)"}
	}
	digest := subject[strings.LastIndex(subject, "@")+1:]
	for _, at := range attached {
		if err := at.Evidence.Check(digest, children...); err != nil {
			var r *Refusal
			if errors.As(err, &r) {
				r.Subject = subject
				r.Reason += fmt.Sprintf(" [evidence %s]", at.Digest)
			}
			return err
		}
	}
	return nil
}
