package build

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// OutputKind says where a build goes.
type OutputKind string

// The kinds of output.
const (
	OutputOCI      OutputKind = "oci"      // an OCI image layout directory
	OutputTar      OutputKind = "tar"      // an OCI archive, docker load-able for one platform
	OutputDocker   OutputKind = "docker"   // the local Docker Engine, one platform
	OutputRegistry OutputKind = "registry" // the tags' registries
)

// Output is one destination of a build.
type Output struct {
	Kind OutputKind
	// Path is the directory (oci) or file (tar).
	Path string
}

func (o Output) String() string {
	if o.Kind == OutputRegistry {
		return "registry"
	}
	if o.Path == "" {
		return string(o.Kind) + ":"
	}
	return string(o.Kind) + ":" + o.Path
}

// ParseOutput parses oci:<dir>, tar:<file>, docker: or registry.
func ParseOutput(s string) (Output, error) {
	kind, path, ok := strings.Cut(s, ":")
	switch {
	case s == "registry" || s == "registry:":
		return Output{Kind: OutputRegistry}, nil
	case kind == "docker" && ok && path == "":
		return Output{Kind: OutputDocker}, nil
	case (kind == "oci" || kind == "tar") && path != "":
		return Output{Kind: OutputKind(kind), Path: path}, nil
	}
	return Output{}, inputErr(fmt.Errorf("output %q: want oci:<dir>, tar:<file>, docker: or registry", s))
}

// Publisher writes to registries. [RemotePublisher] is the default; a
// retrying one can take its place.
type Publisher interface {
	// WriteIndex uploads an index with its images and tags it as ref.
	WriteIndex(ctx context.Context, ref name.Reference, idx v1.ImageIndex) error
	// WriteImage uploads an image (or artifact) and its blobs under ref.
	WriteImage(ctx context.Context, ref name.Reference, img v1.Image) error
	// Tag points tag at something already uploaded.
	Tag(ctx context.Context, tag name.Tag, t remote.Taggable) error
}

// RemotePublisher publishes with go-containerregistry's remote package.
type RemotePublisher struct {
	Options []remote.Option
}

var _ Publisher = (*RemotePublisher)(nil)

func (p *RemotePublisher) opts(ctx context.Context) []remote.Option {
	return append([]remote.Option{remote.WithContext(ctx)}, p.Options...)
}

// WriteIndex implements [Publisher].
func (p *RemotePublisher) WriteIndex(ctx context.Context, ref name.Reference, idx v1.ImageIndex) error {
	return remote.WriteIndex(ref, idx, p.opts(ctx)...)
}

// WriteImage implements [Publisher].
func (p *RemotePublisher) WriteImage(ctx context.Context, ref name.Reference, img v1.Image) error {
	return remote.Write(ref, img, p.opts(ctx)...)
}

// Tag implements [Publisher].
func (p *RemotePublisher) Tag(ctx context.Context, tag name.Tag, t remote.Taggable) error {
	return remote.Tag(tag, t, p.opts(ctx)...)
}

// WriteOption configures [Write].
type WriteOption func(*writeOptions) error

type writeOptions struct {
	tags      []name.Tag
	publisher Publisher
	progress  Progress
	docker    string
	dockerEnv []string
}

// WithTags are the image's tags: where a registry output pushes, the name
// an image gets in Docker and in a tar's manifest.json.
func WithTags(tags ...name.Tag) WriteOption {
	return func(o *writeOptions) error {
		o.tags = append(o.tags, tags...)
		return nil
	}
}

// WithPublisher replaces the [RemotePublisher] of registry outputs.
func WithPublisher(p Publisher) WriteOption {
	return func(o *writeOptions) error {
		if p == nil {
			return errors.New("publisher is nil")
		}
		o.publisher = p
		return nil
	}
}

// WithWriteProgress sends progress events to p.
func WithWriteProgress(p Progress) WriteOption {
	return func(o *writeOptions) error {
		if p == nil {
			return errors.New("progress is nil")
		}
		o.progress = p
		return nil
	}
}

// WithDockerCLI is the docker CLI a docker: output runs, and extra
// environment for it (such as DOCKER_HOST=...).
func WithDockerCLI(path string, env ...string) WriteOption {
	return func(o *writeOptions) error {
		if path == "" {
			return errors.New("docker path is empty")
		}
		o.docker, o.dockerEnv = path, env
		return nil
	}
}

// Written says what an output received.
type Written struct {
	Output Output
	// Refs are the digest references a registry output pushed, one per
	// repository; the Docker image ID for a docker output.
	Refs []string
}

