package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedFleetRollback deploys with rollout.rollback: true over the three
// edges (canary, then a batch of two). A good update keeps one container
// per host. Then an image whose arm64 variant fails its health check:
// the canary and edge2 pass, edge3 fails, the rollout stops, and every host
// goes back to the container it ran before, which answers again.
func TestBedFleetRollback(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges, testbed.PartArm64)
	v1ref := pushHello(t, env)
	layer := randomLayer(t, 64<<10)
	v2ref := derive(t, env, v1ref, func(_ string, img v1.Image) v1.Image {
		img, err := mutate.AppendLayers(img, layer)
		if err != nil {
			t.Fatal(err)
		}
		return img
	})
	// v3's arm64 variant fails its health check.
	v3ref := derive(t, env, v2ref, func(p string, img v1.Image) v1.Image { return arm64Fails(t, p, img) })
	service := "xt-fleet-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	ctx := context.Background()
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 20s, window: 1s}", port)
	m := bedManifest(t, env, service, port, health, env.Edges, "rollout: {canary: 1, batch: 2, max_failures: 0, rollback: true}\n")

	for i, ref := range []string{v1ref, v2ref} {
		rep, err := Deploy(ctx, m, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID(fmt.Sprintf("xt-fleet-%d", i+1)))
		if err != nil {
			t.Fatalf("Deploy(v%d) = %v", i+1, err)
		}
		var want []string
		for _, e := range env.Edges {
			want = append(want, fmt.Sprintf("%s %s deployed rolled-back=false", e.Name, e.Platform))
		}
		if diff := cmp.Diff(want, results(rep)); diff != "" {
			t.Fatalf("Deploy(v%d) (-want +got):\n%s", i+1, diff)
		}
	}
	containers := func(e testbed.Edge) string {
		out, err := edgeRun(t, e, fmt.Sprintf("docker ps -a --filter label=%s=%s --format '{{.ID}} {{.Names}} {{.State}}'", LabelService, service))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	before := map[string]string{}
	for _, e := range env.Edges {
		before[e.Name] = containers(e)
		// The kept container of v1 is gone once v2's rollout succeeded.
		if want := service + " running"; !strings.HasSuffix(before[e.Name], want) || strings.Contains(before[e.Name], "\n") {
			t.Errorf("%s after v2: containers %q, want one, %s", e.Name, before[e.Name], want)
		}
	}

	rep, err := Deploy(ctx, m, WithImage(v3ref), WithNameOptions(name.Insecure), WithDeployID("xt-fleet-3"))
	var fe *FailedError
	if !errors.As(err, &fe) || exitcode.Of(err) != exitcode.Gate || fmt.Sprint(fe.Failed) != "[edge3]" {
		t.Fatalf("Deploy(v3) = %v, want edge3's health check failed (exit 2)", err)
	}
	var want []string
	for _, e := range env.Edges {
		want = append(want, fmt.Sprintf("%s %s rolled back rolled-back=true", e.Name, e.Platform))
	}
	if diff := cmp.Diff(want, results(rep)); diff != "" {
		t.Errorf("Deploy(v3) (-want +got):\n%s", diff)
	}
	for _, h := range rep.Hosts {
		t.Logf("%s: %s", h.Host, h.Error)
	}
	for _, e := range env.Edges {
		if got := get(t, fmt.Sprintf("http://%s:%d/", e.Addr, port)); got != "hello from "+e.Platform {
			t.Errorf("%s answers %q after the fleet rollback", e.Name, got)
		}
		if got := containers(e); got != before[e.Name] {
			t.Errorf("%s after the fleet rollback: containers %q, want the one from before, %q", e.Name, got, before[e.Name])
		}
		// Set aside without a restart policy, it has its own back.
		if got, err := edgeRun(t, e, "docker inspect --format '{{.HostConfig.RestartPolicy.Name}}' "+service); err != nil || got != "unless-stopped" {
			t.Errorf("%s after the fleet rollback: restart policy %q (%v), want unless-stopped", e.Name, got, err)
		}
	}
	if _, err := Verify(ctx, m, WithImage(v2ref), WithNameOptions(name.Insecure)); err != nil {
		t.Errorf("Verify(v2) after the fleet rollback = %v", err)
	}

	// rollback: false leaves the hosts already updated on the new image,
	// with their old containers gone; only edge3 goes back.
	keep := bedManifest(t, env, service, port, health, env.Edges, "rollout: {canary: 1, batch: 2, max_failures: 0, rollback: false}\n")
	rep, err = Deploy(ctx, keep, WithImage(v3ref), WithNameOptions(name.Insecure), WithDeployID("xt-fleet-4"))
	if exitcode.Of(err) != exitcode.Gate {
		t.Fatalf("Deploy(v3, rollback: false) = %v, want exit 2", err)
	}
	want = []string{"edge1 linux/amd64 deployed rolled-back=false", "edge2 linux/amd64 deployed rolled-back=false", "edge3 linux/arm64 rolled back rolled-back=true"}
	if diff := cmp.Diff(want, results(rep)); diff != "" {
		t.Errorf("Deploy(v3, rollback: false) (-want +got):\n%s", diff)
	}
	for _, e := range env.Edges {
		got := containers(e)
		if !strings.HasSuffix(got, service+" running") || strings.Contains(got, "\n") {
			t.Errorf("%s after rollback: false: containers %q, want one", e.Name, got)
		}
	}
}

