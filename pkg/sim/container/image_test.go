package container

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

func TestImageFor(t *testing.T) {
	t.Parallel()
	dockerNode := func(id, image string) scenario.Node {
		return scenario.Node{ID: id, Implementation: scenario.ImplDocker, Docker: map[string]any{"image": image}}
	}
	images := map[string]string{"gw": "reg/gw@sha256:1", "xedgesim/broker": "reg/broker@sha256:2", "edge/ml:1": "reg/ml@sha256:3"}
	cases := []struct {
		name string
		n    scenario.Node
		want string
	}{
		{"by node id", dockerNode("gw", "anything"), "reg/gw@sha256:1"},
		{"by repository, tag dropped", dockerNode("b", "xedgesim/broker:latest"), "reg/broker@sha256:2"},
		{"by repository, digest dropped", dockerNode("b", "xedgesim/broker@sha256:0"), "reg/broker@sha256:2"},
		{"by full image", dockerNode("m", "edge/ml:1"), "reg/ml@sha256:3"},
		{"registry port is not a tag", dockerNode("x", "localhost:5000/other"), ""},
		{"not a docker node", scenario.Node{ID: "gw"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := imageFor(tc.n, images)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("imageFor() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The image under test replaces what a node would build from its context,
// without touching the scenario.
func TestOverrideImageReplacesBuildContext(t *testing.T) {
	t.Parallel()
	n := scenario.Node{ID: "b", Implementation: scenario.ImplDocker,
		Docker: map[string]any{"build_context": "containers/mqtt-broker", "dockerfile": "Dockerfile", "restart": "always"}}
	got := overrideImage(n, map[string]string{"b": "reg/broker@sha256:2"})
	want := map[string]any{"image": "reg/broker@sha256:2", "restart": "always"}
	if diff := cmp.Diff(want, got.Docker); diff != "" {
		t.Errorf("docker section mismatch (-want +got):\n%s", diff)
	}
	if _, changed := n.Docker["image"]; changed || n.Docker["build_context"] == nil {
		t.Errorf("the scenario's docker section changed: %v", n.Docker)
	}
}
