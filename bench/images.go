package main

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The push and deploy sections move images made of the program the build
// section builds plus layers of random bytes: a real Go binary, and enough
// incompressible data that the figures are of moving bytes rather than of
// starting processes.

// platformImage is one platform's image of an index.
type platformImage struct {
	Platform string // linux/amd64
	Image    v1.Image
}

// buildHello builds ./nodes/hello for the bench platforms with
// `xedgesim build --go` into an OCI layout under dir and returns the
// platform images of the index it wrote.
func buildHello(env *Env, dir string) ([]platformImage, error) {
	out := filepath.Join(dir, "hello-oci")
	if _, err := runProcess(env.Root, env.Bin, "build", "--go", buildPkg, "--platform", buildPlatforms, "--output", "oci:"+out); err != nil {
		return nil, fmt.Errorf("building %s: %w", buildPkg, err)
	}
	d, err := layoutDigest(out)
	if err != nil {
		return nil, err
	}
	top, err := layout.ImageIndexFromPath(out)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", out, err)
	}
	h, err := v1.NewHash(d)
	if err != nil {
		return nil, err
	}
	idx, err := top.ImageIndex(h)
	if err != nil {
		return nil, fmt.Errorf("reading the index of %s: %w", out, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading the index of %s: %w", out, err)
	}
	var imgs []platformImage
	for _, desc := range m.Manifests {
		if desc.Platform == nil {
			continue
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return nil, fmt.Errorf("reading the %s image of %s: %w", desc.Platform, out, err)
		}
		imgs = append(imgs, platformImage{Platform: desc.Platform.OS + "/" + desc.Platform.Architecture, Image: img})
	}
	if len(imgs) == 0 {
		return nil, fmt.Errorf("%s holds no platform image", out)
	}
	return imgs, nil
}

// randomLayer is a layer holding one file of size bytes drawn from a
// generator seeded with seed: the same arguments give the same digest, so
// repeated benches leave one copy of each blob in the registry.
func randomLayer(file string, size int64, seed uint64) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: file, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	if _, err := io.CopyN(tw, rand.NewChaCha8(key), size); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// withLayers appends the layers extra returns for each platform image and
// makes an OCI index of the results.
func withLayers(imgs []platformImage, extra func(i int, platform string) ([]v1.Layer, error)) (v1.ImageIndex, []platformImage, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var out []platformImage
	for i, pi := range imgs {
		ls, err := extra(i, pi.Platform)
		if err != nil {
			return nil, nil, err
		}
		img, err := mutate.AppendLayers(pi.Image, ls...)
		if err != nil {
			return nil, nil, fmt.Errorf("adding layers to the %s image: %w", pi.Platform, err)
		}
		p, err := v1.ParsePlatform(pi.Platform)
		if err != nil {
			return nil, nil, err
		}
		mt, err := img.MediaType()
		if err != nil {
			return nil, nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{MediaType: mt, Platform: p}})
		out = append(out, platformImage{Platform: pi.Platform, Image: img})
	}
	return idx, out, nil
}

// imageSize is the sum of an image's compressed layers, config and manifest.
func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return 0, err
	}
	n := m.Config.Size + int64(len(raw))
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}

// mib formats bytes as MiB for the pages.
func mib(n float64) string { return fmt.Sprintf("%.1f MiB", n/(1<<20)) }
