package registry

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/internal/readlimit"
	"github.com/xedgesim/simulate/pkg/image/internal/untar"
)

// SourceKind is where an image comes from.
type SourceKind string

// The kinds of sources.
const (
	SourceOCI      SourceKind = "oci"      // an OCI image layout directory
	SourceTar      SourceKind = "tar"      // a tarball: an OCI layout, or docker save
	SourceDocker   SourceKind = "docker"   // the local Docker engine
	SourceRegistry SourceKind = "registry" // a registry reference
)

// Source is a parsed SRC argument.
type Source struct {
	Kind SourceKind
	// Path is the directory or file of oci: and tar:, Name the image of
	// docker: or the reference of a registry source.
	Path string
	Name string
	// Digest selects one manifest of an OCI layout that holds several
	// (oci:DIR@sha256:...); empty when the layout holds one.
	Digest string
}

// String is the source as the user writes it.
func (s Source) String() string {
	switch s.Kind {
	case SourceOCI:
		if s.Digest != "" {
			return "oci:" + s.Path + "@" + s.Digest
		}
		return "oci:" + s.Path
	case SourceTar:
		return "tar:" + s.Path
	case SourceDocker:
		return "docker:" + s.Name
	}
	return s.Name
}

// ParseSource reads SRC: oci:<dir>[@sha256:...], tar:<file>,
// docker:<image> or a registry reference.
func ParseSource(s string) (Source, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if ok {
		switch kind {
		case "oci":
			src := Source{Kind: SourceOCI, Path: rest}
			if i := strings.LastIndex(rest, "@sha256:"); i >= 0 {
				src.Path, src.Digest = rest[:i], rest[i+1:]
				if _, err := hashOf(src.Digest); err != nil {
					return Source{}, err
				}
			}
			if src.Path == "" {
				return Source{}, &InputError{Err: errors.New("source oci: needs a directory: oci:<dir>")}
			}
			return src, nil
		case "tar":
			if rest == "" {
				return Source{}, &InputError{Err: errors.New("source tar: needs a file: tar:<file>")}
			}
			return Source{Kind: SourceTar, Path: rest}, nil
		case "docker":
			if rest == "" {
				return Source{}, &InputError{Err: errors.New("source docker: needs an image: docker:<name>")}
			}
			return Source{Kind: SourceDocker, Name: rest}, nil
		}
	}
	if s == "" {
		return Source{}, &InputError{Err: errors.New("source is empty: write oci:<dir>, tar:<file>, docker:<image> or a registry reference")}
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") {
		return Source{}, &InputError{Err: fmt.Errorf("source %q looks like a path: write oci:%s for an OCI layout or tar:%s for a tarball", s, s, s)}
	}
	return Source{Kind: SourceRegistry, Name: s}, nil
}

// artifact is an opened source: an index or an image, with its digest.
type artifact struct {
	desc  v1.Descriptor
	index v1.ImageIndex // set for an index
	image v1.Image      // set for an image
	// ref is the source reference when it is a registry, for evidence.
	ref     name.Reference
	cleanup func()
}

func (a *artifact) taggable() remote.Taggable {
	if a.index != nil {
		return a.index
	}
	return a.image
}

// open resolves a source to its index or image; ropts are the remote
// options for a registry source.
func (c *Client) open(ctx context.Context, src Source, ropts []remote.Option) (*artifact, error) {
	switch src.Kind {
	case SourceOCI:
		return openLayout(src.Path, src.Digest)
	case SourceTar:
		return openTar(src.Path)
	case SourceDocker:
		if _, err := c.ParseReference(src.Name); err != nil {
			return nil, err
		}
		return openDocker(ctx, src.Name)
	case SourceRegistry:
		ref, err := c.ParseReference(src.Name)
		if err != nil {
			return nil, err
		}
		d, err := remote.Get(ref, ropts...)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", ref, err)
		}
		a := &artifact{desc: d.Descriptor, ref: ref}
		if d.MediaType.IsIndex() {
			var idx v1.ImageIndex
			if idx, err = d.ImageIndex(); err == nil {
				a.index = newReadOnce(idx)
			}
		} else {
			a.image, err = d.Image()
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", ref, err)
		}
		return a, nil
	}
	return nil, &InputError{Err: fmt.Errorf("unknown source kind %q", src.Kind)}
}

