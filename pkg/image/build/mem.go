package build

import (
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// memImage is an image whose manifest, config and compressed layers are
// held in memory, byte for byte as read.
type memImage struct {
	mt     types.MediaType
	raw    []byte
	config []byte
	layers map[v1.Hash]v1.Layer
}

var _ partial.CompressedImageCore = (*memImage)(nil)

func memoryImage(img v1.Image) (v1.Image, error) {
	m := &memImage{layers: map[v1.Hash]v1.Layer{}}
	var err error
	if m.mt, err = img.MediaType(); err != nil {
		return nil, fmt.Errorf("reading media type: %w", err)
	}
	if m.raw, err = img.RawManifest(); err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	if m.config, err = img.RawConfigFile(); err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	mf, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	for _, d := range mf.Layers {
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading layer %s: %w", d.Digest, err)
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, fmt.Errorf("reading layer %s: %w", d.Digest, err)
		}
		b, err := io.ReadAll(rc)
		_ = rc.Close() // read to the end; ReadAll's error is the one that counts
		if err != nil {
			return nil, fmt.Errorf("reading layer %s: %w", d.Digest, err)
		}
		m.layers[d.Digest] = static.NewLayer(b, d.MediaType)
	}
	return partial.CompressedToImage(m)
}

func (m *memImage) RawConfigFile() ([]byte, error)      { return m.config, nil }
func (m *memImage) MediaType() (types.MediaType, error) { return m.mt, nil }
func (m *memImage) RawManifest() ([]byte, error)        { return m.raw, nil }

func (m *memImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := m.layers[h]; ok {
		return l, nil
	}
	mf, err := partial.Manifest(m)
	if err == nil && mf.Config.Digest == h {
		return static.NewLayer(m.config, mf.Config.MediaType), nil
	}
	return nil, fmt.Errorf("image has no blob %s", h)
}
