package deploy

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedPlatform detects edge1's platform over SSH (the manifest leaves it
// out), and then deploys an amd64-only image: edge1 takes it, edge3
// (linux/arm64) fails with exit 3 before anything changed on it.
func TestBedPlatform(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges, testbed.PartArm64)
	ref := pushHello(t, env)
	edge1, edge3 := env.Edges[0], env.Edges[2]
	detect := edge1
	detect.Platform = ""
	service := "xt-platform-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	ctx := context.Background()
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	m := bedManifest(t, env, service, port, health, []testbed.Edge{detect, edge3}, "rollout: {canary: 0, batch: 2, max_failures: 1}\n")
	rep, err := Deploy(ctx, m, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID("xt-platform-1"))
	if err != nil {
		t.Fatalf("Deploy() = %v", err)
	}
	want := []string{"edge1 linux/amd64 deployed rolled-back=false", "edge3 linux/arm64 deployed rolled-back=false"}
	if diff := cmp.Diff(want, results(rep)); diff != "" {
		t.Errorf("Deploy() (-want +got):\n%s", diff)
	}
	for _, e := range []testbed.Edge{edge1, edge3} {
		if got := get(t, fmt.Sprintf("http://%s:%d/", e.Addr, port)); got != "hello from "+e.Platform {
			t.Errorf("%s answers %q", e.Name, got)
		}
	}

	// The amd64 image alone.
	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	d, err := name.NewDigest(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(d, opts...)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var amd64 v1.Hash
	for _, m := range im.Manifests {
		if m.Platform != nil && m.Platform.Architecture == "amd64" {
			amd64 = m.Digest
		}
	}
	before, err := edgeRun(t, edge3, "docker inspect --format '{{.Id}} {{.State.StartedAt}}' "+service+"; docker images --format '{{.Repository}}:{{.Tag}}' 'xedgesim.local/"+service+"'")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Deploy(ctx, m, WithImage(d.Context().Digest(amd64.String()).String()), WithNameOptions(name.Insecure), WithDeployID("xt-platform-2"))
	var pe *PlatformError
	if !errors.As(err, &pe) || exitcode.Of(err) != exitcode.Invalid || pe.Host != "edge3" {
		t.Fatalf("Deploy(amd64 only) = %v (exit %d), want edge3's platform missing (exit 3)", err, exitcode.Of(err))
	}
	want = []string{"edge1 linux/amd64 deployed rolled-back=false", "edge3 linux/arm64 failed rolled-back=false"}
	if diff := cmp.Diff(want, results(rep)); diff != "" {
		t.Errorf("Deploy(amd64 only) (-want +got):\n%s", diff)
	}
	if rep.Hosts[1].BytesSent != 0 {
		t.Errorf("edge3: %d bytes sent, want none", rep.Hosts[1].BytesSent)
	}
	after, err := edgeRun(t, edge3, "docker inspect --format '{{.Id}} {{.State.StartedAt}}' "+service+"; docker images --format '{{.Repository}}:{{.Tag}}' 'xedgesim.local/"+service+"'")
	if err != nil || after != before {
		t.Errorf("edge3 changed: %q, was %q (%v)", after, before, err)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge3.Addr, port)); got != "hello from linux/arm64" {
		t.Errorf("edge3 answers %q", got)
	}
}