func imageArtifact(img v1.Image, ref name.Reference) (*artifact, error) {
	d, err := partial.Descriptor(img)
	if err != nil {
		return nil, fmt.Errorf("describing image: %w", err)
	}
	return &artifact{desc: *d, image: img, ref: ref}, nil
}

// openDocker reads an image from the Docker engine as `docker save` gives
// it, through a temporary file: the layers are read more than once (to
// digest, then to send), and the engine's archive is a stream. The file is
// removed with the artifact.
func openDocker(ctx context.Context, ref string) (*artifact, error) {
	fail := func(err error) (*artifact, error) {
		return nil, fmt.Errorf("reading %s from the Docker engine: %w", ref, err)
	}
	eng, err := engine.FromEnv()
	if err != nil {
		return fail(err)
	}
	defer eng.Close()
	f, err := os.CreateTemp("", "xedgesim-docker-*.tar")
	if err != nil {
		return fail(err)
	}
	remove := func() { _ = os.Remove(f.Name()) } // a temporary file; a leftover only takes space
	archive, err := eng.ImageSave(ctx, ref)
	if err == nil {
		_, err = io.Copy(f, archive)
		_ = archive.Close() // read to the end; io.Copy's error is checked below
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		remove()
		return fail(err)
	}
	a, err := openTar(f.Name())
	if err != nil {
		remove()
		return fail(err)
	}
	if layoutCleanup := a.cleanup; layoutCleanup != nil {
		a.cleanup = func() { layoutCleanup(); remove() }
	} else {
		a.cleanup = remove
	}
	return a, nil
}

// openLayout reads an OCI layout: its only manifest, or the one selected
// by digest. The manifests are read as they are, so digests are kept.
func openLayout(dir, digest string) (*artifact, error) {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return nil, &InputError{Err: fmt.Errorf("reading OCI layout %s: no oci-layout file: %w", dir, err)}
	}
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	im, err := root.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	var desc *v1.Descriptor
	switch {
	case digest != "":
		for i := range im.Manifests {
			if im.Manifests[i].Digest.String() == digest {
				desc = &im.Manifests[i]
			}
		}
		if desc == nil {
			return nil, &InputError{Err: fmt.Errorf("OCI layout %s has no manifest %s", dir, digest)}
		}
	case len(im.Manifests) == 1:
		desc = &im.Manifests[0]
	case len(im.Manifests) == 0:
		return nil, &InputError{Err: fmt.Errorf("OCI layout %s holds no image", dir)}
	default:
		var ds []string
		for _, m := range im.Manifests {
			ds = append(ds, m.Digest.String())
		}
		return nil, &InputError{Err: fmt.Errorf("OCI layout %s holds %d manifests: choose one with oci:%s@<digest> (%s)", dir, len(ds), dir, strings.Join(ds, ", "))}
	}
	a := &artifact{desc: *desc}
	switch {
	case desc.MediaType.IsIndex():
		a.index, err = root.ImageIndex(desc.Digest)
	case desc.MediaType.IsImage():
		a.image, err = root.Image(desc.Digest)
	default:
		return nil, &InputError{Err: fmt.Errorf("OCI layout %s: manifest %s has media type %s, not an image or an index", dir, desc.Digest, desc.MediaType)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	// The layout's descriptor may carry annotations (ref.name) that are
	// not part of the manifest; keep only what identifies it.
	a.desc = v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size}
	return a, nil
}

