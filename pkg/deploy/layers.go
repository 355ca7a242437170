package deploy

import (
	"context"
	"fmt"
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

func queryLayers(ctx context.Context, c hostConn) (*engineLayers, error) {
	el, err := engineOf(c).layers(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking the engine for its layers: %w", err)
	}
	return el, nil
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
