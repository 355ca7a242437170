package deploy

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedRetention: after four successive releases only the newest two
// images of the service remain on the host (rollout.keep: 2, the default);
// undeploy then leaves nothing of the service.
func TestBedRetention(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge1")
	id := randHex(t)
	service, port := "xs-keep-"+id, freePort(t)
	cleanupEdges(t, env, service)
	c := dialEdge(t, edge)
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	m := bedManifest(t, env, service, port, health, []testbed.Edge{edge}, "")
	if m.Rollout.Keep != 2 {
		t.Fatalf("rollout.keep = %d, want the default 2", m.Rollout.Keep)
	}
	for i := range 4 {
		ref := pushNode(t, env, "hello", fmt.Sprintf("xs-keep-%d", i))
		if _, err := Deploy(context.Background(), m, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID(fmt.Sprintf("xs-keep-%d", i))); err != nil {
			t.Fatalf("release %d: %v", i, err)
		}
	}
	got := strings.Fields(run(t, c, "docker images --format '{{.Repository}}:{{.Tag}}' xedgesim.local/"+service))
	sort.Strings(got)
	if len(got) != 2 {
		t.Errorf("images of the service on the host after four releases: %q, want the newest two", got)
	}
	// The two left are the last two releases' (by the deploy ids on
	// their images' containers: the newest runs).
	ids := run(t, c, "docker ps -a --filter label="+LabelService+"="+service+" --format '{{.Label \""+LabelDeployID+"\"}}'")
	if ids != "xs-keep-3" {
		t.Errorf("containers of the service: %q, want the last release's alone", ids)
	}

	if label := run(t, c, "docker inspect -f '{{index .Config.Labels \""+LabelReleases+"\"}}' "+service); strings.Count(label, ",") != 1 {
		t.Errorf("%s = %q, want two releases", LabelReleases, label)
	}
	for _, g := range got {
		if !strings.Contains(run(t, c, "docker inspect -f '{{index .Config.Labels \""+LabelReleases+"\"}}' "+service), g) {
			t.Errorf("%s stayed but is not a kept release", g)
		}
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("%s answers %q", edge.Name, got)
	}

	// undeploy leaves nothing of the service; a second one finds nothing.
	reps, err := Undeploy(context.Background(), m)
	if err != nil || len(reps) != 1 || len(reps[0].Removed) < 3 {
		t.Fatalf("Undeploy() = %+v, %v; want the container and two images removed", reps, err)
	}
	t.Logf("removed: %q", reps[0].Removed)
	left := run(t, c, "docker ps -aq --filter label="+LabelService+"="+service+"; docker images -q xedgesim.local/"+service+"; ls -d "+storeDir(service)+" 2>/dev/null; true")
	if left != "" {
		t.Errorf("left of the service after undeploy: %q", left)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); !strings.HasPrefix(got, "error:") {
		t.Errorf("%s still answers %q after undeploy", edge.Name, got)
	}
	if reps, err := Undeploy(context.Background(), m); err != nil || len(reps[0].Removed) != 0 {
		t.Errorf("a second Undeploy() = %+v, %v; want nothing removed", reps, err)
	}
}
