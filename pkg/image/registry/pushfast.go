package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// hasAll tells whether the destination answers digest for every name a
// push asks for: each tag, or the digest itself when there is none. Any
// error or other answer is a no: the push then goes the whole way.
func (c *Client) hasAll(ref name.Digest, repo name.Repository, tags []string, digest v1.Hash, ropts []remote.Option) bool {
	refs := []name.Reference{ref}
	if len(tags) > 0 {
		refs = refs[:0]
		for _, t := range tags {
			refs = append(refs, repo.Tag(t))
		}
	}
	for _, r := range refs {
		d, err := remote.Head(r, ropts...)
		if err != nil || d.Digest != digest {
			return false
		}
	}
	return true
}

// pushAll pushes the source by digest (unless the destination has the
// digest) and points the tags at it.
func (c *Client) pushAll(ctx context.Context, pusher *remote.Pusher, a *artifact, res *Result, repo name.Repository, o *pushOptions, ropts []remote.Option) error {
	if d, err := remote.Head(res.Ref, ropts...); err != nil || d.Digest != a.desc.Digest {
		if err := pusher.Push(ctx, res.Ref, a.taggable()); err != nil {
			return fmt.Errorf("pushing %s to %s: %w", kindName(a), res.Ref, err)
		}
	}
	for _, t := range o.tags {
		tref := repo.Tag(t)
		if err := pusher.Push(ctx, tref, a.taggable()); err != nil {
			return fmt.Errorf("tagging %s: %w", tref, err)
		}
		res.Tags = append(res.Tags, tref.String())
	}
	return nil
}

// pushEvidence copies the source's evidence and signed attestations to
// the destination and attaches the push's own.
func (c *Client) pushEvidence(ctx context.Context, pusher *remote.Pusher, a *artifact, res *Result, repo name.Repository, o *pushOptions,
	attached []evidence.Attached, signed []evidence.SignedAttestation, ropts []remote.Option) error {
	for _, at := range attached {
		img, err := remote.Image(a.ref.Context().Digest(at.Digest.String()), c.RemoteOptions(ctx)...)
		if err != nil {
			return fmt.Errorf("copying evidence %s: %w", at.Digest, err)
		}
		ref := repo.Digest(at.Digest.String())
		if err := pusher.Push(ctx, ref, img); err != nil {
			return fmt.Errorf("copying evidence %s: %w", at.Digest, err)
		}
		res.Evidence = append(res.Evidence, ref)
	}
	if o.evidence != nil {
		ref, err := evidence.Attach(ctx, res.Ref, *o.evidence, ropts...)
		if err != nil {
			return err
		}
		res.Evidence = append(res.Evidence, ref)
	}
	refs, err := c.pushSigned(ctx, pusher, a, res.Ref, signed, o.signed.bundles, ropts)
	if err != nil {
		return err
	}
	res.Evidence = append(res.Evidence, refs...)
	return nil
}
