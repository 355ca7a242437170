package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/xedgesim/simulate/pkg/image/evidence"
)

// PushOption configures one push.
type PushOption func(*pushOptions) error

type pushOptions struct {
	tags            []string
	evidence        *evidence.Evidence
	requireEvidence bool
	signed          signedPushOptions
}

func makePushOptions(opts ...PushOption) (*pushOptions, error) {
	o := &pushOptions{}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, &InputError{Err: err}
		}
	}
	return o, nil
}

// WithTags also points these tags at the pushed digest.
func WithTags(tags ...string) PushOption {
	return func(o *pushOptions) error {
		for _, t := range tags {
			if _, err := name.NewTag("example.invalid/x:"+t, name.StrictValidation); err != nil {
				return fmt.Errorf("tag %q: a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", t)
			}
			o.tags = append(o.tags, t)
		}
		return nil
	}
}

// WithEvidence attaches e to the pushed digest.
func WithEvidence(e evidence.Evidence) PushOption {
	return func(o *pushOptions) error {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		o.evidence = &e
		return nil
	}
}

// RequireEvidence makes the push a promotion: the source must be a
// registry digest with attached evidence that passes, or the push is
// refused with an [*evidence.Refusal] (exit code 2).
func RequireEvidence() PushOption {
	return func(o *pushOptions) error {
		o.requireEvidence = true
		return nil
	}
}

// BlobState is what the registry did with a blob.
type BlobState string

// The states of a blob.
const (
	BlobUploaded BlobState = "uploaded"
	BlobMounted  BlobState = "mounted"
	BlobExisting BlobState = "existing"
)

// BlobEvent reports one blob of a push.
type BlobEvent struct {
	// Platforms that use the blob (empty for blobs of evidence).
	Platforms []string
	Digest    v1.Hash
	Size      int64
	State     BlobState
}

// Result is what a push did.
type Result struct {
	// Ref is DST@sha256:..., the pushed digest; Digest and MediaType are
	// the source's (and now the registry's).
	Ref       name.Digest
	Digest    v1.Hash
	MediaType types.MediaType
	// Tags are the tags pointed at the digest, as full references.
	Tags []string
	// Platforms are the manifests of an index in its order (attestation
	// manifests included), or the one image.
	Platforms []PlatformResult
	// EvidenceChecked counts the evidence that allowed a promotion;
	// Evidence are the evidence artifacts copied or attached at DST.
	EvidenceChecked int
	Evidence        []name.Digest
	// UploadedBlobs and UploadedBytes count what went over the wire, each
	// blob once even when platforms share it.
	UploadedBlobs int
	UploadedBytes int64
	// Unchanged says the destination had the digest under every tag asked
	// for, and nothing was asked of its evidence: the push read the
	// source's manifest and wrote nothing. Platforms then name the
	// index's manifests without counting their blobs (none for an image).
	Unchanged bool
}

// PlatformResult is the blobs of one platform's manifest.
type PlatformResult struct {
	Platform string
	Digest   v1.Hash
	// Blobs and Bytes count the config and layers.
	Blobs int
	Bytes int64
	// Uploaded blobs and bytes went over the wire; Mounted came from
	// another repository of the registry; Existing were there already.
	Uploaded      int
	UploadedBytes int64
	Mounted       int
	Existing      int
}

