package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedServiceNetwork: with service.network the container joins that
// existing network (and answers on its published port); a redeploy checks
// its candidate at its address there.
func TestBedServiceNetwork(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge1")
	hello := pushNode(t, env, "hello", "xs-network")
	id := randHex(t)
	service, port, network := "xs-network-"+id, freePort(t), "xs-net-"+id
	cleanupEdges(t, env, service)
	c := dialEdge(t, edge)
	run(t, c, "docker network create --label xedgesim.test="+network+" "+network+" >/dev/null")
	// After the container is gone (cleanups run last-registered first).
	t.Cleanup(func() {
		c.Run(context.Background(), "docker ps -aq --filter label="+LabelService+"="+service+" | xargs -r docker rm -f >/dev/null; docker network rm "+network+" >/dev/null", nil)
	})
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port)
	m := bedManifest(t, env, service, port, health, []testbed.Edge{edge}, "")
	m.Service.Network = network
	if _, err := Deploy(context.Background(), m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t)); err != nil {
		t.Fatalf("Deploy() = %v", err)
	}
	if got := run(t, c, "docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "+service); strings.TrimSpace(got) != network {
		t.Errorf("the container's networks: %q, want %s", got, network)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("%s answers %q", edge.Name, got)
	}
	// A redeploy checks its candidate at its address on that network.
	w := watchCandidate(t, env, edge, service)
	if _, err := Deploy(context.Background(), m, WithImage(pushNode(t, env, "hello", "xs-network")), WithNameOptions(name.Insecure), WithProgress(w)); err != nil {
		t.Fatalf("redeploy: %v", err)
	}
	w.check(true)
	if got := run(t, c, "docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' "+service); strings.TrimSpace(got) != network {
		t.Errorf("the container's networks after the redeploy: %q, want %s", got, network)
	}
}
