package deploy

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// The hostile values of envfile_test.go, deployed for real: supervisord on
// an edge starts the program with exactly the env and arguments the
// manifest gives, and docker creates the container with exactly its env,
// which never appears on a command line.

// serviceJSON is a service: mapping written as JSON (which YAML reads), so
// that any value goes into the manifest as it is.
func serviceJSON(t *testing.T, name string, port int, command []string, env map[string]string, ports bool) string {
	t.Helper()
	s := map[string]any{"name": name, "env": env,
		"health": map[string]any{"http": map[string]any{"port": port, "path": "/healthz"}, "timeout": "30s", "window": "1s"}}
	if command != nil {
		s["command"] = command
	}
	if ports {
		s["ports"] = []string{fmt.Sprintf("%d:8080", port)}
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// nulList reads a /proc file of NUL-terminated strings on the host.
func nulList(t *testing.T, out string) []string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(out)
	if err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

func TestBedNativeHostileValues(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge1")
	conf := env.Var(strings.ToUpper(edge.Name) + "_SUPERVISOR_CONF")
	if conf == "" {
		t.Fatalf("%s has no supervisord (run scripts/testbed up)", edge.Name)
	}
	hello := pushNode(t, env, "hello", "xs-inject")
	id := randHex(t)
	service, port, hostDir := "xs-inject-native-"+id, freePort(t), "/tmp/xs-inject-"+id
	c := dialEdge(t, edge)
	confDir := filepath.Join(filepath.Dir(conf), "conf.d")
	t.Cleanup(func() {
		ctl := "supervisorctl -c " + conf
		c.Run(context.Background(), fmt.Sprintf("rm -f %[1]s/%[2]s.conf; %[3]s reread >/dev/null; %[3]s update %[2]s >/dev/null; rm -rf %[4]s", confDir, service, ctl, hostDir), nil)
	})
	vals := map[string]string{}
	for k, v := range hostile {
		if manifest.SupervisordValue(v) == "" {
			vals[k] = v
		}
	}
	args := append([]string{"-addr", fmt.Sprintf(":%d", port)}, hostileArgs[2:]...)
	m := strategyManifest(t, env, edge, serviceJSON(t, service, port, args, vals, false), fmt.Sprintf("{native: {config: %s, dir: %s}}", conf, hostDir), nil)
	rep, err := Deploy(context.Background(), m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t))
	if err != nil {
		t.Fatalf("Deploy() = %v, %+v", err, rep.Hosts)
	}
	st, err := newSupervisor(m.Native, service).status(context.Background(), c)
	if err != nil || st.pid == 0 {
		t.Fatalf("status = %+v, %v", st, err)
	}
	cmdline := nulList(t, run(t, c, fmt.Sprintf("base64 -w0 /proc/%d/cmdline", st.pid)))
	if diff := cmp.Diff(args, cmdline[1:]); diff != "" {
		t.Errorf("the program's arguments (-manifest +running):\n%s", diff)
	}
	got := map[string]string{}
	for _, kv := range nulList(t, run(t, c, fmt.Sprintf("base64 -w0 /proc/%d/environ", st.pid))) {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := vals[k]; ok {
			got[k] = v
		}
	}
	if diff := cmp.Diff(vals, got); diff != "" {
		t.Errorf("the program's environment (-manifest +running):\n%s", diff)
	}
	if mode := run(t, c, "stat -c %a "+confDir+"/"+service+".conf"); mode != "600" {
		t.Errorf("the program section (it holds the env) has mode %s, want 600", mode)
	}
}

func TestBedContainerEnvFile(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge3")
	hello := pushNode(t, env, "hello", "xs-inject", amd64, arm64)
	id := randHex(t)
	service, port := "xs-inject-ctr-"+id, freePort(t)
	cleanupEdges(t, env, service)
	c := dialEdge(t, edge)
	vals := map[string]string{"MARKER": "xs-marker-" + id}
	for k, v := range hostile {
		vals[k] = v
	}
	m := strategyManifest(t, env, edge, serviceJSON(t, service, 8080, nil, vals, false), "container", nil)
	// The health check dials the container's port on the host: publish it.
	m.Service.Ports = []string{fmt.Sprintf("%d:8080", port)}
	m.Service.Health.HTTP.Port = port
	// ps on the host while deploy runs: no value may show.
	stop := make(chan struct{})
	seen := make(chan string, 1)
	go func() {
		defer close(seen)
		for {
			select {
			case <-stop:
				return
			default:
			}
			out, _ := c.Run(context.Background(), "ps -eo args | grep -F -- "+vals["MARKER"]+" | grep -v grep || true", nil)
			if strings.TrimSpace(out) != "" {
				seen <- out
				return
			}
		}
	}()
	rep, err := Deploy(context.Background(), m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t))
	close(stop)
	if out := <-seen; out != "" {
		t.Errorf("a value shows on a command line:\n%s", out)
	}
	if err != nil {
		t.Fatalf("Deploy() = %v, %+v", err, rep.Hosts)
	}
	var cenv []string
	if err := json.Unmarshal([]byte(run(t, c, "docker inspect -f '{{json .Config.Env}}' "+service)), &cenv); err != nil {
		t.Fatal(err)
	}
	for k, v := range vals {
		if !slices.Contains(cenv, k+"="+v) {
			t.Errorf("the container has no %s=%q: %q", k, v, cenv)
		}
	}
	// The env file is gone.
	if got := run(t, c, "ls /tmp/tmp.* 2>/dev/null | xargs -r grep -lF -- "+vals["MARKER"]+" || true"); got != "" {
		t.Errorf("left on the host: %s", got)
	}
}
