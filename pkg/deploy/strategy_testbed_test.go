package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// The compose and native strategies on one real edge each: deploy, verify,
// a deploy whose health check fails (rolled back, the old service still
// answers), and a first deploy that fails (nothing left behind).

// strategyManifest writes deploy.yaml (and the other files) into a new
// directory and loads it, for one edge.
func strategyManifest(t *testing.T, env *testbed.Env, e testbed.Edge, service, strategy string, files map[string]string) *manifest.Manifest {
	t.Helper()
	dir := t.TempDir()
	for n, body := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := fmt.Sprintf("service: %s\nstrategy: %s\nhosts:\n  - {name: %s, address: %s, port: %d, user: %s, platform: %s, known_hosts: %q}\nssh: {key: %s, timeout: 10s}\n",
		service, strategy, e.Name, e.Addr, e.SSHPort, e.User, e.Platform, e.KnownHosts, e.KeyFile)
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

func dialEdge(t *testing.T, e testbed.Edge) *transport.Client {
	t.Helper()
	c, err := transport.Dial(context.Background(), transport.Target{Name: e.Name, Address: e.Addr, Port: e.SSHPort, User: e.User, KnownHosts: e.KnownHosts}, transport.WithKeyFile(e.KeyFile, ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func run(t *testing.T, c *transport.Client, cmd string) string {
	t.Helper()
	out, err := c.Run(context.Background(), cmd, nil)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.TrimSpace(out)
}

// wantRolledBack checks a deploy that failed its health check and was
// rolled back (or, with no previous version, failed).
func wantRolledBack(t *testing.T, rep *Report, err error, result Result) {
	t.Helper()
	var fe *FailedError
	if !errors.As(err, &fe) || exitcode.Of(err) != exitcode.Gate {
		t.Fatalf("Deploy(failing health) = %v, want a health failure (exit 2)", err)
	}
	if h := rep.Hosts[0]; h.Result != result || h.RolledBack != (result == ResultRolledBack) {
		t.Errorf("failing deploy: %+v, want %s", h, result)
	}
}

// logEvents logs a deploy's progress with the time since start.
func logEvents(t *testing.T) Option {
	start := time.Now()
	return WithProgress(ProgressFunc(func(e Event) {
		if e.Total == 0 {
			t.Logf("%5.1fs %s %s: %s", time.Since(start).Seconds(), e.Host, e.Step, e.Message)
		}
	}))
}

// deployThenUndo deploys m's image to its one host and then puts back what
// the host ran before, as a stopped fleet rollout does.
func deployThenUndo(t *testing.T, m *manifest.Manifest, ref, id string, between func()) {
	t.Helper()
	ctx := context.Background()
	o := makeOptions([]Option{WithImage(ref), WithNameOptions(name.Insecure), WithDeployID(id), logEvents(t)})
	p, err := newPlan(m, o)
	if err != nil {
		t.Fatal(err)
	}
	im, err := resolveImage(ctx, p.ref, o)
	if err != nil {
		t.Fatal(err)
	}
	d := &hostDeploy{m: m, h: m.Hosts[0], im: im, o: o, rep: &HostReport{}}
	if err := d.run(ctx); err != nil || d.rep.Result != ResultDeployed {
		t.Fatalf("deploy %s: %v, %+v", id, err, d.rep)
	}
	if !d.updated() {
		t.Fatalf("deploy %s set no undo", id)
	}
	between()
	c, err := connect(ctx, m, m.Hosts[0], o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d.c = c
	if err := d.s.rollback(ctx, d); err != nil {
		t.Fatalf("undo %s: %v", id, err)
	}
}

func verifyOK(t *testing.T, m *manifest.Manifest, ref string) {
	t.Helper()
	checks, err := Verify(context.Background(), m, WithImage(ref), WithNameOptions(name.Insecure))
	if err != nil {
		t.Fatalf("Verify() = %v", err)
	}
	for _, c := range checks {
		if !c.OK() || !c.Running || !c.RestartsStable || !c.Healthy || !c.DigestMatches {
			t.Errorf("Verify %s = %+v", c.Host, c)
		}
	}
}

func TestBedComposeStrategy(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge2")
	hello, echo := pushNode(t, env, "hello", "xs-strategies"), pushNode(t, env, "echo", "xs-strategies")
	id := randHex(t)
	service, port, hostDir := "xs-compose-"+id, freePort(t), "/tmp/xs-strategies-"+id
	c := dialEdge(t, edge)
	t.Cleanup(func() {
		for _, svc := range []string{service, service + "-new"} {
			c.Run(context.Background(), composeCmd(svc, hostDir+"/"+svc, "down", "--remove-orphans")+" >/dev/null 2>&1; docker images -q 'xedgesim.local/"+svc+"' | sort -u | xargs -r docker image rm -f >/dev/null", nil)
		}
		// The images the host pulled by digest.
		c.Run(context.Background(), "docker images -q --filter reference='*/xs-strategies/*' | sort -u | xargs -r docker image rm -f >/dev/null; rm -rf "+hostDir, nil)
	})
	ctx := context.Background()
	composeFile := fmt.Sprintf("# hello behind port %d\nservices:\n  app:\n    image: placeholder\n    ports: [\"%d:8080\"]\n    restart: unless-stopped\n", port, port)
	health := func(name, timeout string, port int) string {
		return fmt.Sprintf("{name: %s, health: {http: {port: %d, path: /healthz}, timeout: %s, window: 2s}}", name, port, timeout)
	}
	strategy := fmt.Sprintf("{compose: {file: compose.yaml, service: app, dir: %s}}", hostDir)
	files := map[string]string{"compose.yaml": composeFile}
	m := strategyManifest(t, env, edge, health(service, "60s", port), strategy, files)

	rep, err := Deploy(ctx, m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t), WithDeployID("xs-first"))
	if err != nil {
		t.Fatalf("Deploy() = %v", err)
	}
	if h := rep.Hosts[0]; h.Result != ResultDeployed || h.BytesSent == 0 {
		t.Errorf("first deploy: %+v", h)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("%s answers %q", edge.Name, got)
	}
	if got := run(t, c, "stat -c %a "+hostDir+"/"+service+"/compose.yaml"); got != "600" {
		t.Errorf("the compose file's mode is %s, want 600", got)
	}
	onHost := run(t, c, "cat "+hostDir+"/"+service+"/compose.yaml")
	if !strings.Contains(onHost, "xedgesim.deploy-id: \"xs-first\"") || !strings.Contains(onHost, "# hello behind port") {
		t.Errorf("compose file on the host:\n%s", onHost)
	}
	// The same digest again changes nothing and says so.
	ctrs := func() string {
		return run(t, c, "docker ps -q --no-trunc --filter label=com.docker.compose.project="+service)
	}
	before := ctrs()
	if rep, err := Deploy(ctx, m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t), WithDeployID("xs-again")); err != nil || !rep.Hosts[0].Unchanged || rep.Hosts[0].BytesSent != 0 {
		t.Errorf("the same digest again: %v, %+v; want unchanged", err, rep.Hosts[0])
	}
	if after := ctrs(); after != before || before == "" {
		t.Errorf("the same digest again replaced the containers: %q, were %q", after, before)
	}
	verifyOK(t, m, hello)

	// echo does not speak HTTP (nor listen on 8080): the health check fails
	// and the previous compose file is applied again.
	// The host pulls this one by digest. The timeout also bounds the
	// rollback's check of the previous service, which runs docker on the
	// host: 5 s was too short for it on a loaded CI machine.
	bad := strategyManifest(t, env, edge, health(service, "15s", port), strategy+"\ntransfer: pull", files)
	rep, err = Deploy(ctx, bad, WithImage(echo), WithNameOptions(name.Insecure), logEvents(t), WithDeployID("xs-second"))
	wantRolledBack(t, rep, err, ResultRolledBack)
	if h := rep.Hosts[0]; h.OldDigest != strings.SplitN(hello, "@", 2)[1] {
		t.Errorf("old digest %q, want hello's", h.OldDigest)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("after the rollback %s answers %q", edge.Name, got)
	}
	if got := run(t, c, "grep -c xs-first "+hostDir+"/"+service+"/compose.yaml"); got == "0" {
		t.Errorf("the first deploy's compose file is not back")
	}
	verifyOK(t, m, hello)
	if _, err := Verify(ctx, m, WithImage(echo), WithNameOptions(name.Insecure)); exitcode.Of(err) != exitcode.Gate {
		t.Errorf("Verify(echo) = %v, want exit 2 (the host runs hello)", err)
	}

	// A deploy that succeeded, undone as a stopped fleet rollout does: the
	// previous compose file (the first deploy's) applies again. Its compose
	// file differs (a comment), so the same digest is a change.
	label := "docker ps --filter label=com.docker.compose.project=" + service + " --format '{{.Label \"" + LabelDeployID + "\"}}'"
	changed, cm := *m, *m.Compose
	cm.Data = append(append([]byte(nil), cm.Data...), "# changed\n"...)
	changed.Compose = &cm
	deployThenUndo(t, &changed, hello, "xs-undone", func() {
		if got := run(t, c, label); got != "xs-undone" {
			t.Errorf("deploy id before the undo = %q", got)
		}
	})
	if got := run(t, c, label); got != "xs-first" {
		t.Errorf("deploy id after the undo = %q, want xs-first", got)
	}
	verifyOK(t, m, hello)

	// A first deploy that fails leaves no project and no file behind.
	fresh := service + "-new"
	m2 := strategyManifest(t, env, edge, health(fresh, "5s", port+1), strategy, map[string]string{
		"compose.yaml": strings.ReplaceAll(composeFile, fmt.Sprint(port), fmt.Sprint(port+1)),
	})
	rep, err = Deploy(ctx, m2, WithImage(echo), WithNameOptions(name.Insecure))
	wantRolledBack(t, rep, err, ResultFailed)
	if got := run(t, c, "docker ps -aq --filter label=com.docker.compose.project="+fresh+"; ls -d "+hostDir+"/"+fresh+" 2>/dev/null; true"); got != "" {
		t.Errorf("left behind after a failed first deploy: %q", got)
	}
}

// TestBedComposeKeepsDockerHost: with ssh.docker_host, the compose
// strategy loads the image into, applies the project on, verifies and
// undeploys from the engine the manifest names. The sessions of this sshd
// have no DOCKER_HOST, so the host's default engine is the machine's own:
// a project there would not answer on the edge.
func TestBedComposeKeepsDockerHost(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge2")
	hello := pushNode(t, env, "hello", "xs-strategies")
	id := randHex(t)
	service, port, hostDir := "xs-compose-host-"+id, freePort(t), "/tmp/xs-strategies-"+id
	c := dialEdge(t, edge) // the edge's own sshd: sessions with its DOCKER_HOST
	t.Cleanup(func() {
		c.Run(context.Background(), composeCmd(service, hostDir+"/"+service, "down", "--remove-orphans")+" >/dev/null 2>&1; docker images -q 'xedgesim.local/"+service+"' | sort -u | xargs -r docker image rm -f >/dev/null; rm -rf "+hostDir, nil)
	})
	plain := strictSSHD(t, edge, "")
	composeFile := fmt.Sprintf("services:\n  app:\n    image: placeholder\n    ports: [\"%d:8080\"]\n", port)
	strategy := fmt.Sprintf("{compose: {file: compose.yaml, service: app, dir: %s}}", hostDir)
	health := fmt.Sprintf("{name: %s, health: {http: {port: %d, path: /healthz}, timeout: 60s, window: 1s}}", service, port)
	m := strategyManifest(t, env, plain, health, strategy, map[string]string{"compose.yaml": composeFile})
	m.SSH.DockerHost = edge.DockerHost

	ctx := context.Background()
	if _, err := Deploy(ctx, m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t)); err != nil {
		t.Fatalf("Deploy() with ssh.docker_host = %v", err)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("%s answers %q after a compose deploy with ssh.docker_host", edge.Name, got)
	}
	verifyOK(t, m, hello)
	if _, err := Undeploy(ctx, m); err != nil {
		t.Fatalf("Undeploy() with ssh.docker_host = %v", err)
	}
	if got := run(t, c, "docker ps -aq --filter label=com.docker.compose.project="+service); got != "" {
		t.Errorf("the edge's engine still runs the project after the undeploy: %q", got)
	}
}

func TestBedNativeStrategy(t *testing.T) {
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge("edge2")
	// scripts/testbed runs a supervisord per edge, configured here.
	conf := env.Var(strings.ToUpper(edge.Name) + "_SUPERVISOR_CONF")
	if conf == "" {
		conf = filepath.Join(env.Var("STATE_DIR"), edge.Name, "supervisor", "supervisord.conf")
	}
	if _, err := os.Stat(conf); err != nil {
		t.Fatalf("%s has no supervisord (run scripts/testbed up): %v", edge.Name, err)
	}
	hello, echo := pushNode(t, env, "hello", "xs-strategies"), pushNode(t, env, "echo", "xs-strategies")
	id := randHex(t)
	service, port, hostDir := "xs-native-"+id, freePort(t), "/tmp/xs-strategies-"+id
	c := dialEdge(t, edge)
	confDir := filepath.Join(filepath.Dir(conf), "conf.d")
	t.Cleanup(func() {
		ctl := "supervisorctl -c " + conf
		c.Run(context.Background(), fmt.Sprintf("rm -f %[1]s/%[2]s.conf %[1]s/%[2]s-new.conf; %[3]s reread >/dev/null; %[3]s update %[2]s %[2]s-new >/dev/null; rm -rf %[4]s", confDir, service, ctl, hostDir), nil)
	})
	ctx := context.Background()
	svc := func(name, timeout string, port int) string {
		return fmt.Sprintf("{name: %s, command: [-addr, ':%d'], env: {MODE: test}, health: {http: {port: %d, path: /healthz}, timeout: %s, window: 2s}}", name, port, port, timeout)
	}
	strategy := fmt.Sprintf("{native: {config: %s, dir: %s}}", conf, hostDir)
	m := strategyManifest(t, env, edge, svc(service, "30s", port), strategy, nil)

	rep, err := Deploy(ctx, m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t), WithDeployID("xs-first"))
	if err != nil {
		t.Fatalf("Deploy() = %v", err)
	}
	if h := rep.Hosts[0]; h.Result != ResultDeployed || h.BytesSent == 0 {
		t.Errorf("first deploy: %+v", h)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("%s answers %q", edge.Name, got)
	}
	// The same digest again changes nothing and says so.
	pid := func() string { return run(t, c, "supervisorctl -c "+conf+" pid "+service) }
	before := pid()
	if rep, err := Deploy(ctx, m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t), WithDeployID("xs-again")); err != nil || !rep.Hosts[0].Unchanged || rep.Hosts[0].BytesSent != 0 {
		t.Errorf("the same digest again: %v, %+v; want unchanged", err, rep.Hosts[0])
	}
	if after := pid(); after != before || before == "0" {
		t.Errorf("the same digest again restarted the program: pid %s, was %s", after, before)
	}
	first := run(t, c, "readlink "+hostDir+"/"+service+"/current")
	if got := run(t, c, "supervisorctl -c "+conf+" status "+service); !strings.Contains(got, "RUNNING") {
		t.Errorf("supervisorctl status = %q", got)
	}
	// The program runs in the edge's namespace, as itself, not in a container.
	if got := run(t, c, "docker ps -q --filter label="+LabelService+"="+service); got != "" {
		t.Errorf("a container runs the native service: %s", got)
	}
	verifyOK(t, m, hello)

	// echo takes the port but does not speak HTTP: rolled back to hello's
	// release, which answers again.
	bad := strategyManifest(t, env, edge, svc(service, "5s", port), strategy, nil)
	rep, err = Deploy(ctx, bad, WithImage(echo), WithNameOptions(name.Insecure), logEvents(t), WithDeployID("xs-second"))
	wantRolledBack(t, rep, err, ResultRolledBack)
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("after the rollback %s answers %q", edge.Name, got)
	}
	if got := run(t, c, "readlink "+hostDir+"/"+service+"/current; ls "+hostDir+"/"+service+"/releases | wc -l"); got != first+"\n1" {
		t.Errorf("after the rollback: current and release count = %q, want %s and 1", got, first)
	}
	verifyOK(t, m, hello)

	// Another build deployed and undone as a stopped fleet rollout does:
	// current points at the first release again.
	hello2 := pushNode(t, env, "hello", "xs-strategies-2")
	deployThenUndo(t, m, hello2, "xs-undone", func() {
		if got := run(t, c, "readlink "+hostDir+"/"+service+"/current"); got == first {
			t.Errorf("the second build did not switch current (%s)", got)
		}
	})
	if got := run(t, c, "readlink "+hostDir+"/"+service+"/current; ls "+hostDir+"/"+service+"/releases | wc -l"); got != first+"\n1" {
		t.Errorf("after the undo: current and release count = %q, want %s and 1", got, first)
	}
	if got := get(t, fmt.Sprintf("http://%s:%d/", edge.Addr, port)); got != "hello from linux/amd64" {
		t.Errorf("after the undo %s answers %q", edge.Name, got)
	}
	verifyOK(t, m, hello)

	// A redeploy of the same image sends nothing but the release note.
	rep, err = Deploy(ctx, m, WithImage(hello), WithNameOptions(name.Insecure), logEvents(t), WithDeployID("xs-third"))
	if err != nil || rep.Hosts[0].BytesSent != 0 {
		t.Errorf("redeploy: %v, %+v (want nothing sent)", err, rep.Hosts[0])
	}

	// A first deploy that fails leaves no program and no files behind.
	fresh := service + "-new"
	m2 := strategyManifest(t, env, edge, svc(fresh, "5s", port+1), strategy, nil)
	rep, err = Deploy(ctx, m2, WithImage(echo), WithNameOptions(name.Insecure))
	wantRolledBack(t, rep, err, ResultFailed)
	if got := run(t, c, "ls "+confDir+" | grep -c "+fresh+"; ls -A "+hostDir+"/"+fresh+"/releases "+hostDir+"/"+fresh+"/current 2>/dev/null; true"); got != "0" {
		t.Errorf("left behind after a failed first deploy: %q", got)
	}

	// A host whose supervisord does not answer fails before any change.
	none := strategyManifest(t, env, edge, svc(service+"-none", "5s", port+1), fmt.Sprintf("{native: {config: %s/none/supervisord.conf, dir: %s}}", hostDir, hostDir), nil)
	rep, err = Deploy(ctx, none, WithImage(hello), WithNameOptions(name.Insecure))
	if err == nil || !strings.Contains(err.Error(), "supervisord does not answer") || rep.Hosts[0].Result != ResultFailed || rep.Hosts[0].BytesSent != 0 {
		t.Errorf("Deploy(no supervisord) = %v, %+v", err, rep.Hosts[0])
	}
	if got := run(t, c, "ls -d "+hostDir+"/"+service+"-none 2>/dev/null; true"); got != "" {
		t.Errorf("changed on a host without supervisord: %q", got)
	}
}