// Write sends a build to out. A directory or file is written beside its
// destination and renamed into place, so a failed write leaves nothing
// half-written; a registry gets its blobs and manifests before any tag.
func Write(ctx context.Context, res *Result, out Output, opts ...WriteOption) (Written, error) {
	o := &writeOptions{progress: discard{}, docker: "docker", publisher: &RemotePublisher{}}
	var errs []error
	for _, opt := range opts {
		errs = append(errs, opt(o))
	}
	if err := errors.Join(errs...); err != nil {
		return Written{}, inputErr(err)
	}
	w := Written{Output: out}
	o.progress.Report(Event{Step: "write", Detail: out.String()})
	var err error
	switch out.Kind {
	case OutputOCI:
		err = writeLayoutDir(res, out.Path, o.tags)
	case OutputTar:
		err = writeTar(res, out.Path, o.tags)
	case OutputDocker:
		var id string
		id, err = loadDocker(ctx, res, o)
		w.Refs = []string{id}
	case OutputRegistry:
		w.Refs, err = push(ctx, res, o)
	default:
		err = inputErr(fmt.Errorf("output %q: unknown kind", out))
	}
	if err != nil {
		return Written{}, err
	}
	return w, nil
}

// refName is the org.opencontainers.image.ref.name annotation of a layout.
const refName = "org.opencontainers.image.ref.name"

// writeLayout writes the index and its referrers into a fresh layout at dir.
func writeLayout(res *Result, dir string, tags []name.Tag) error {
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing layout: %w", err)
	}
	var lopts []layout.Option
	if len(tags) > 0 {
		lopts = append(lopts, layout.WithAnnotations(map[string]string{refName: tags[0].String()}))
	}
	if err := p.AppendIndex(res.Index, lopts...); err != nil {
		return fmt.Errorf("writing index: %w", err)
	}
	for _, r := range res.Referrers {
		if err := p.AppendImage(r.Image); err != nil {
			return fmt.Errorf("writing %s artifact: %w", r.ArtifactType, err)
		}
	}
	return nil
}

// writeLayoutDir replaces dir, an OCI layout or an empty or missing
// directory, with the build's layout.
func writeLayoutDir(res *Result, dir string, tags []name.Tag) error {
	if err := replaceable(dir); err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil { // #nosec G301 -- where the user asked for the layout
		return fmt.Errorf("creating output directory: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := writeLayout(res, tmp, tags); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // #nosec G302 -- the layout is for the user's tools to read; MkdirTemp made it 0700
		return fmt.Errorf("writing layout: %w", err)
	}
	return swapDir(tmp, dir)
}

// replaceable refuses to overwrite a directory that is not an OCI layout.
func replaceable(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking output %s: %w", dir, err)
	}
	if !info.IsDir() {
		return inputErr(fmt.Errorf("output oci:%s is a file; want a directory", dir))
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err == nil {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checking output %s: %w", dir, err)
	}
	if len(ents) > 0 {
		return inputErr(fmt.Errorf("output oci:%s is a directory but not an OCI layout; give a new or empty directory", dir))
	}
	return nil
}

// swapDir moves tmp to dir, replacing what was there.
func swapDir(tmp, dir string) error {
	if err := os.Rename(tmp, dir); err == nil {
		return nil
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return fmt.Errorf("replacing %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.Rename(old, dir)
		return fmt.Errorf("replacing %s: %w", dir, err)
	}
	return os.RemoveAll(old)
}

// dockerManifest is an entry of a docker save tarball's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// writeTar writes an OCI archive: the layout as a tar with sorted entries
// and fixed times. With one platform it also holds the manifest.json that
// docker load reads (as docker save writes since Docker 25).
func writeTar(res *Result, file string, tags []name.Tag) error {
	if info, err := os.Stat(file); err == nil && info.IsDir() {
		return inputErr(fmt.Errorf("output tar:%s is a directory; want a file", file))
	}
	parent := filepath.Dir(file)
	if err := os.MkdirAll(parent, 0o755); err != nil { // #nosec G301 -- where the user asked for the tar
		return fmt.Errorf("creating output directory: %w", err)
	}
	dir, err := os.MkdirTemp(parent, "."+filepath.Base(file)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	defer os.RemoveAll(dir)
	lay := filepath.Join(dir, "layout")
	if err := writeLayout(res, lay, tags); err != nil {
		return err
	}
	if len(res.Platforms) == 1 {
		m, err := res.Platforms[0].Image.Manifest()
		if err != nil {
			return fmt.Errorf("reading manifest: %w", err)
		}
		dm := dockerManifest{Config: blobPath(m.Config.Digest), RepoTags: repoTags(res, tags)}
		for _, l := range m.Layers {
			dm.Layers = append(dm.Layers, blobPath(l.Digest))
		}
		b, err := json.Marshal([]dockerManifest{dm})
		if err != nil {
			return fmt.Errorf("encoding manifest.json: %w", err)
		}
		if err := os.WriteFile(filepath.Join(lay, "manifest.json"), b, 0o644); err != nil { // #nosec G306 -- the layout's manifest, public like the image
			return fmt.Errorf("writing manifest.json: %w", err)
		}
	}
	tmp := filepath.Join(dir, "out.tar")
	if err := tarDir(lay, tmp, res.Created); err != nil {
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// repoTags names the image for docker load: the tags, or a name of its own.
func repoTags(res *Result, tags []name.Tag) []string {
	if len(tags) == 0 {
		return []string{localName(res).String()}
	}
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.String()
	}
	return out
}

// localName is the tag of an image loaded into Docker without a tag given,
// like ko.local: xedgesim.local/<name>:<12 hex digits of the index digest>.
func localName(res *Result) name.Tag {
	n := strings.ToLower(res.Name)
	if n == "" {
		n = "image"
	}
	t, err := name.NewTag("xedgesim.local/" + n + ":" + res.Digest.Hex[:12])
	if err != nil {
		t, _ = name.NewTag("xedgesim.local/image:" + res.Digest.Hex[:12])
	}
	return t
}

// tarDir writes dir's files into a tar at file, sorted, with fixed times.
func tarDir(dir, file string, mtime time.Time) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading layout: %w", err)
	}
	slices.Sort(paths)
	f, err := os.Create(file) // #nosec G304 -- the output tar the user named
	if err != nil {
		return fmt.Errorf("creating %s: %w", file, err)
	}
	tw := tar.NewWriter(f)
	werr := func() error {
		for _, p := range paths {
			info, err := os.Stat(p)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: mtime, Mode: 0o644, Typeflag: tar.TypeReg, Size: info.Size(), Format: tar.FormatPAX}
			if info.IsDir() {
				h.Name, h.Mode, h.Typeflag, h.Size = h.Name+"/", 0o755, tar.TypeDir, 0
			}
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			if info.IsDir() {
				continue
			}
			src, err := os.Open(p) // #nosec G304 -- a file of the layout walked above
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, src)
			_ = src.Close() // read only; io.Copy's error is checked below
			if err != nil {
				return err
			}
		}
		return tw.Close()
	}()
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", file, werr)
	}
	return nil
}

