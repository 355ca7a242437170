package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// TestBedConfigRollsBack: a broken image shipped with a new version of the
// config file (and a new file) rolls back to the old image and the old
// file (and no new file); verify checks the files' checksums; undeploy
// removes them.
func TestBedConfigRollsBack(t *testing.T) {
	t.Parallel() // edge1 and a service of its own
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge1")
	good := pushNode(t, env, "hello", "xs-files")
	broken := withCmd(t, env, good, "-addr", ":9999")
	id := randHex(t)
	service, port := "xs-files-"+id, freePort(t)
	cleanupEdges(t, env, service)
	// The bed's edges share this machine's filesystem: the files go to a
	// directory of this test's own.
	out := "/tmp/xs-files-" + id
	t.Cleanup(func() { os.RemoveAll(out) })
	c := dialEdge(t, edge)

	// A good release gets a long health timeout (a loaded runner starts
	// containers slowly); the broken one fails after a short one.
	release := func(timeout string, files map[string]string) *manifest.Manifest {
		t.Helper()
		dir := t.TempDir()
		var list []string
		for n, body := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			list = append(list, fmt.Sprintf("{src: %s, dst: %s/%s, mode: \"0640\"}", n, out, n))
		}
		src := fmt.Sprintf("service:\n  name: %s\n  ports: [\"%d:8080\"]\n  files: [%s]\n  health: {http: {port: %d, path: /healthz}, timeout: %s, window: 1s}\n"+
			"hosts:\n  - {name: %s, address: %s, port: %d, user: %s, platform: %s, known_hosts: %q}\nssh: {key: %s, timeout: 10s}\n",
			service, port, strings.Join(list, ", "), port, timeout, edge.Name, edge.Addr, edge.SSHPort, edge.User, edge.Platform, edge.KnownHosts, edge.KeyFile)
		path := filepath.Join(dir, "deploy.yaml")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := manifest.Load(path)
		if err != nil {
			t.Fatalf("manifest:\n%s\n%v", src, err)
		}
		return m
	}
	ctx := context.Background()
	v1 := release("60s", map[string]string{"gw.conf": "client_id gw\nversion 1\n"})
	if _, err := Deploy(ctx, v1, WithImage(good), WithNameOptions(name.Insecure), WithDeployID("xs-files-1"), logEvents(t)); err != nil {
		t.Fatalf("first release: %v", err)
	}
	files := func() string {
		return run(t, c, "cd "+out+" && for f in *; do printf '%s %s: ' \"$f\" \"$(stat -c %a \"$f\")\"; cat \"$f\"; done")
	}
	const v1files = "gw.conf 640: client_id gw\nversion 1"
	if got := files(); got != v1files {
		t.Fatalf("files after the first release: %q", got)
	}
	verifyOK(t, v1, good)
	runs := func() string {
		return run(t, c, "docker inspect -f '{{index .Config.Labels \""+LabelDeployID+"\"}}' "+service)
	}

	v2files := map[string]string{"gw.conf": "client_id gw\nversion 2\n", "extra.conf": "new\n"}
	rep, err := Deploy(ctx, release("8s", v2files), WithImage(broken), WithNameOptions(name.Insecure), WithDeployID("xs-files-2"), logEvents(t))
	wantRolledBack(t, rep, err, ResultRolledBack)
	if got := files(); got != v1files {
		t.Errorf("files after the rollback: %q, want the first release's alone", got)
	}
	if got := runs(); got != "xs-files-1" {
		t.Errorf("after the rollback the service runs deploy %s, want xs-files-1", got)
	}
	verifyOK(t, v1, good)

	// verify checks the files: a changed file fails it.
	run(t, c, "echo changed > "+out+"/gw.conf")
	checks, err := Verify(ctx, v1, WithImage(good), WithNameOptions(name.Insecure))
	if err == nil || checks[0].FilesMatch || !strings.Contains(checks[0].Problem, out+"/gw.conf has sha256:") {
		t.Errorf("Verify with a changed file = %v, %+v; want a failed files check", err, checks)
	}

	// A good release with the new files installs them; the store keeps
	// two versions of gw.conf (rollout.keep).
	v2 := release("60s", v2files)
	if _, err := Deploy(ctx, v2, WithImage(good), WithNameOptions(name.Insecure), WithDeployID("xs-files-3"), logEvents(t)); err != nil {
		t.Fatalf("third release: %v", err)
	}
	if got, want := files(), "extra.conf 640: new\ngw.conf 640: client_id gw\nversion 2"; got != want {
		t.Errorf("files after the third release: %q, want %q", got, want)
	}
	verifyOK(t, v2, good)
	if got := run(t, c, "ls "+storeDir(service)+"/files/"+fileKey(out+"/gw.conf")+" | wc -l"); got != "2" {
		t.Errorf("versions of gw.conf kept on the host: %s, want 2", got)
	}

	// undeploy removes the files and their stored versions too.
	if _, err := Undeploy(ctx, v2); err != nil {
		t.Fatalf("Undeploy() = %v", err)
	}
	if left := run(t, c, "ls -A "+out+"; ls -d "+storeDir(service)+" 2>/dev/null; docker ps -aq --filter label="+LabelService+"="+service+"; true"); left != "" {
		t.Errorf("left of the service after undeploy: %q", left)
	}
}
