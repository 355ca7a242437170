package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/xedgesim/simulate/internal/testbed"
)

// platformImages reads the two-platform index our build verb wrote into
// the layout at dir: the index's digest and each platform image's digest
// and compressed size (config and layers).
func platformImages(t *testing.T, dir string) (index string, digests map[string]string, sizes map[string]int64) {
	t.Helper()
	root, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := root.IndexManifest()
	if err != nil || len(rm.Manifests) != 1 {
		t.Fatalf("layout index: %v, %d entries", err, len(rm.Manifests))
	}
	index = rm.Manifests[0].Digest.String()
	idx, err := root.ImageIndex(rm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	digests, sizes = map[string]string{}, map[string]int64{}
	for _, d := range m.Manifests {
		p := d.Platform.OS + "/" + d.Platform.Architecture
		digests[p] = d.Digest.String()
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		im, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		sizes[p] = im.Config.Size
		for _, l := range im.Layers {
			sizes[p] += l.Size
		}
	}
	if len(digests) != 2 {
		t.Fatalf("the build's index has %d platforms, want 2: %v", len(digests), digests)
	}
	return index, digests, sizes
}

// TestSimulatePlatformArm64: docker.platform: linux/arm64 runs the arm64
// image of a two-platform index our build verb made (under qemu on this
// amd64 host): the container says it is linux/arm64, and summary.json
// records the platform, the arm64 image's digest beside the index's, and
// the image's compressed size, which image_size_mb gates. Its twin without
// docker.platform runs and records the host's image. The run loads both
// into the engine and removes them.
func TestSimulatePlatformArm64(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	hello := buildHello(t)
	index, digests, sizes := platformImages(t, hello)
	file := filepath.Join(t.TempDir(), "platform.yaml")
	src := `simulation: {duration_s: 3, seed: 1}
nodes:
  - id: pi
    type: app
    implementation: docker
    docker: {image: "oci:` + hello + `", platform: linux/arm64, health: {http: 8080/healthz, timeout_s: 60}}
  - id: host
    type: app
    implementation: docker
    docker: {image: "oci:` + hello + `", health: {http: 8080/healthz}}
validation:
  assertions:
    - {metric: image_size_mb, operator: gt, value: 0, where: {node: pi}}
    - {metric: image_size_mb, operator: lte, value: 64, where: {node: pi}}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	p := startSimulate(t, env, "--out", out, file)
	code := p.wait(t, 3*time.Minute)
	checkGone(t, env, p.cmd.Process.Pid, "")
	for _, plat := range []string{"linux/arm64", "linux/amd64"} {
		if tag := "xedgesim.local/oci:" + strings.TrimPrefix(digests[plat], "sha256:")[:16]; imageExists(t, env, tag) {
			t.Errorf("image %s, which the run loaded, is still in the engine", tag)
		}
	}
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, p.out.String(), p.errOut.String())
	}
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Nodes []struct {
			ID             string `json:"id"`
			ImageDigest    string `json:"image_digest"`
			Platform       string `json:"platform"`
			PlatformDigest string `json:"platform_digest"`
			Resources      *struct {
				ImageSizeMB float64 `json:"image_size_mb"`
			} `json:"resources"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, n := range s.Nodes {
		plat := map[string]string{"pi": "linux/arm64", "host": "linux/amd64"}[n.ID]
		if plat == "" {
			continue
		}
		seen++
		if n.Platform != plat || n.PlatformDigest != digests[plat] || n.ImageDigest != index {
			t.Errorf("node %s: platform %q digest %s of index %s; want %s %s of %s", n.ID, n.Platform, n.PlatformDigest, n.ImageDigest, plat, digests[plat], index)
		}
		want := math.Round(float64(sizes[plat])/(1<<20)*100) / 100
		if n.Resources == nil || n.Resources.ImageSizeMB != want {
			t.Errorf("node %s: resources %+v, want image_size_mb %g", n.ID, n.Resources, want)
		}
		log, err := os.ReadFile(filepath.Join(out, "logs", n.ID+".log"))
		if err != nil || !strings.Contains(string(log), plat) {
			t.Errorf("node %s: the container did not say it runs %s: %v\n%s", n.ID, plat, err, log)
		}
	}
	if seen != 2 {
		t.Errorf("summary.json has %d of the 2 nodes: %s", seen, data)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| pi | ") || !strings.Contains(string(md), "linux/arm64, ") {
		t.Errorf("summary.md does not show pi's platform and image size:\n%s", md)
	}
}
