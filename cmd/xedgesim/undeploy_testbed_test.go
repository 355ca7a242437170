package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// TestGHAUndeployOnTheBed deploys a service to edge1 with the CLI, then
// removes it with the undeploy action's verb, the key and known_hosts given
// as secret inputs: the service is gone from the edge, the outputs and the
// step summary name the host, and a second run finds nothing and passes.
func TestGHAUndeployOnTheBed(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	e := env.Edges[0]
	id := hexID(t)
	service := "xt-undeploy-" + id
	repo := env.Registry.EdgeHost + "/xt-undeploy/hello"
	ws := t.TempDir()

	r := cli(t, "build", "--go", "../../nodes/hello", "--platform", e.Platform, "--buildvcs", "false",
		"--label", "xedgesim.test="+service, "--push", "--tag", repo+":"+id, "--insecure")
	if r.code != 0 {
		t.Fatalf("build: exit %d\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	ref := lines[len(lines)-1]
	t.Cleanup(func() {
		if d, err := name.NewDigest(ref, name.Insecure); err == nil {
			opts, _ := env.Registry.RemoteOptions()
			_ = remote.Delete(d, opts...)
		}
	})
	onEdge := func(cmd string) string {
		t.Helper()
		c, err := transport.Dial(context.Background(), transport.Target{Name: e.Name, Address: e.Addr, Port: e.SSHPort, User: e.User, KnownHosts: e.KnownHosts}, transport.WithKeyFile(e.KeyFile, ""))
		if err != nil {
			t.Fatalf("dialling %s: %v", e.Name, err)
		}
		defer c.Close()
		out, err := c.Run(context.Background(), cmd, nil)
		if err != nil {
			t.Fatalf("%s on %s: %v", cmd, e.Name, err)
		}
		return strings.TrimSpace(out)
	}
	containers := fmt.Sprintf("docker ps -aq --filter label=%s=%s", deploy.LabelService, service)
	t.Cleanup(func() { onEdge(containers + " | xargs -r docker rm -f >/dev/null; true") })

	// The CLI's manifest names the key and the host key; the action's
	// names neither: they come as inputs.
	write := func(file, extra string) string {
		m := fmt.Sprintf("image: %s\nservice:\n  name: %s\n  health: {cmd: 'true', timeout: 30s, window: 1s}\ntransfer: scp\nhosts:\n  - {name: %s, address: %s, port: %d, user: %s%s}\nssh: {timeout: 10s%s}\n",
			ref, service, e.Name, e.Addr, e.SSHPort, e.User, map[bool]string{true: fmt.Sprintf(", known_hosts: %q", e.KnownHosts)}[extra != ""], extra)
		path := filepath.Join(ws, file)
		if err := os.WriteFile(path, []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	checkRun(t, cli(t, "deploy", "-f", write("cli.yaml", ", key: "+e.KeyFile), "--insecure"), 0)
	if onEdge(containers) == "" {
		t.Fatalf("deploy left no container of %s on %s", service, e.Name)
	}
	write("deploy.yaml", "")
	key, err := os.ReadFile(e.KeyFile)
	if err != nil {
		t.Fatal(err)
	}

	for i, want := range []string{"removed", "nothing was there"} {
		out, summary := filepath.Join(ws, fmt.Sprint("out", i)), filepath.Join(ws, fmt.Sprint("summary", i))
		r := runEnvDir(t, ws, []string{
			"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + out, "GITHUB_STEP_SUMMARY=" + summary, "GITHUB_WORKSPACE=" + ws,
			"RUNNER_TEMP=" + t.TempDir(), "INPUT_MANIFEST=deploy.yaml", "INPUT_HOSTS=" + e.Name,
			"INPUT_SSH-KEY=" + string(key), "INPUT_KNOWN-HOSTS=" + e.KnownHosts, "INPUT_REPORT=undeploy-report.json",
		}, "gha", "undeploy")
		checkRun(t, r, 0, want)
		if got := outputs(t, out); got["hosts-removed"] != e.Name || got["hosts-failed"] != "" || got["report"] != "undeploy-report.json" {
			t.Errorf("run %d: outputs %v, want hosts-removed=%s and the report", i, got, e.Name)
		}
		if b, err := os.ReadFile(summary); err != nil || !strings.Contains(string(b), "| "+e.Name+" |") {
			t.Errorf("run %d: step summary %q (%v) has no row for %s", i, b, err, e.Name)
		}
		// Apart from the masks asked for, no line of the key shows.
		var shown strings.Builder
		for line := range strings.Lines(r.stdout + r.stderr) {
			if !strings.HasPrefix(line, "::add-mask::") {
				shown.WriteString(line)
			}
		}
		if !strings.Contains(r.stdout, "::add-mask::"+keyLines(string(key))[1]) || strings.Contains(shown.String(), keyLines(string(key))[1]) {
			t.Errorf("run %d: the key was not masked, or a line of it shows in the output", i)
		}
		if left := onEdge(containers); left != "" {
			t.Errorf("run %d: containers of %s left on %s: %s", i, service, e.Name, left)
		}
	}
}
