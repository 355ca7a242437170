package registry

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/xedgesim/simulate/internal/fanout"
)

// VerifyError is a registry that does not hold what was pushed.
type VerifyError struct {
	Ref  string
	Want v1.Hash
	Got  string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("verifying %s: the registry has %s, want %s", e.Ref, e.Got, e.Want)
}

// Verify checks that the registry serves the manifest of ref with ref's
// digest (its bytes hash to it) and, for an index, holds every manifest
// the index lists.
func (c *Client) Verify(ctx context.Context, ref name.Digest) error {
	want, err := hashOf(ref.DigestStr())
	if err != nil {
		return err
	}
	ropts := c.RemoteOptions(ctx)
	// One puller for every request: the registry is pinged and the token
	// fetched once.
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return fmt.Errorf("verifying %s: %w", ref, err)
	}
	return c.verify(ctx, ref, nil, v1.Descriptor{Digest: want}, true, append(ropts, remote.Reuse(puller)))
}

// verify reads the manifest back under the first tag (ref without one)
// and checks that its bytes hash to ref's digest: one read shows both the
// digest and the tag. Then every other tag must name the digest and, with
// children, every manifest an index lists must be there. Those last asks
// go at once, as the pusher's do, at most readsAtOnce.
func (c *Client) verify(ctx context.Context, ref name.Digest, tags []string, want v1.Descriptor, children bool, ropts []remote.Option) error {
	var read name.Reference = ref
	if len(tags) > 0 {
		tr, err := name.NewTag(tags[0], c.NameOptions()...)
		if err != nil {
			return fmt.Errorf("verifying %s: %w", tags[0], err)
		}
		read, tags = tr, tags[1:]
	}
	d, err := remote.Get(read, ropts...)
	if err != nil {
		return fmt.Errorf("verifying %s: %w", read, err)
	}
	got, _, err := v1.SHA256(bytes.NewReader(d.Manifest))
	if err != nil {
		return fmt.Errorf("verifying %s: %w", read, err)
	}
	if got != want.Digest || d.Digest != want.Digest {
		return &VerifyError{Ref: read.String(), Want: want.Digest, Got: got.String()}
	}
	type check struct {
		ref  name.Reference
		want v1.Hash
		what string // how an error names it
	}
	var checks []check
	if children && d.MediaType.IsIndex() {
		im, err := indexManifest(d)
		if err != nil {
			return fmt.Errorf("verifying %s: %w", ref, err)
		}
		for _, m := range im.Manifests {
			checks = append(checks, check{ref.Context().Digest(m.Digest.String()), m.Digest, fmt.Sprintf("%s: manifest %s (%s)", ref, m.Digest, platformName(m))})
		}
	}
	for _, t := range tags {
		tr, err := name.NewTag(t, c.NameOptions()...)
		if err != nil {
			return fmt.Errorf("verifying %s: %w", t, err)
		}
		checks = append(checks, check{tr, want.Digest, t})
	}
	return fanout.Run(ctx, len(checks), readsAtOnce, func(ctx context.Context, i int) error {
		ch := checks[i]
		h, err := remote.Head(ch.ref, append(ropts[:len(ropts):len(ropts)], remote.WithContext(ctx))...) // a copy: the checks run at once
		switch {
		case err != nil:
			return fmt.Errorf("verifying %s: %w", ch.what, err)
		case h.Digest != ch.want:
			return &VerifyError{Ref: ch.ref.String(), Want: ch.want, Got: h.Digest.String()}
		}
		return nil
	})
}

// indexManifest reads the index manifest of a descriptor that is an index.
func indexManifest(d *remote.Descriptor) (*v1.IndexManifest, error) {
	idx, err := d.ImageIndex()
	if err != nil {
		return nil, err
	}
	return idx.IndexManifest()
}
