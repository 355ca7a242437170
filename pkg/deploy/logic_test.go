package deploy

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

func TestParsePlatform(t *testing.T) {
	t.Parallel()
	tests := []struct{ out, want, err string }{
		{"linux/amd64\nx86_64\n", "linux/amd64", ""},
		{"linux/arm64\naarch64\n", "linux/arm64", ""},
		{"linux/arm\narmv7l\n", "linux/arm/v7", ""},
		{"linux/arm\narmv6l\n", "linux/arm/v6", ""},
		{"linux/arm\n", "linux/arm", ""}, // any variant then
		{"windows/amd64\nx86_64", "windows/amd64", ""},
		{"", "", `the engine says "", want OS/ARCH`},
		{"/amd64\n", "", `the engine says "/amd64", want OS/ARCH`},
		{"Cannot connect to the Docker daemon", "", `the engine says "Cannot connect to the Docker daemon", want OS/ARCH`},
	}
	for _, tc := range tests {
		got, err := parsePlatform(tc.out)
		var msg string
		if err != nil {
			msg = err.Error()
		}
		if got != tc.want || msg != tc.err {
			t.Errorf("parsePlatform(%q) = %q, %q; want %q, %q", tc.out, got, msg, tc.want, tc.err)
		}
	}
}

func TestWaves(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r    manifest.Rollout
		n    int
		want [][]int
	}{
		{manifest.Rollout{Canary: 1, Batch: 2}, 3, [][]int{{0}, {1, 2}}},
		{manifest.Rollout{Canary: 1, Batch: 2}, 4, [][]int{{0}, {1, 2}, {3}}},
		{manifest.Rollout{Canary: 2, Batch: 5}, 3, [][]int{{0}, {1}, {2}}},
		{manifest.Rollout{Canary: 0, Batch: 0}, 2, [][]int{{0}, {1}}},
		{manifest.Rollout{Canary: 5, Batch: 1}, 2, [][]int{{0}, {1}}},
		{manifest.Rollout{Canary: 1, Batch: 1}, 0, nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, waves(tc.r, tc.n)); diff != "" {
			t.Errorf("waves(%+v, %d) (-want +got):\n%s", tc.r, tc.n, diff)
		}
	}
}

func TestEngineLayers(t *testing.T) {
	t.Parallel()
	out := `[["Backing Filesystem","extfs"],["Supports d_type","true"]]
sha256:aaaa sha256:l1,sha256:l2,
sha256:bbbb sha256:l1,sha256:l3,sha256:l4,
sha256:cccc 
garbage
`
	el := parseLayers(out)
	if el.containerd || !el.images["sha256:aaaa"] || !el.images["sha256:cccc"] || len(el.images) != 3 {
		t.Errorf("parseLayers: %+v", el)
	}
	h := func(s ...string) []v1.Hash {
		var out []v1.Hash
		for _, x := range s {
			out = append(out, v1.Hash{Algorithm: "sha256", Hex: x})
		}
		return out
	}
	tests := []struct {
		diffs []v1.Hash
		want  int
	}{
		{h("l1", "l2", "l5"), 2},
		{h("l1", "l3", "l4"), 3},
		{h("l1", "l4"), 1}, // l4 is there, but on another parent: not the same chain
		{h("l2"), 0},
		{nil, 0},
	}
	for _, tc := range tests {
		if got := el.present(tc.diffs); got != tc.want {
			t.Errorf("present(%v) = %d, want %d", tc.diffs, got, tc.want)
		}
	}
	cd := parseLayers(`[["driver-type","io.containerd.snapshotter.v1"]]` + "\nsha256:aaaa sha256:l1,\n")
	if got := cd.present(h("l1")); !cd.containerd || got != 0 {
		t.Errorf("containerd store: present = %d, containerd %v; want 0, true (its load needs every layer)", got, cd.containerd)
	}
}

func TestWriteLoadTarball(t *testing.T) {
	t.Parallel()
	base, err := random.Image(100, 2)
	if err != nil {
		t.Fatal(err)
	}
	extra, err := random.Layer(200, "application/vnd.docker.image.rootfs.diff.tar.gzip")
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(base, extra)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	var diffs []string
	for _, l := range layers {
		d, _ := l.DiffID()
		diffs = append(diffs, d.Hex+".tar.gz")
	}
	cfg, _ := img.ConfigName()
	for _, skip := range []int{0, 2, 3} {
		var b bytes.Buffer
		if err := writeLoadTarball(&b, img, "xedgesim.local/app:1", skip); err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(&b)
		var names []string
		var mf []loadManifest
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, h.Name)
			if h.Name == "manifest.json" {
				json.NewDecoder(tr).Decode(&mf)
			}
		}
		want := append(append([]string{cfg.Hex + ".json"}, diffs[skip:]...), "manifest.json")
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("skip %d: files (-want +got):\n%s", skip, diff)
		}
		wantMF := []loadManifest{{Config: cfg.Hex + ".json", RepoTags: []string{"xedgesim.local/app:1"}, Layers: diffs}}
		if diff := cmp.Diff(wantMF, mf); diff != "" {
			t.Errorf("skip %d: manifest.json names every layer (-want +got):\n%s", skip, diff)
		}
	}
}

func TestSafeFileTag(t *testing.T) {
	t.Parallel()
	if got := safeFileTag("my app/é.1"); got != "my_app___.1" {
		t.Errorf("safeFileTag = %q", got)
	}
}

func TestRestartPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		count int
		want  string
	}{
		{"", 0, "no"},
		{"no", 0, "no"},
		{"always", 0, "always"},
		{"unless-stopped", 0, "unless-stopped"},
		{"on-failure", 0, "on-failure"},
		{"on-failure", 3, "on-failure:3"},
	}
	for _, tc := range tests {
		var c container
		c.HostConfig.RestartPolicy.Name, c.HostConfig.RestartPolicy.MaximumRetryCount = tc.name, tc.count
		if got := c.restartPolicy(); got != tc.want {
			t.Errorf("restartPolicy(%q, %d) = %q, want %q", tc.name, tc.count, got, tc.want)
		}
	}
}
