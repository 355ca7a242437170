package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// digestRef parses REPO@sha256:....
func (c *Client) digestRef(ref string) (name.Digest, error) {
	d, err := name.NewDigest(ref, c.NameOptions()...)
	if err != nil {
		return name.Digest{}, &InputError{Err: fmt.Errorf("parsing %q: want a digest reference, REPO@sha256:...: %w", ref, err)}
	}
	return d, nil
}

// Attach attaches e to the image ref (REPO@sha256:...) as an OCI artifact
// and returns the artifact's reference.
func (c *Client) Attach(ctx context.Context, ref string, e evidence.Evidence) (name.Digest, error) {
	d, err := c.digestRef(ref)
	if err != nil {
		return name.Digest{}, err
	}
	return evidence.Attach(ctx, d, e, c.RemoteOptions(ctx)...)
}

// Evidence returns the evidence attached to ref (REPO@sha256:...).
func (c *Client) Evidence(ctx context.Context, ref string) ([]evidence.Attached, error) {
	d, err := c.digestRef(ref)
	if err != nil {
		return nil, err
	}
	return evidence.Find(ctx, d, c.RemoteOptions(ctx)...)
}

// CheckEvidence applies the promotion rule to ref (REPO@sha256:...): it
// must carry passing simulation evidence for its digest or, for an index,
// one of its platform manifests. A refusal is an *evidence.Refusal (exit 2).
func (c *Client) CheckEvidence(ctx context.Context, ref string) error {
	d, err := c.digestRef(ref)
	if err != nil {
		return err
	}
	attached, err := c.Evidence(ctx, d.String())
	if err != nil {
		return fmt.Errorf("reading evidence: %w", err)
	}
	desc, err := remote.Get(d, c.RemoteOptions(ctx)...)
	if err != nil {
		return fmt.Errorf("reading %s: %w", d, err)
	}
	var children []string
	if desc.MediaType.IsIndex() {
		im, err := indexManifest(desc)
		if err != nil {
			return fmt.Errorf("reading index %s: %w", d, err)
		}
		for _, m := range im.Manifests {
			children = append(children, m.Digest.String())
		}
	}
	return evidence.CheckAttached(d.String(), attached, children...)
}