// Push copies src to dst, a repository or a reference (a tag, or the
// source's digest), by digest: the manifest bytes are the source's, so the
// digest is kept, and an index goes with every platform and attestation.
// Tags from dst and [WithTags] point at the digest afterwards. Evidence is
// copied along from a registry source, and [WithEvidence] is attached; the
// tags move last. Then the registry's digest is checked against the
// source's. When every tag asked for already has the digest and nothing
// is to be checked or attached, the push is a no-op that reads nothing
// more (as crane copy): evidence attached to the source since its last
// push goes along with the next push that is not.
func (c *Client) Push(ctx context.Context, src Source, dst string, opts ...PushOption) (*Result, error) {
	o, err := makePushOptions(opts...)
	if err != nil {
		return nil, err
	}
	repo, tag, wantDigest, err := c.parseDestination(dst)
	if err != nil {
		return nil, err
	}
	if tag != "" {
		o.tags = append([]string{tag}, o.tags...)
	}
	if o.requireEvidence && (src.Kind != SourceRegistry || !strings.Contains(src.Name, "@sha256:")) {
		return nil, &InputError{Err: fmt.Errorf("promotion (--require-evidence) takes a registry digest, REPO@sha256:..., not %s", src)}
	}
	// One puller for the source's requests: the registry is pinged and
	// the token fetched once.
	sopts := c.RemoteOptions(ctx)
	if puller, err := remote.NewPuller(sopts...); err == nil {
		sopts = append(sopts, remote.Reuse(puller))
	}
	obs := &observer{inner: c.transport, reporter: c.o.reporter, states: map[v1.Hash]BlobState{}}
	ropts := c.remoteOptions(ctx, obs)
	pusher, err := remote.NewPusher(ropts...)
	if err != nil {
		return nil, fmt.Errorf("pushing: %w", err)
	}
	// One puller for the destination's reads (the check, the existence
	// of manifests, the verification), as the pusher is for its writes:
	// a ping and a token for all of them, not one per read. A token that
	// expired during the push, or granted no pull on a repository not
	// there yet, is challenged and fetched again (TestPushTokenAuth).
	dpuller, err := remote.NewPuller(ropts...)
	if err != nil {
		return nil, fmt.Errorf("pushing: %w", err)
	}
	ropts = append(ropts, remote.Reuse(pusher), remote.Reuse(dpuller))

	// What the destination answers for the names asked for does not wait
	// for the source when those names are known (tags, or a digest).
	var check destinationCheck
	known := destinationNames(repo, o.tags, wantDigest)
	if known != nil {
		check.start(known, ropts)
	}
	a, err := c.open(ctx, src, sopts)
	if err != nil {
		check.wait()
		return nil, err
	}
	if a.cleanup != nil {
		defer a.cleanup()
	}
	if wantDigest != "" && wantDigest != a.desc.Digest.String() {
		check.wait()
		return nil, &InputError{Err: fmt.Errorf("destination %s names digest %s but the source is %s", dst, wantDigest, a.desc.Digest)}
	}
	res := &Result{Ref: repo.Digest(a.desc.Digest.String()), Digest: a.desc.Digest, MediaType: a.desc.MediaType}
	if known == nil {
		check.start([]name.Reference{res.Ref}, ropts)
	}

	// The source's manifests and referrers are read while the destination
	// answers when the push checks or attaches evidence, or names no tag;
	// otherwise only when the destination lacks the digest under a tag,
	// so that pushing an unchanged image is a no-op that asks the source
	// only what crane copy asks: its manifest. (Tags move
	// last, after the evidence: a push that stopped before has not moved
	// them, and its next run goes the whole way. Evidence attached to the
	// source after a finished push goes along with the next push that is
	// not a no-op.)
	var (
		platforms []platformBlobs
		blobs     map[v1.Hash]blobInfo
		attached  []evidence.Attached
		signed    []evidence.SignedAttestation
	)
	var wg sync.WaitGroup
	var errs [2]error
	read := func() {
		wg.Go(func() { platforms, blobs, errs[0] = describe(ctx, a) })
		if src.Kind == SourceRegistry {
			wg.Go(func() {
				subject := a.ref.Context().Digest(a.desc.Digest.String())
				if attached, signed, errs[1] = evidence.FindAll(ctx, subject, sopts...); errs[1] != nil {
					errs[1] = fmt.Errorf("reading evidence and attestations: %w", errs[1])
				}
			})
		}
	}
	asked := o.requireEvidence || o.signed.policy != nil || o.evidence != nil || len(o.signed.bundles) > 0
	early := asked || len(o.tags) == 0
	if early {
		read()
	}
	there := check.has(a.desc.Digest)
	// Under tags that all have the digest, with nothing asked of its
	// evidence, the push is a no-op: the source's manifests and
	// referrers are not read (crane copy reads neither).
	unchanged := there && !early
	if !early && !there {
		read()
	}
	if !there {
		wg.Go(func() { warm(ctx, pusher, repo) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	obs.blobs = blobs
	if src.Kind == SourceRegistry {
		subject := a.ref.Context().Digest(a.desc.Digest.String())
		if o.signed.policy != nil {
			if err := checkSigned(*o.signed.policy, subject.String(), signed, attached, platforms); err != nil {
				return nil, err
			}
			res.EvidenceChecked = 1
		} else if o.requireEvidence {
			if err := checkEvidence(subject.String(), attached, platforms); err != nil {
				return nil, err
			}
			res.EvidenceChecked = len(attached)
		}
	}

	// When the digest is there under every name asked for, those answers
	// are the verification, and no blob or manifest needs a look (crane
	// copy does the same); see destinationCheck.has.
	fast := there && !asked && len(attached) == 0 && len(signed) == 0
	if unchanged {
		res.Unchanged = true
		platforms = listed(a)
	}
	if fast {
		for _, t := range o.tags {
			res.Tags = append(res.Tags, repo.Tag(t).String())
		}
	} else {
		// With no evidence to put between the digest and the tags, the
		// manifest goes straight under the first tag still to put: a push
		// that stops then has moved no tag before its evidence either, and
		// the registry is not sent the manifest twice.
		var under name.Reference = res.Ref
		if len(attached) == 0 && len(signed) == 0 && o.evidence == nil && len(o.signed.bundles) == 0 {
			for _, t := range o.tags {
				if tref := repo.Tag(t); !check.tagThere(tref, a.desc.Digest) {
					under = tref
					break
				}
			}
		}
		if err := c.pushDigest(ctx, pusher, a, under, check.lacks(under, a.desc.Digest)); err != nil {
			return nil, err
		}
		if err := c.pushEvidence(ctx, pusher, a, res, repo, o, attached, signed, sopts, ropts); err != nil {
			return nil, err
		}
		if err := c.pushTags(ctx, pusher, a, res, repo, o, &check, under); err != nil {
			return nil, err
		}
		// A push that wrote the digest wrote or found every manifest an
		// index lists: the verification need not ask for them again. One
		// that found the digest there asked for none of them.
		if err := c.verify(ctx, res.Ref, res.Tags, a.desc, there, ropts); err != nil {
			return nil, err
		}
	}
	res.Platforms = obs.results(platforms)
	res.UploadedBlobs, res.UploadedBytes = obs.uploaded()
	return res, nil
}

// listed is the manifests an index lists, as its manifest names them
// (no request); none for an image, whose platform is in its config.
func listed(a *artifact) []platformBlobs {
	if a.index == nil {
		return nil
	}
	im, err := a.index.IndexManifest()
	if err != nil {
		return nil
	}
	out := make([]platformBlobs, 0, len(im.Manifests))
	for _, d := range im.Manifests {
		out = append(out, platformBlobs{name: platformName(d), digest: d.Digest})
	}
	return out
}

func kindName(a *artifact) string {
	if a.index != nil {
		return "index"
	}
	return "image"
}

// parseDestination splits DST into a repository and an optional tag or
// digest.
func (c *Client) parseDestination(dst string) (repo name.Repository, tag, digest string, err error) {
	fail := func(err error) (name.Repository, string, string, error) {
		return name.Repository{}, "", "", &InputError{Err: fmt.Errorf("parsing destination %q: %w", dst, err)}
	}
	if dst == "" {
		return fail(errors.New("empty: write a repository such as registry.example.com/team/app"))
	}
	if strings.Contains(dst, "@") {
		d, err := name.NewDigest(dst, c.NameOptions()...)
		if err != nil {
			return fail(err)
		}
		return d.Context(), "", d.DigestStr(), nil
	}
	last := dst[strings.LastIndex(dst, "/")+1:]
	if strings.Contains(last, ":") {
		t, err := name.NewTag(dst, c.NameOptions()...)
		if err != nil {
			return fail(err)
		}
		return t.Context(), t.TagStr(), "", nil
	}
	r, err := name.NewRepository(dst, c.NameOptions()...)
	if err != nil {
		return fail(err)
	}
	return r, "", "", nil
}

// checkEvidence allows a promotion when evidence is attached and all of it
// passes for this digest.
func checkEvidence(subject string, attached []evidence.Attached, platforms []platformBlobs) error {
	var children []string
	for _, p := range platforms {
		children = append(children, p.digest.String())
	}
	return evidence.CheckAttached(subject, attached, children...)
}
