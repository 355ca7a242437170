package container

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/scenario"
)

// overrideImage returns n running the image that replaces its own, if
// any; the scenario's docker map is left as it is.
func overrideImage(n scenario.Node, images map[string]string) scenario.Node {
	ref, ok := imageFor(n, images)
	if !ok {
		return n
	}
	d := maps.Clone(n.Docker)
	d["image"] = ref
	// The image under test replaces what the scenario would build.
	delete(d, "build_context")
	delete(d, "dockerfile")
	n.Docker = d
	return n
}

// imageFor returns the image that replaces n's: the override named by its
// id, else the one named by its image (with or without tag or digest).
func imageFor(n scenario.Node, images map[string]string) (string, bool) {
	if n.Implementation != scenario.ImplDocker || len(images) == 0 {
		return "", false
	}
	if ref, ok := images[n.ID]; ok {
		return ref, true
	}
	image, _ := n.Docker["image"].(string)
	repo, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	for _, key := range []string{image, repo} {
		if ref, ok := images[key]; ok && key != "" {
			return ref, true
		}
	}
	return "", false
}

// removeImages removes images a run loaded into the engine. An image still
// in use (by another run's container) stays.
func removeImages(ctx context.Context, cli *engine.Client, refs []string) error {
	var errs []error
	for _, ref := range refs {
		if err := cli.ImageRemove(ctx, ref); err != nil && !inUse(err) {
			errs = append(errs, fmt.Errorf("removing image %s that the run loaded: %w", ref, err))
		}
	}
	return errors.Join(errs...)
}

func inUse(err error) bool {
	if errors.Is(err, engine.ErrConflict) || errors.Is(err, engine.ErrNotFound) {
		return true
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "conflict") || strings.Contains(s, "being used") || strings.Contains(s, "no such image")
}

// loadImage loads an oci:<dir> layout or a tar:<file> archive into the
// engine and returns a reference to the loaded image, and whether the
// engine had that reference already (then it is not this run's to remove).
// For a layout, digest is what pushing the layout would publish: the
// build's index, or the image when the layout holds a single image; and
// manifest is the platform manifest that runs.
func loadImage(ctx context.Context, cli *engine.Client, kind, path string) (ref string, existed bool, digest, manifest string, err error) {
	var r io.Reader
	switch kind {
	case "tar":
		tags, err := tarTags(path)
		if err != nil {
			return "", false, "", "", err
		}
		// An archive without tags loads by ID, which is not worth the risk
		// of removing an image someone else uses.
		existed = len(tags) == 0
		for _, t := range tags {
			if _, err := cli.ImageInspect(ctx, t); err == nil {
				existed = true
			}
		}
		f, err := os.Open(path) // #nosec G304 -- the image archive the scenario names
		if err != nil {
			return "", false, "", "", err
		}
		defer f.Close()
		r = f
	case "oci":
		img, tag, subject, err := ociImage(path)
		if err != nil {
			return "", false, "", "", err
		}
		digest = subject.String()
		if h, err := img.Digest(); err == nil {
			manifest = h.String()
		}
		_, err = cli.ImageInspect(ctx, tag.String())
		existed = err == nil
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(tarball.Write(tag, img, pw)) }()
		defer pr.Close()
		r = pr
	}
	ref, err = imageLoad(ctx, cli, r)
	return ref, existed, digest, manifest, err
}

// tarTags returns the tags a docker-save archive carries.
func tarTags(path string) ([]string, error) {
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) }) // #nosec G304 -- as above: the scenario's image archive
	if err != nil {
		return nil, fmt.Errorf("reading the archive's manifest: %w", err)
	}
	var tags []string
	for _, d := range m {
		tags = append(tags, d.RepoTags...)
	}
	return tags, nil
}

func imageLoad(ctx context.Context, cli *engine.Client, r io.Reader) (string, error) {
	res, err := cli.ImageLoad(ctx, r)
	if err != nil {
		return "", err
	}
	defer res.Close()
	// The answer is a stream of JSON messages; the last names the image.
	var ref string
	sc := bufio.NewScanner(res)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		if m.Error != "" {
			return "", errors.New(m.Error)
		}
		for _, line := range strings.Split(m.Stream, "\n") {
			if v, ok := strings.CutPrefix(line, "Loaded image: "); ok {
				ref = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "Loaded image ID: "); ok && ref == "" {
				ref = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if ref == "" {
		return "", errors.New("the engine loaded no image")
	}
	return ref, nil
}

// ociImage finds the image for this machine's platform (linux and GOARCH)
// in the OCI layout at dir, the tag it is loaded as
// (xedgesim.local/oci:<digest prefix>), and the digest pushing the layout
// publishes (see loadImage).
func ociImage(dir string) (v1.Image, name.Tag, v1.Hash, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, name.Tag{}, v1.Hash{}, fmt.Errorf("reading OCI layout: %w", err)
	}
	img, subject, err := pickImage(idx, v1.Hash{})
	if err != nil {
		return nil, name.Tag{}, v1.Hash{}, err
	}
	dg, err := img.Digest()
	if err != nil {
		return nil, name.Tag{}, v1.Hash{}, fmt.Errorf("reading image digest: %w", err)
	}
	tag, err := name.NewTag("xedgesim.local/oci:" + dg.Hex[:16])
	return img, tag, subject, err
}

// pickImage finds the image for linux/GOARCH in idx, descending into nested
// indexes (a layout's index holds the build's index). subject is the digest
// of the nested index being searched (zero at the layout's root); the
// returned hash is that index's digest, or the image's own when the image
// sits at the root.
func pickImage(idx v1.ImageIndex, subject v1.Hash) (v1.Image, v1.Hash, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("reading index: %w", err)
	}
	for _, desc := range m.Manifests {
		switch {
		case desc.MediaType.IsIndex():
			child, err := idx.ImageIndex(desc.Digest)
			if err != nil {
				return nil, v1.Hash{}, fmt.Errorf("reading index %s: %w", desc.Digest, err)
			}
			if img, dg, err := pickImage(child, desc.Digest); err == nil {
				return img, dg, nil
			}
		case desc.MediaType.IsImage():
			if desc.Platform == nil || desc.Platform.OS == "linux" && desc.Platform.Architecture == runtime.GOARCH {
				img, err := idx.Image(desc.Digest)
				if subject == (v1.Hash{}) {
					subject = desc.Digest
				}
				return img, subject, err
			}
		}
	}
	return nil, v1.Hash{}, fmt.Errorf("the layout has no image for linux/%s", runtime.GOARCH)
}
