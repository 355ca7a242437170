package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestBedLeftoversRemoved: what a killed deploy leaves of a service (a
// candidate, running; a new container created and never started) is
// removed by the next deploy, and the service's container, another
// service's container and a stopped container of the service are kept.
func TestBedLeftoversRemoved(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge2")
	hello := pushNode(t, env, "hello", "xs-leftovers")
	service, port := "xs-left-"+randHex(t), freePort(t)
	other := service + "-other"
	cleanupEdges(t, env, service)
	cleanupEdges(t, env, other)
	c := dialEdge(t, edge)
	ctx := context.Background()
	health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s}", port)
	m := bedManifest(t, env, service, port, health, []testbed.Edge{edge}, "")
	deploy := func(id string) {
		t.Helper()
		if _, err := Deploy(ctx, m, WithImage(hello), WithNameOptions(name.Insecure), WithDeployID(id), logEvents(t)); err != nil {
			t.Fatalf("Deploy(%s) = %v", id, err)
		}
	}
	deploy("xs-l1")
	img := run(t, c, "docker inspect -f '{{.Image}}' "+service)
	mk := func(name, verb string, labels ...string) string {
		args := []string{"docker", verb, "--name", name}
		if verb == "run" {
			args = append(args, "-d")
		}
		for _, l := range labels {
			args = append(args, "--label", l)
		}
		return run(t, c, shell(append(args, img)...))
	}
	ours := "label=" + LabelService + "=" + service
	candidate := mk(service+"-left-candidate", "run", LabelService+"="+service, LabelRole+"="+roleCandidate)
	created := mk(service+"-left-created", "create", LabelService+"="+service)
	stopped := mk(service+"-left-stopped", "run", LabelService+"="+service)
	run(t, c, "docker stop -t 1 "+stopped)
	otherCreated := mk(other+"-created", "create", LabelService+"="+other)

	deploy("xs-l2") // unchanged, but it tidies first
	left := run(t, c, "docker ps -aq --no-trunc --filter "+ours+"; docker ps -aq --no-trunc --filter label="+LabelService+"="+other)
	for _, id := range []string{candidate, created} {
		if strings.Contains(left, id) {
			t.Errorf("the leftover %s is still there", id)
		}
	}
	for _, id := range []string{stopped, otherCreated, run(t, c, "docker inspect -f '{{.Id}}' "+service)} {
		if !strings.Contains(left, id) {
			t.Errorf("%s was removed; only a candidate or a created container of the service is a leftover", id)
		}
	}
	run(t, c, "docker rm -f "+stopped+" "+otherCreated)
}
