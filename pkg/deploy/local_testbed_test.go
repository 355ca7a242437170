package deploy

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// TestBedLocalHost deploys to a local host (a self-hosted runner deploying
// to its own engine, here the bed's host dockerd): the same steps without
// SSH, platform detected, verify, and a failed health check rolled back.
func TestBedLocalHost(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	ref := pushHello(t, env)
	service := "xt-local-" + randHex(t)
	port := freePort(t)
	docker := func(args ...string) string {
		out, err := exec.Command(env.Docker, args...).CombinedOutput()
		if err != nil {
			t.Logf("docker %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	t.Cleanup(func() {
		for _, id := range strings.Fields(docker("ps", "-aq", "--filter", "label="+LabelService+"="+service)) {
			docker("rm", "-f", id)
		}
		for _, tag := range strings.Fields(docker("images", "--format", "{{.Repository}}:{{.Tag}}", "xedgesim.local/"+service)) {
			docker("image", "rm", tag)
		}
	})
	manifestFor := func(health string) *manifest.Manifest {
		y := fmt.Sprintf("service:\n  name: %s\n  ports: [\"%d:8080\"]\n  health: %s\nhosts:\n  - {name: local, local: true}\n", service, port, health)
		m, err := manifest.Parse([]byte(y), "deploy.yaml")
		if err != nil {
			t.Fatalf("manifest:\n%s\n%v", y, err)
		}
		return m
	}
	ctx := context.Background()
	m := manifestFor(fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}", port))
	rep, err := Deploy(ctx, m, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID("xt-local-1"))
	if err != nil {
		t.Fatalf("Deploy() = %v", err)
	}
	if diff := cmp.Diff([]string{"local linux/amd64 deployed rolled-back=false"}, results(rep)); diff != "" {
		t.Errorf("Deploy() (-want +got):\n%s", diff)
	}
	if rep.Hosts[0].BytesSent == 0 {
		t.Errorf("no bytes sent to the local engine")
	}
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "hello from linux/amd64" {
		t.Errorf("the local service answers %q", got)
	}
	if _, err := Verify(ctx, m, WithImage(ref), WithNameOptions(name.Insecure)); err != nil {
		t.Errorf("Verify() = %v", err)
	}
	id := docker("inspect", "--format", "{{.Id}}", service)

	bad := manifestFor(fmt.Sprintf("{tcp: %d, timeout: 3s}", port+1))
	rep, err = Deploy(ctx, bad, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID("xt-local-2"))
	var fe *FailedError
	if !errors.As(err, &fe) || exitcode.Of(err) != exitcode.Gate {
		t.Fatalf("Deploy(failing health) = %v, want exit 2", err)
	}
	if diff := cmp.Diff([]string{"local linux/amd64 rolled back rolled-back=true"}, results(rep)); diff != "" {
		t.Errorf("Deploy(failing health) (-want +got):\n%s", diff)
	}
	if rep.Hosts[0].BytesSent != 0 {
		t.Errorf("the image was sent again: %d bytes", rep.Hosts[0].BytesSent)
	}
	if got := docker("inspect", "--format", "{{.Id}}", service); got != id {
		t.Errorf("after the rollback %s is %s, want the old container %s", service, got, id)
	}
	if got := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "hello from linux/amd64" {
		t.Errorf("after the rollback the local service answers %q", got)
	}
}
