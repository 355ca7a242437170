package deploy

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedRedeployUnchanged: deploying the digest a host runs, with the same
// settings, leaves the container (its id) as it is and says so; a changed
// setting replaces it.
func TestBedRedeployUnchanged(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge2")
	hello := pushNode(t, env, "hello", "xs-unchanged")
	service, port := "xs-unchanged-"+randHex(t), freePort(t)
	cleanupEdges(t, env, service)
	c := dialEdge(t, edge)
	ctx := context.Background()
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	m := bedManifest(t, env, service, port, health, []testbed.Edge{edge}, "")
	deploy := func(id string) *HostReport {
		t.Helper()
		rep, err := Deploy(ctx, m, WithImage(hello), WithNameOptions(name.Insecure), WithDeployID(id), logEvents(t))
		if err != nil {
			t.Fatalf("Deploy(%s) = %v", id, err)
		}
		return &rep.Hosts[0]
	}
	containerID := func() string { return run(t, c, "docker inspect -f '{{.Id}}' "+service) }

	if h := deploy("xs-u1"); h.Unchanged || h.Result != ResultDeployed {
		t.Errorf("first deploy: %+v", h)
	}
	first := containerID()
	h := deploy("xs-u2")
	if !h.Unchanged || h.Result != ResultDeployed || h.BytesSent != 0 {
		t.Errorf("same digest again: %+v, want unchanged with nothing sent", h)
	}
	if got := containerID(); got != first {
		t.Errorf("the same digest again replaced the container: %s, was %s", got, first)
	}
	verifyOK(t, m, hello)

	// A changed setting is a change.
	m.Service.Env = map[string]string{"MODE": "changed"}
	if h := deploy("xs-u3"); h.Unchanged || h.Result != ResultDeployed {
		t.Errorf("changed env: %+v, want deployed", h)
	}
	if got := containerID(); got == first {
		t.Errorf("a changed env left the old container %s", got)
	}
	if got := run(t, c, "docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "+service+" | grep ^MODE="); got != "MODE=changed" {
		t.Errorf("the container's MODE: %q", got)
	}
}
