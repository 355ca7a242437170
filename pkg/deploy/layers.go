package deploy

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// engineLayers is what a host's engine already holds: its image IDs and
// the layer chains of its images (every prefix of an image's diff IDs is a
// chain the engine has).
type engineLayers struct {
	images map[string]bool
	chains map[string]bool
	// containerd is true for an engine with the containerd image store,
	// whose load needs every layer in the tarball.
	containerd bool
}

// layersScript asks the engine for its storage and every image's layers.
// An image removed between the listing and the inspection is skipped: the
// answer only has to be a subset of what the engine has.
const layersScript = `docker info --format '{{json .DriverStatus}}' || exit 1
docker image ls -aq --no-trunc | sort -u | xargs -r docker image inspect --format '{{.Id}} {{range .RootFS.Layers}}{{.}},{{end}}' 2>/dev/null
true`

func queryLayers(ctx context.Context, c hostConn) (*engineLayers, error) {
	out, err := c.Run(ctx, layersScript, nil)
	if err != nil {
		return nil, fmt.Errorf("asking the engine for its layers: %w", err)
	}
	return parseLayers(out), nil
}

func parseLayers(out string) *engineLayers {
	el := &engineLayers{images: map[string]bool{}, chains: map[string]bool{}}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 0 {
		el.containerd = strings.Contains(lines[0], "io.containerd.snapshotter")
		lines = lines[1:]
	}
	for _, l := range lines {
		id, layers, _ := strings.Cut(strings.TrimSpace(l), " ")
		if !strings.HasPrefix(id, "sha256:") {
			continue
		}
		el.images[id] = true
		if layers == "" {
			continue
		}
		diffs := strings.Split(strings.TrimSuffix(layers, ","), ",")
		for i := range diffs {
			el.chains[strings.Join(diffs[:i+1], ",")] = true
		}
	}
	return el
}

// present is how many leading layers of diffs the engine has.
func (el *engineLayers) present(diffs []v1.Hash) int {
	if el == nil || el.containerd {
		return 0
	}
	s := make([]string, len(diffs))
	for i, d := range diffs {
		s[i] = d.String()
	}
	n := 0
	for i := range s {
		if !el.chains[strings.Join(s[:i+1], ",")] {
			break
		}
		n = i + 1
	}
	return n
}

// loadManifest is docker save's manifest.json entry.
type loadManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// writeLoadTarball writes img as a tarball docker load reads, tagged tag,
// with the files of its first skip layers left out. manifest.json still
// names every layer: docker load (graph driver store) opens a layer's file
// only when the engine lacks that layer's chain, so the engine fills in the
// leading layers it has (behaviour the engine keeps on purpose, see
// moby/moby#18723, though the format does not promise it: a load that fails
// is sent again whole). Layers go compressed, as in the registry; docker
// load decompresses them. manifest.json is written last, so a truncated
// tarball never loads.
func writeLoadTarball(w io.Writer, img v1.Image, tag string, skip int) error {
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	m := loadManifest{Config: cfgName.Hex + ".json", RepoTags: []string{tag}}
	if err := writeTarFile(tw, m.Config, int64(len(cfg)), strings.NewReader(string(cfg))); err != nil {
		return err
	}
	for i, l := range layers {
		diff, err := l.DiffID()
		if err != nil {
			return err
		}
		file := diff.Hex + ".tar.gz"
		m.Layers = append(m.Layers, file)
		if i < skip {
			continue
		}
		size, err := l.Size()
		if err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		err = writeTarFile(tw, file, size, rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("layer %s: %w", diff, err)
		}
	}
	mb, err := json.Marshal([]loadManifest{m})
	if err != nil {
		return err
	}
	if err := writeTarFile(tw, "manifest.json", int64(len(mb)), strings.NewReader(string(mb))); err != nil {
		return err
	}
	return tw.Close()
}

func writeTarFile(tw *tar.Writer, name string, size int64, r io.Reader) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	n, err := io.Copy(tw, r)
	if err == nil && n != size {
		err = fmt.Errorf("%s: got %d of %d bytes", name, n, size)
	}
	return err
}
