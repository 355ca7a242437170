package deploy

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

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
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	m := loadManifest{RepoTags: []string{tag}}
	if m.Config, err = writeConfig(tw, img); err != nil {
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
		if err := writeLayer(tw, file, l); err != nil {
			return fmt.Errorf("layer %s: %w", diff, err)
		}
	}
	mb, err := json.Marshal([]loadManifest{m})
	if err != nil {
		return err
	}
	if err := writeTarFile(tw, "manifest.json", int64(len(mb)), bytes.NewReader(mb)); err != nil {
		return err
	}
	return tw.Close()
}

// writeConfig writes img's config file as HEX.json and returns that name.
func writeConfig(tw *tar.Writer, img v1.Image) (string, error) {
	name, err := img.ConfigName()
	if err != nil {
		return "", err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return "", err
	}
	file := name.Hex + ".json"
	return file, writeTarFile(tw, file, int64(len(cfg)), bytes.NewReader(cfg))
}

// writeLayer writes l as file, compressed as in the registry.
func writeLayer(tw *tar.Writer, file string, l v1.Layer) error {
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
	return err
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
