package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// TestBedPerHostValues: two hosts with their own DEVICE_ID and a templated
// config file each get their own values; the report shows them, with the
// secret masked.
func TestBedPerHostValues(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	e1, _ := env.Edge("edge1")
	e2, _ := env.Edge("edge2")
	hello := pushNode(t, env, "hello", "xs-hostvals")
	id := randHex(t)
	service, port := "xs-hostvals-"+id, freePort(t)
	cleanupEdges(t, env, service)
	// The bed's edges share this machine's filesystem: each host's file
	// lands at the same path, so it is read as each host finishes.
	out := "/tmp/xs-hostvals-" + id
	t.Cleanup(func() { os.RemoveAll(out) })

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "gw.conf.tmpl"), []byte("client_id {{.Host.Name}}-{{.Vars.site}}\naddress {{.Host.Address}}\n"), 0o644)
	var b strings.Builder
	fmt.Fprintf(&b, "vars: {site: lab}\nservice:\n  name: %s\n  ports: [\"%d:8080\"]\n  env: {DEVICE_ID: none, API_TOKEN: s3cret-%s}\n", service, port, id)
	fmt.Fprintf(&b, "  files: [{src: gw.conf.tmpl, dst: %s/gw.conf, template: true}]\n  health: {http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}\n", out, port)
	b.WriteString("hosts:\n")
	for _, e := range []testbed.Edge{e1, e2} {
		fmt.Fprintf(&b, "  - {name: %s, address: %s, port: %d, user: %s, platform: %s, known_hosts: %q, env: {DEVICE_ID: dev-%s}}\n", e.Name, e.Addr, e.SSHPort, e.User, e.Platform, e.KnownHosts, e.Name)
	}
	fmt.Fprintf(&b, "ssh: {key: %s, timeout: 10s}\nrollout: {canary: 1, batch: 1}\n", e1.KeyFile)
	path := filepath.Join(dir, "deploy.yaml")
	os.WriteFile(path, []byte(b.String()), 0o644)
	m, err := manifest.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	files := map[string]string{}
	progress := WithProgress(ProgressFunc(func(e Event) {
		if e.Step == "done" {
			data, _ := os.ReadFile(out + "/gw.conf")
			mu.Lock()
			files[e.Host] = string(data)
			mu.Unlock()
		}
	}))
	rep, err := Deploy(context.Background(), m, WithImage(hello), WithNameOptions(name.Insecure), progress)
	if err != nil {
		t.Fatalf("Deploy() = %v", err)
	}
	for i, e := range []testbed.Edge{e1, e2} {
		if want := fmt.Sprintf("client_id %s-lab\naddress %s\n", e.Name, e.Addr); files[e.Name] != want {
			t.Errorf("%s's file: %q, want %q", e.Name, files[e.Name], want)
		}
		c := dialEdge(t, e)
		got := run(t, c, "docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "+service+" | grep -E '^(DEVICE_ID|API_TOKEN)=' | sort")
		if want := fmt.Sprintf("API_TOKEN=s3cret-%s\nDEVICE_ID=dev-%s", id, e.Name); got != want {
			t.Errorf("%s's container env: %q, want %q", e.Name, got, want)
		}
		h := rep.Hosts[i]
		if h.Env["DEVICE_ID"] != "dev-"+e.Name || h.Env["API_TOKEN"] != "***" || h.Vars["site"] != "lab" {
			t.Errorf("%s's report values: env %v, vars %v", e.Name, h.Env, h.Vars)
		}
	}
	if data, _ := json.Marshal(rep); strings.Contains(string(data), "s3cret") {
		t.Errorf("the report shows the secret: %s", data)
	}
}