// arm64Fails makes platform p's img, when p is linux/arm64, listen on
// another port than the service's: its health check fails there.
func arm64Fails(t *testing.T, p string, img v1.Image) v1.Image {
	t.Helper()
	if p != "linux/arm64" {
		return img
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	c.Cmd = []string{"-addr", ":9999"}
	if img, err = mutate.Config(img, c); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestBedRollbackReconnects breaks the connection kept to the canary
// (edge1, through a proxy) while the next wave runs: when edge3 fails and
// the rollout rolls back, the canary is reached again over a new
// connection and goes back to what it ran before.
func TestBedRollbackReconnects(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges, testbed.PartArm64)
	edge1, ok := env.Edge("edge1")
	edge3, ok3 := env.Edge("edge3")
	if !ok || !ok3 {
		t.Fatal("the test bed has no edge1 or edge3")
	}
	v1ref := pushHello(t, env)
	layer := randomLayer(t, 64<<10)
	// v2 differs from v1 on every platform, and its arm64 variant listens
	// on another port: its health check fails there.
	v2ref := derive(t, env, v1ref, func(p string, img v1.Image) v1.Image {
		img, err := mutate.AppendLayers(img, layer)
		if err != nil {
			t.Fatal(err)
		}
		return arm64Fails(t, p, img)
	})
	service := "xt-reconnect-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	proxy := newCutProxy(t, edge1.SSHAddr(), 1<<62, false)
	edges := []testbed.Edge{throughProxy(edge1, proxy.port()), edge3}
	// edge3's check fails by design: a short timeout keeps the test short.
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 8s, window: 1s}", port)
	m := bedManifest(t, env, service, port, health, edges, "rollout: {canary: 1, batch: 1, max_failures: 0, rollback: true}\n")
	ctx := context.Background()
	if _, err := Deploy(ctx, m, WithImage(v1ref), WithNameOptions(name.Insecure), WithDeployID("xt-reconnect-1")); err != nil {
		t.Fatalf("Deploy(v1) = %v", err)
	}

	var once sync.Once
	var atBreak int32
	progress := WithProgress(ProgressFunc(func(e Event) {
		if e.Host == edge3.Name {
			once.Do(func() {
				atBreak = proxy.conns.Load()
				proxy.breakAll()
			})
		}
	}))
	rep, err := Deploy(ctx, m, WithImage(v2ref), WithNameOptions(name.Insecure), WithDeployID("xt-reconnect-2"), progress)
	var fe *FailedError
	if !errors.As(err, &fe) || exitcode.Of(err) != exitcode.Gate || fmt.Sprint(fe.Failed) != "[edge3]" {
		t.Fatalf("Deploy(v2) = %v, want edge3's health check failed (exit 2)", err)
	}
	want := []string{"edge1 linux/amd64 rolled back rolled-back=true", "edge3 linux/arm64 rolled back rolled-back=true"}
	if diff := cmp.Diff(want, results(rep)); diff != "" {
		for _, h := range rep.Hosts {
			t.Logf("%s: %s", h.Host, h.Error)
		}
		t.Errorf("Deploy(v2) (-want +got):\n%s", diff)
	}
	if got := proxy.conns.Load(); got <= atBreak {
		t.Errorf("the proxy to edge1 took %d connections, %d before the break: the rollback did not connect again", got, atBreak)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge1.Addr, port)); got != "hello from "+edge1.Platform {
		t.Errorf("edge1 answers %q after the rollback over a new connection", got)
	}
}