// loadDocker loads the build's one platform into the local engine with
// docker load and returns the image ID.
func loadDocker(ctx context.Context, res *Result, o *writeOptions) (string, error) {
	if len(res.Platforms) != 1 {
		return "", inputErr(fmt.Errorf("output docker: takes one platform, the build has %d (%s); pick one with --platform, or write oci:<dir> or tar:<file>",
			len(res.Platforms), strings.Join(res.PlatformStrings(), ", ")))
	}
	tags := o.tags
	if len(tags) == 0 {
		tags = []name.Tag{localName(res)}
	}
	img := res.Platforms[0].Image
	refs := map[name.Reference]v1.Image{}
	for _, t := range tags {
		refs[t] = img
	}
	var buf bytes.Buffer
	if err := tarball.MultiRefWrite(refs, &buf); err != nil {
		return "", fmt.Errorf("writing image tarball: %w", err)
	}
	o.progress.Report(Event{Step: "load", Platform: PlatformString(res.Platforms[0].Platform), Detail: tags[0].String()})
	cmd := exec.CommandContext(ctx, o.docker, "load", "-q") // #nosec G204 -- argv, no shell: the docker CLI
	cmd.Env = append(os.Environ(), o.dockerEnv...)
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("loading into docker: %s", firstLines(out, err, 3))
	}
	cmd = exec.CommandContext(ctx, o.docker, "image", "inspect", "--format", "{{.Id}}", tags[0].String()) // #nosec G204 -- argv, no shell: the docker CLI and a parsed tag
	cmd.Env = append(os.Environ(), o.dockerEnv...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("inspecting loaded image %s: %w", tags[0], err)
	}
	return strings.TrimSpace(string(out)), nil
}

// push uploads the index to every tag and the referrers to every
// repository, and returns one digest reference per repository.
func push(ctx context.Context, res *Result, o *writeOptions) ([]string, error) {
	if len(o.tags) == 0 {
		return nil, inputErr(errors.New("output registry: no tag to push to; give --tag REF"))
	}
	var refs []string
	seen := map[string]bool{}
	for _, t := range o.tags {
		repo := t.Context()
		first := !seen[repo.String()]
		seen[repo.String()] = true
		o.progress.Report(Event{Step: "push", Detail: t.String()})
		if first {
			if err := o.publisher.WriteIndex(ctx, t, res.Index); err != nil {
				return refs, fmt.Errorf("pushing %s: %w", t, oneLine(err))
			}
			for _, r := range res.Referrers {
				if err := o.publisher.WriteImage(ctx, repo.Digest(r.Digest.String()), r.Image); err != nil {
					return refs, fmt.Errorf("pushing %s artifact to %s: %w", r.ArtifactType, repo, oneLine(err))
				}
			}
			refs = append(refs, repo.Digest(res.Digest.String()).String())
			continue
		}
		if err := o.publisher.Tag(ctx, t, res.Index); err != nil {
			return refs, fmt.Errorf("tagging %s: %w", t, oneLine(err))
		}
	}
	return refs, nil
}
