package engine_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/internal/testbed"
)

// The docker CLI's own `docker context create` and `docker context use`
// point at edge1's engine; with DOCKER_HOST unset, FromEnv reaches that
// engine and not the host's, as `docker` and `docker buildx` do.
func TestBedFollowsDockerContext(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker, testbed.PartEdges)
	edge := env.Edges[0]
	cfg := t.TempDir()
	docker := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(env.Docker, args...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+cfg, "DOCKER_HOST=", "DOCKER_CONTEXT=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	docker("context", "create", "edge", "--docker", "host="+edge.DockerHost)
	docker("context", "use", "edge")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "")
	t.Setenv("DOCKER_CONFIG", cfg)
	c, err := engine.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A network made through the context's client shows on edge1's engine
	// and not on the host's.
	mark := "xedgesim-context-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := c.NetworkCreate(ctx, mark, "bridge", nil); err != nil {
		t.Fatalf("creating network %s through %s: %v", mark, c.Host(), err)
	}
	edgeEng, err := engine.New(edge.DockerHost, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer edgeEng.Close()
	defer func() { _ = edgeEng.NetworkRemove(context.Background(), mark) }()
	hostEng, err := engine.New(env.DockerHost, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hostEng.Close()
	if _, err := edgeEng.NetworkInspect(ctx, mark); err != nil {
		t.Errorf("network %s made through docker context edge is not on edge1's engine: %v", mark, err)
	}
	if _, err := hostEng.NetworkInspect(ctx, mark); !errors.Is(err, engine.ErrNotFound) {
		_ = hostEng.NetworkRemove(context.Background(), mark)
		t.Errorf("network %s made through docker context edge: the host's engine answers %v, want not found", mark, err)
	}

	// DOCKER_CONTEXT=default and DOCKER_HOST both take the host's engine
	// again, as they do for the CLI.
	for _, tt := range []struct{ host, context, want string }{
		{"", "default", engine.DefaultHost},
		{env.DockerHost, "edge", env.DockerHost},
	} {
		t.Setenv("DOCKER_HOST", tt.host)
		t.Setenv("DOCKER_CONTEXT", tt.context)
		c, err := engine.FromEnv()
		if err != nil {
			t.Fatal(err)
		}
		if c.Host() != tt.want {
			t.Errorf("FromEnv() with DOCKER_HOST=%q DOCKER_CONTEXT=%q = %s, want %s", tt.host, tt.context, c.Host(), tt.want)
		}
		_ = c.Close()
	}
}
