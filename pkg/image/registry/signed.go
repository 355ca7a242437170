package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// AttachSigned attaches a signed bundle (see [evidence.Sign]) to the image
// ref (REPO@sha256:...) and returns the artifact's reference.
func (c *Client) AttachSigned(ctx context.Context, ref string, bundle []byte) (name.Digest, error) {
	d, err := c.digestRef(ref)
	if err != nil {
		return name.Digest{}, err
	}
	return evidence.AttachSigned(ctx, d, bundle, c.RemoteOptions(ctx)...)
}

// CheckSignedEvidence applies the signed-evidence policy to ref
// (REPO@sha256:...): an attestation signed with the policy's key, about
// ref's digest or, for an index, one of its platform manifests, that
// passed. A refusal is an *evidence.Refusal (exit 2); nothing is changed.
func (c *Client) CheckSignedEvidence(ctx context.Context, ref string, p evidence.Policy) (*evidence.Verified, error) {
	d, err := c.digestRef(ref)
	if err != nil {
		return nil, err
	}
	found, err := evidence.FindSigned(ctx, d, c.RemoteOptions(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("reading attestations: %w", err)
	}
	var unsigned []evidence.Attached
	if len(found) == 0 {
		// Only to say so in the refusal: unsigned evidence never counts.
		if unsigned, err = evidence.Find(ctx, d, c.RemoteOptions(ctx)...); err != nil {
			return nil, fmt.Errorf("reading evidence: %w", err)
		}
	}
	children, err := c.children(ctx, d)
	if err != nil {
		return nil, err
	}
	return p.Check(d.String(), found, len(unsigned), children...)
}

// children are the digests of the platform manifests of d, if it is an
// index.
func (c *Client) children(ctx context.Context, d name.Digest) ([]string, error) {
	desc, err := remote.Get(d, c.RemoteOptions(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, err)
	}
	if !desc.MediaType.IsIndex() {
		return nil, nil
	}
	im, err := indexManifest(desc)
	if err != nil {
		return nil, fmt.Errorf("reading index %s: %w", d, err)
	}
	var children []string
	for _, m := range im.Manifests {
		children = append(children, m.Digest.String())
	}
	return children, nil
}

// signedPushOptions are a push's signed evidence: the policy a promotion
// must satisfy, and bundles to attach.
type signedPushOptions struct {
	policy  *evidence.Policy
	bundles [][]byte
}

// RequireSignedEvidence makes the push a promotion under p: the source
// must be a registry digest with a signed attestation that p accepts, or
// the push is refused with an [*evidence.Refusal] (exit code 2) and
// nothing is pushed.
func RequireSignedEvidence(p evidence.Policy) PushOption {
	return func(o *pushOptions) error {
		if p.Key == nil && p.Identity == nil {
			return fmt.Errorf("signed evidence: no key or identity to verify with")
		}
		o.requireEvidence = true
		o.signed.policy = &p
		return nil
	}
}

// WithSignedEvidence attaches a signed bundle (see [evidence.Sign]) to the
// pushed digest.
func WithSignedEvidence(bundle []byte) PushOption {
	return func(o *pushOptions) error {
		if _, err := evidence.ParseBundle(bundle); err != nil {
			return fmt.Errorf("signed evidence: %w", err)
		}
		o.signed.bundles = append(o.signed.bundles, bundle)
		return nil
	}
}

// checkSigned is the promotion rule under a policy.
func checkSigned(p evidence.Policy, subject string, found []evidence.SignedAttestation, unsigned []evidence.Attached, platforms []platformBlobs) error {
	var children []string
	for _, pl := range platforms {
		children = append(children, pl.digest.String())
	}
	_, err := p.Check(subject, found, len(unsigned), children...)
	return err
}

// pushSigned copies the source's signed attestations to dst and attaches
// new bundles, returning the artifacts' references.
func (c *Client) pushSigned(ctx context.Context, pusher *remote.Pusher, a *artifact, dst name.Digest, found []evidence.SignedAttestation, bundles [][]byte, ropts []remote.Option) ([]name.Digest, error) {
	var refs []name.Digest
	for _, at := range found {
		img, err := remote.Image(a.ref.Context().Digest(at.Digest.String()), c.RemoteOptions(ctx)...)
		if err != nil {
			return nil, fmt.Errorf("copying attestation %s: %w", at.Digest, err)
		}
		ref := dst.Context().Digest(at.Digest.String())
		if err := pusher.Push(ctx, ref, img); err != nil {
			return nil, fmt.Errorf("copying attestation %s: %w", at.Digest, err)
		}
		refs = append(refs, ref)
	}
	for _, b := range bundles {
		ref, err := evidence.AttachSigned(ctx, dst, b, ropts...)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	return refs, nil
}