// openTar reads a tarball: an OCI layout in a tar (docker save writes one
// since Docker 25, buildx --output type=oci too) keeps its digests; an
// older docker save tarball gives one image.
func openTar(path string) (*artifact, error) {
	// A regular file: a FIFO would block here, and a device never end.
	f, _, err := readlimit.Open(path, math.MaxInt64)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("reading tarball: %w", err)}
	}
	defer f.Close()
	isLayout := false
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &InputError{Err: fmt.Errorf("reading tarball %s: %w", path, err)}
		}
		if filepath.Clean(h.Name) == "oci-layout" {
			isLayout = true
			break
		}
	}
	if !isLayout {
		img, err := tarball.ImageFromPath(path, nil)
		if err != nil {
			return nil, fmt.Errorf("reading tarball %s: %w", path, err)
		}
		return imageArtifact(img, nil)
	}
	dir, err := os.MkdirTemp("", "xedgesim-oci-")
	if err != nil {
		return nil, fmt.Errorf("extracting tarball: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) } // a temporary directory; a leftover only takes space
	if err := untar.Extract(path, dir); err != nil {
		cleanup()
		return nil, fmt.Errorf("extracting tarball %s: %w", path, err)
	}
	a, err := openLayout(dir, "")
	if err != nil {
		cleanup()
		return nil, err
	}
	a.cleanup = cleanup
	return a, nil
}

// isAttestation tells a BuildKit attestation manifest in an index.
func isAttestation(d v1.Descriptor) bool {
	return d.Annotations["vnd.docker.reference.type"] == "attestation-manifest"
}

// platformName names an index entry: os/arch[/variant], or "attestation
// for sha256:1234..." for attestation manifests.
func platformName(d v1.Descriptor) string {
	if isAttestation(d) {
		ref := d.Annotations["vnd.docker.reference.digest"]
		if len(ref) > 19 {
			ref = ref[:19]
		}
		return "attestation " + ref
	}
	if d.Platform == nil {
		if d.MediaType.IsIndex() {
			return "index " + d.Digest.String()[:19]
		}
		return "unknown"
	}
	return d.Platform.String()
}

// readOnce is an index of a registry whose children are read once: the
// push describes them first, and the pusher, handed the same index, would
// read every child's manifest again, a round trip each before its blobs go.
type readOnce struct {
	imageIndex // the index read; its methods but Image and ImageIndex

	mu      sync.Mutex
	images  map[v1.Hash]v1.Image
	indexes map[v1.Hash]v1.ImageIndex
}

// imageIndex names the embedded index apart from the method ImageIndex.
type imageIndex = v1.ImageIndex

func newReadOnce(idx v1.ImageIndex) *readOnce {
	return &readOnce{imageIndex: idx, images: map[v1.Hash]v1.Image{}, indexes: map[v1.Hash]v1.ImageIndex{}}
}

func (r *readOnce) Image(h v1.Hash) (v1.Image, error) {
	return once(r, r.images, h, r.imageIndex.Image)
}

func (r *readOnce) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	return once(r, r.indexes, h, func(h v1.Hash) (v1.ImageIndex, error) {
		idx, err := r.imageIndex.ImageIndex(h)
		if err != nil {
			return nil, err
		}
		return newReadOnce(idx), nil
	})
}

// Layer keeps what the pusher finds of a child that is no manifest.
func (r *readOnce) Layer(h v1.Hash) (v1.Layer, error) {
	wl, ok := r.imageIndex.(interface {
		Layer(v1.Hash) (v1.Layer, error)
	})
	if !ok {
		return nil, fmt.Errorf("index child %s: not a manifest", h)
	}
	return wl.Layer(h)
}

// once reads the child h with read unless it was read before; two reads at
// once of the same child may both go, and the first kept.
func once[T any](r *readOnce, m map[v1.Hash]T, h v1.Hash, read func(v1.Hash) (T, error)) (T, error) {
	r.mu.Lock()
	v, ok := m[h]
	r.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := read(h)
	if err != nil {
		return v, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if kept, ok := m[h]; ok {
		return kept, nil
	}
	m[h] = v
	return v, nil
}
