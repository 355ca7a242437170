package registry

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/xedgesim/simulate/internal/fanout"
	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// destinationNames are the names a push checks at the destination: each
// tag, or the digest DST names. Nil when there is neither: the name is
// then the source's digest, known once the source is read.
func destinationNames(repo name.Repository, tags []string, digest string) []name.Reference {
	if len(tags) == 0 && digest == "" {
		return nil
	}
	if len(tags) == 0 {
		return []name.Reference{repo.Digest(digest)}
	}
	refs := make([]name.Reference, 0, len(tags))
	for _, t := range tags {
		refs = append(refs, repo.Tag(t))
	}
	return refs
}

// destinationCheck asks the destination, in the background, which digest
// each name has.
type destinationCheck struct {
	done chan struct{}
	refs []name.Reference
	got  []v1.Hash // zero where the name is missing or the request failed
}

func (d *destinationCheck) start(refs []name.Reference, ropts []remote.Option) {
	d.done = make(chan struct{})
	d.refs = refs
	go func() {
		defer close(d.done)
		for _, r := range refs {
			h, err := remote.Head(r, ropts...)
			if err != nil {
				// A missing name, or any error: the push goes the whole way.
				d.got = append(d.got, v1.Hash{})
				return
			}
			d.got = append(d.got, h.Digest)
		}
	}()
}

// answer is what the check found for ref (zero: missing or not answered),
// and whether it asked for it.
func (d *destinationCheck) answer(ref name.Reference) (v1.Hash, bool) {
	d.wait()
	for i, r := range d.refs {
		if i < len(d.got) && r.String() == ref.String() {
			return d.got[i], true
		}
	}
	return v1.Hash{}, false
}

// lacks tells whether the check asked for ref and found it without
// digest (missing, at another digest, or not answered).
func (d *destinationCheck) lacks(ref name.Reference, digest v1.Hash) bool {
	h, asked := d.answer(ref)
	return asked && h != digest
}

// wait lets the check finish, so that nothing outlives the push.
func (d *destinationCheck) wait() {
	if d.done != nil {
		<-d.done
	}
}

// has tells whether every name has digest. A registry keeps a manifest
// only with everything it references, and a tag only on a manifest it
// keeps: yes means nothing needs pushing.
func (d *destinationCheck) has(digest v1.Hash) bool {
	d.wait()
	if d.done == nil || len(d.got) == 0 {
		return false
	}
	for _, h := range d.got {
		if h != digest {
			return false
		}
	}
	return true
}

// tagThere tells whether the check found tag at digest: such a tag is not
// put again (a registry with immutable tags refuses even the same digest).
func (d *destinationCheck) tagThere(tag name.Tag, digest v1.Hash) bool {
	h, asked := d.answer(tag)
	return asked && h == digest
}

// pushDigest pushes the source under a digest or a tag, unless the
// destination has it (the pusher asks first, for each manifest, before its
// blobs). When the check found the name lacking the digest, the pusher
// need not ask for it again: an index's manifests are pushed, and the
// index put.
func (c *Client) pushDigest(ctx context.Context, pusher *remote.Pusher, a *artifact, under name.Reference, lacking bool) error {
	var err error
	if lacking && a.index != nil {
		err = c.pushIndex(ctx, pusher, under, a.index)
	} else {
		err = pusher.Push(ctx, under, a.taggable())
	}
	if err != nil {
		return fmt.Errorf("pushing %s to %s: %w", kindName(a), under, err)
	}
	return nil
}

// pushIndex pushes each manifest of idx under its digest, as many at once
// as the pusher would, then puts idx under ref. An index that lists what
// is no manifest is left to the pusher whole.
func (c *Client) pushIndex(ctx context.Context, pusher *remote.Pusher, ref name.Reference, idx v1.ImageIndex) error {
	children, err := partial.Manifests(idx)
	if err != nil {
		return err
	}
	manifests := make([]remote.Taggable, 0, len(children))
	for _, ch := range children {
		m, ok := ch.(remote.Taggable)
		if !ok {
			return pusher.Push(ctx, ref, idx)
		}
		manifests = append(manifests, m)
	}
	err = fanout.Run(ctx, len(manifests), c.o.jobs, func(ctx context.Context, i int) error {
		d, err := children[i].Digest()
		if err != nil {
			return err
		}
		return pusher.Push(ctx, ref.Context().Digest(d.String()), manifests[i])
	})
	if err != nil {
		return err
	}
	return pusher.Put(ctx, ref, idx)
}

// pushTags points the tags at the pushed digest: the manifest is put
// under each tag as it is, as everything it references is there now (the
// pusher's Push would ask for each tag and manifest again), but for tags
// the check found there already and the one pushDigest pushed under.
func (c *Client) pushTags(ctx context.Context, pusher *remote.Pusher, a *artifact, res *Result, repo name.Repository, o *pushOptions, check *destinationCheck, pushed name.Reference) error {
	for _, t := range o.tags {
		tref := repo.Tag(t)
		if tref.String() == pushed.String() || check.tagThere(tref, a.desc.Digest) {
			res.Tags = append(res.Tags, tref.String())
			continue
		}
		if err := pusher.Put(ctx, tref, a.taggable()); err != nil {
			return fmt.Errorf("tagging %s: %w", tref, err)
		}
		res.Tags = append(res.Tags, tref.String())
	}
	return nil
}

// pushEvidence copies the source's evidence and signed attestations to
// the destination and attaches the push's own. sopts reach the source
// (with the push's puller: no ping or token per evidence), ropts the
// destination.
func (c *Client) pushEvidence(ctx context.Context, pusher *remote.Pusher, a *artifact, res *Result, repo name.Repository, o *pushOptions,
	attached []evidence.Attached, signed []evidence.SignedAttestation, sopts, ropts []remote.Option) error {
	for _, at := range attached {
		img, err := remote.Image(a.ref.Context().Digest(at.Digest.String()), sopts...)
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

// warm has the pusher ping the destination and fetch its token while the
// source is read, rather than after: Upload passes over a layer that is
// not to be distributed before it sends anything. Its error is the
// push's to meet again.
func warm(ctx context.Context, pusher *remote.Pusher, repo name.Repository) {
	_ = pusher.Upload(ctx, repo, foreignLayer{})
}

// foreignLayer is a layer not to be distributed, with no content: were
// it ever uploaded, reading it fails.
type foreignLayer struct{}

var errForeign = errors.New("foreign layer: no content")

func (foreignLayer) MediaType() (types.MediaType, error)  { return types.DockerForeignLayer, nil }
func (foreignLayer) Digest() (v1.Hash, error)             { return v1.Hash{}, errForeign }
func (foreignLayer) DiffID() (v1.Hash, error)             { return v1.Hash{}, errForeign }
func (foreignLayer) Compressed() (io.ReadCloser, error)   { return nil, errForeign }
func (foreignLayer) Uncompressed() (io.ReadCloser, error) { return nil, errForeign }
func (foreignLayer) Size() (int64, error)                 { return 0, errForeign }
