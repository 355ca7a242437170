package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
	"github.com/xedgesim/simulate/pkg/image/build"
)

// The tests in this file use the real test bed (scripts/testbed up): they
// skip without it, and fail without it under XEDGESIM_TESTBED=1.

func randHex(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// pushHello builds nodes/hello for amd64 and arm64 and pushes it to the
// bed's plain registry at the address the edges (and the host) reach.
func pushHello(t *testing.T, env *testbed.Env) string {
	t.Helper()
	return pushNode(t, env, "hello", "xedgesim-deploy", amd64, arm64)
}

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// pushNode builds nodes/NODE for the platforms (linux/amd64 if none) and
// pushes it to REPO/NODE in the bed's plain registry, at the address the
// edges reach; the test's cleanup deletes it.
func pushNode(t *testing.T, env *testbed.Env, node, repo string, platforms ...v1.Platform) string {
	t.Helper()
	if len(platforms) == 0 {
		platforms = []v1.Platform{amd64}
	}
	b, err := build.NewGo("./nodes/"+node, build.WithDir("../.."), build.WithBuildVCS("false"),
		build.WithPlatforms(platforms...),
		build.WithCreated(time.Unix(1700000000, 0)),
		// Builds are reproducible: without a label of its own this image
		// would be the one of every other test building the node, and
		// their cleanups (in the registry and on the edges, running at the
		// same time) would remove it from under us. The layers stay the same.
		build.WithLabels(map[string]string{"xedgesim.test": repo + "-" + randHex(t)}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(context.Background())
	if err != nil {
		t.Fatalf("building %s: %v", node, err)
	}
	opts, err := env.Registry.RemoteOptions()
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(env.Registry.EdgeHost+"/"+repo+"/"+node+":"+randHex(t), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := build.Write(context.Background(), res, build.Output{Kind: build.OutputRegistry}, build.WithTags(tag), build.WithPublisher(&build.RemotePublisher{Options: opts})); err != nil {
		t.Fatalf("pushing %s: %v", node, err)
	}
	ref := tag.Context().Digest(res.Digest.String())
	t.Cleanup(func() { remote.Delete(ref, opts...) })
	return ref.String()
}

// bedManifest writes a deploy.yaml for the bed's edges.
func bedManifest(t *testing.T, env *testbed.Env, service string, port int, health string, edges []testbed.Edge, extra string) *manifest.Manifest {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "service:\n  name: %s\n  ports: [\"%d:8080\"]\n  memory: 64m\n  cpus: 0.5\n  env: {MODE: test}\n  health: %s\n", service, port, health)
	b.WriteString("hosts:\n")
	for _, e := range edges {
		platform := ""
		if e.Platform != "" { // empty: detected over SSH
			platform = "platform: " + e.Platform + ", "
		}
		fmt.Fprintf(&b, "  - {name: %s, address: %s, port: %d, user: %s, %sknown_hosts: %q}\n", e.Name, e.Addr, e.SSHPort, e.User, platform, e.KnownHosts)
	}
	fmt.Fprintf(&b, "ssh: {key: %s, timeout: 10s}\n%s", env.Edges[0].KeyFile, extra)
	m, err := manifest.Parse([]byte(b.String()), "deploy.yaml")
	if err != nil {
		t.Fatalf("manifest:\n%s\n%v", b.String(), err)
	}
	return m
}

func cleanupEdges(t *testing.T, env *testbed.Env, service string) {
	t.Cleanup(func() {
		for _, e := range env.Edges {
			c, err := transport.Dial(context.Background(), transport.Target{Name: e.Name, Address: e.Addr, Port: e.SSHPort, User: e.User, KnownHosts: e.KnownHosts}, transport.WithKeyFile(e.KeyFile, ""))
			if err != nil {
				t.Logf("cleaning up %s: %v", e.Name, err)
				continue
			}
			script := fmt.Sprintf(`docker ps -aq --filter label=%s=%s | xargs -r docker rm -f >/dev/null; docker images --format '{{.Repository}}:{{.Tag}}' 'xedgesim.local/%s' | xargs -r docker image rm >/dev/null; docker images -q --filter reference='*/xedgesim-deploy/hello' | sort -u | xargs -r docker image rm -f >/dev/null; rm -rf "$HOME"/.xedgesim/%s; true`, LabelService, service, service, service)
			if _, err := c.Run(context.Background(), script, nil); err != nil {
				t.Logf("cleaning up %s: %v", e.Name, err)
			}
			c.Close()
		}
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

func results(rep *Report) []string {
	var out []string
	for _, h := range rep.Hosts {
		out = append(out, fmt.Sprintf("%s %s %s rolled-back=%v", h.Host, h.Platform, h.Result, h.RolledBack))
	}
	return out
}

func freePort(t *testing.T) int {
	n, err := rand.Int(rand.Reader, big.NewInt(10000))
	if err != nil {
		t.Fatal(err)
	}
	return 20000 + int(n.Int64())
}

// TestBedDeployVerifyRollback deploys a two-platform image to the three
// edges over scp (edge3 gets the arm64 variant), verifies it, then deploys
// an image whose health check fails (rolled back on the canary, the old
// service still answers, the rest untouched), then meets a changed host
// key (stopped before any change).
func TestBedDeployVerifyRollback(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges, testbed.PartArm64)
	ref := pushHello(t, env)
	service := "xedgesim-deploy-" + randHex(t)
	port := freePort(t)
	cleanupEdges(t, env, service)
	ctx := context.Background()
	good := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 2s}", port)

	m := bedManifest(t, env, service, port, good, env.Edges, "rollout: {canary: 1, batch: 2}\n")
	var (
		mu     sync.Mutex // the hosts of a wave report at once
		events []Event
	)
	rep, err := Deploy(ctx, m, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID("first"),
		WithProgress(ProgressFunc(func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })))
	if err != nil {
		t.Fatalf("Deploy() = %v", err)
	}
	var want []string
	for _, e := range env.Edges {
		want = append(want, fmt.Sprintf("%s %s deployed rolled-back=false", e.Name, e.Platform))
	}
	if diff := cmp.Diff(want, results(rep)); diff != "" {
		t.Errorf("first deploy (-want +got):\n%s", diff)
	}
	for _, h := range rep.Hosts {
		if h.BytesSent == 0 {
			t.Errorf("%s: no bytes sent over scp", h.Host)
		}
	}
	for _, e := range env.Edges {
		if got := get(t, fmt.Sprintf("http://%s:%d/", e.Addr, port)); got != "hello from "+e.Platform {
			t.Errorf("%s answers %q, want hello from %s", e.Name, got, e.Platform)
		}
	}
	checks, err := Verify(ctx, m, WithImage(ref), WithNameOptions(name.Insecure))
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	for _, c := range checks {
		if !c.OK() || !c.Running || !c.RestartsStable || !c.Healthy || !c.DigestMatches {
			t.Errorf("Verify %s = %+v", c.Host, c)
		}
	}

	// A health check that never passes: the canary rolls back and the rest
	// are not touched (max_failures: 0).
	bad := bedManifest(t, env, service, port, fmt.Sprintf("{tcp: %d, timeout: 3s}", port+1), env.Edges, "transfer: pull\nrollout: {canary: 1, batch: 2}\n")
	rep, err = Deploy(ctx, bad, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID("second"))
	var fe *FailedError
	if !errors.As(err, &fe) || exitcode.Of(err) != exitcode.Gate {
		t.Fatalf("Deploy(failing health) = %v, want a health failure (exit 2)", err)
	}
	want = []string{
		fmt.Sprintf("%s %s rolled back rolled-back=true", env.Edges[0].Name, env.Edges[0].Platform),
		fmt.Sprintf("%s  skipped rolled-back=false", env.Edges[1].Name),
		fmt.Sprintf("%s  skipped rolled-back=false", env.Edges[2].Name),
	}
	if diff := cmp.Diff(want, results(rep)); diff != "" {
		t.Errorf("failing deploy (-want +got):\n%s", diff)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", env.Edges[0].Addr, port)); got != "hello from "+env.Edges[0].Platform {
		t.Errorf("after the rollback %s answers %q", env.Edges[0].Name, got)
	}
	if _, err := Verify(ctx, m, WithImage(ref), WithNameOptions(name.Insecure)); err != nil {
		t.Errorf("Verify() after the rollback = %v", err)
	}

	// A changed host key: the deploy stops before anything changes.
	edge := env.Edges[0]
	other := env.Edges[1]
	edge.KnownHosts = edge.Addr + " " + strings.SplitN(other.KnownHosts, " ", 2)[1]
	changed := bedManifest(t, env, service, port, good, []testbed.Edge{edge}, "")
	rep, err = Deploy(ctx, changed, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID("third"))
	var hk *transport.HostKeyError
	if !errors.As(err, &hk) || exitcode.Of(err) != exitcode.Invalid || !hk.Changed {
		t.Fatalf("Deploy(changed host key) = %v, want a changed host key (exit 3)", err)
	}
	if !strings.HasPrefix(hk.Fingerprint, "SHA256:") || rep.Hosts[0].Result != ResultFailed {
		t.Errorf("host key error %+v, report %+v", hk, rep.Hosts[0])
	}
	c, err := transport.Dial(ctx, transport.Target{Name: edge.Name, Address: edge.Addr, Port: edge.SSHPort, User: edge.User, KnownHosts: env.Edges[0].KnownHosts}, transport.WithKeyFile(edge.KeyFile, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.Run(ctx, "docker inspect --format '{{index .Config.Labels \""+LabelDeployID+"\"}}' "+service, nil)
	if err != nil || strings.TrimSpace(got) != "first" {
		t.Errorf("deploy id on %s after the refused deploy = %q (%v), want first", edge.Name, got, err)
	}
}
