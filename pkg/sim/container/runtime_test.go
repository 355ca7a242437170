package container

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

func TestNewRefusesAnEmptyOverride(t *testing.T) {
	t.Parallel()
	for _, opt := range []Option{WithImage("", "reg/x@sha256:1"), WithImage("x", "")} {
		if _, err := New(opt); err == nil {
			t.Error("New() = nil error, want the override refused")
		}
	}
}

// The runtime makes a docker node with the image under test in place of
// the scenario's own.
func TestRuntimeNodeRunsTheImageUnderTest(t *testing.T) {
	t.Parallel()
	rt, err := New(WithImage("gw", "reg/gw@sha256:1"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := rt.Node(scenario.Node{ID: "gw", Implementation: scenario.ImplDocker,
		Docker: map[string]any{"build_context": "gw", "protocol": "tcp"}})
	if err != nil {
		t.Fatalf("Node() = %v", err)
	}
	d := n.(*Node)
	if diff := cmp.Diff([]string{"reg/gw@sha256:1", "", ProtocolTCP}, []string{d.spec.image, d.spec.buildContext, d.spec.protocol}); diff != "" {
		t.Errorf("spec mismatch (-want +got):\n%s", diff)
	}
}

// A docker section with mistakes is invalid input (exit 3), before
// anything starts.
func TestRuntimeNodeRefusesMistakes(t *testing.T) {
	t.Parallel()
	rt, err := New()
	if err != nil {
		t.Fatal(err)
	}
	_, err = rt.Node(scenario.Node{ID: "n", Implementation: scenario.ImplDocker, Docker: map[string]any{"prots": 1}})
	var ce *node.ConfigError
	if !errors.As(err, &ce) || ce.ExitCode() != 3 {
		t.Errorf("Node() = %v, want a ConfigError", err)
	}
}

// Without an engine a docker node fails to start with ErrNoDocker at its
// line; the runtime has nothing to clean up.
func TestStartWithoutEngine(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "none.sock"))
	rt, err := New()
	if err != nil {
		t.Fatal(err)
	}
	n, err := rt.Node(scenario.Node{ID: "svc", Implementation: scenario.ImplDocker, Pos: scenario.Pos{File: "s.yaml", Line: 4, Col: 5},
		Docker: map[string]any{"image": "i"}})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Start(context.Background(), node.Env{RunID: "t"})
	if !errors.Is(err, ErrNoDocker) || !strings.HasPrefix(err.Error(), `s.yaml:4:5: node "svc": `) {
		t.Errorf("Start() = %v, want ErrNoDocker at s.yaml:4:5", err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if err := rt.Close(); err != nil {
		t.Errorf("runtime Close() = %v", err)
	}
}
