package container_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/xedgesim/simulate/internal/exitcode"
	"github.com/xedgesim/simulate/internal/testbed"
	imagebuild "github.com/xedgesim/simulate/pkg/image/build"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/container"
)

// The tests in this file run real containers in the test bed's Docker
// Engine (scripts/testbed up): they skip without it, and fail without it
// under XEDGESIM_TESTBED=1. The images are built from nodes/ with our own
// build library; nothing is pulled.

func uniqueID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// buildNode builds nodes/<dir> for this machine into the bed's engine and
// returns its tag; the image is removed when the test ends.
func buildNode(t *testing.T, env *testbed.Env, dir string) string {
	t.Helper()
	b, err := imagebuild.NewGo("./nodes/"+dir, imagebuild.WithDir("../../.."), imagebuild.WithBuildVCS("false"),
		imagebuild.WithPlatforms(v1.Platform{OS: "linux", Architecture: runtime.GOARCH}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(context.Background())
	if err != nil {
		t.Fatalf("building nodes/%s: %v", dir, err)
	}
	tag, err := name.NewTag("xedgesim.local/" + dir + ":test-" + uniqueID(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := imagebuild.Write(context.Background(), res, imagebuild.Output{Kind: imagebuild.OutputDocker},
		imagebuild.WithTags(tag), imagebuild.WithDockerCLI(env.Docker, "DOCKER_HOST="+env.DockerHost)); err != nil {
		t.Fatalf("loading nodes/%s into docker: %v", dir, err)
	}
	t.Cleanup(func() { docker(t, env, "image", "rm", "-f", tag.String()) })
	return tag.String()
}

// newRuntime returns a container runtime for one run; the run closes it.
func newRuntime(t *testing.T, opts ...container.Option) *container.Runtime {
	t.Helper()
	rt, err := container.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func docker(t *testing.T, env *testbed.Env, args ...string) string {
	t.Helper()
	cmd := exec.Command(env.Docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// leftovers lists the containers of run id, running or not.
func leftovers(t *testing.T, env *testbed.Env, id string) string {
	t.Helper()
	return docker(t, env, "ps", "-a", "-q", "--filter", "label=xedgesim.run="+id)
}

func loadYAML(t *testing.T, yaml string) *scenario.Scenario {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestDockerProtocolNode runs nodes/echo as a container speaking the TCP
// protocol in lockstep: a built-in sensor sends to it and it echoes back.
// The container is gone afterwards and its log is kept.
func TestDockerProtocolNode(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	img := buildNode(t, env, "echo")
	sc := loadYAML(t, `
simulation: {duration_s: 2, seed: 7}
nodes:
  - id: sensor1
    type: sensor
    implementation: python_model
    port: 5001
    config: {dst: echo}
  - id: echo
    type: service
    implementation: docker
    port: 5000
    docker:
      image: `+img+`
      protocol: tcp
      socket_port: 5000
      environment: {MODE: test}
      health: {tcp: 5000, timeout_s: 20}
`)
	id, logs := "t"+uniqueID(t), t.TempDir()
	res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(newRuntime(t, container.WithLogDir(logs))))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	echo := res.Nodes[1]
	if echo.MessagesReceived == 0 || echo.MessagesSent != echo.MessagesReceived {
		t.Errorf("echo received %d, sent %d; want the same, more than 0", echo.MessagesReceived, echo.MessagesSent)
	}
	if echo.Image != img || !strings.HasPrefix(echo.ImageDigest, "sha256:") {
		t.Errorf("echo ran %q (%q), want %q by digest", echo.Image, echo.ImageDigest, img)
	}
	if res.Statistical {
		t.Error("a lockstep run is marked statistical")
	}
	if log, err := os.ReadFile(filepath.Join(logs, "echo.log")); err != nil || !strings.Contains(string(log), "listening") {
		t.Errorf("echo.log = %q, %v; want the container's log", log, err)
	}
	if left := leftovers(t, env, id); left != "" {
		t.Errorf("containers left after the run: %s", left)
	}
}

// TestDockerServiceNodeCancelled starts a black-box container in a paced
// run and cancels the run mid-way, as SIGINT does: the container goes.
func TestDockerServiceNodeCancelled(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	img := buildNode(t, env, "echo")
	sc := loadYAML(t, `
simulation: {duration_s: 60, seed: 1}
nodes:
  - id: svc
    type: service
    implementation: docker
    port: 5000
    docker: {image: `+img+`, ports: ["5000"], health: {tcp: 5000}}
`)
	id := "t" + uniqueID(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := sim.Run(ctx, sc, sim.WithRunID(id), sim.WithRuntime(newRuntime(t)))
		done <- err
	}()
	deadline := time.Now().Add(30 * time.Second)
	for leftovers(t, env, id) == "" {
		if time.Now().After(deadline) {
			t.Fatal("the container did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run() = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after the cancel")
	}
	if left := leftovers(t, env, id); left != "" {
		t.Errorf("containers left after a cancelled run: %s", left)
	}
}

// TestDockerExitedService fails the run when a black-box container exits
// before it is healthy, quoting its last log lines.
func TestDockerExitedService(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	img := buildNode(t, env, "echo")
	sc := loadYAML(t, `
simulation: {duration_s: 5, seed: 1}
nodes:
  - id: svc
    type: service
    implementation: docker
    port: 5000
    docker: {image: `+img+`, command: [-addr, "256.0.0.1:1"], health: {tcp: 5000, timeout_s: 10}}
`)
	id := "t" + uniqueID(t)
	_, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(newRuntime(t)))
	if err == nil || !strings.Contains(err.Error(), "container exited with code 1") || !strings.Contains(err.Error(), "last log lines") {
		t.Errorf("Run() = %v, want the exit and the last log lines", err)
	}
	// A broken image under test fails the gate (exit 2), on the node.
	var broken *container.UnhealthyError
	if !errors.As(err, &broken) || broken.NodeID != "svc" || broken.Pos.Line != 4 || exitcode.Of(err) != exitcode.Gate {
		t.Errorf("Run() = %#v, want an UnhealthyError for svc at line 4 with exit code 2", err)
	}
	if left := leftovers(t, env, id); left != "" {
		t.Errorf("containers left after a failed run: %s", left)
	}
}

// TestDockerBuildContext builds a node's image from docker.build_context
// and docker.dockerfile, as upstream's scenarios do, on the bed's BuildKit
// and on buildx's default `docker` driver (which cannot export an OCI
// layout): the container built runs in lockstep, and the image goes after
// the run.
func TestDockerBuildContext(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker, testbed.PartBuildx)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	t.Setenv("PATH", filepath.Dir(env.Docker)+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := t.TempDir()
	bctx := filepath.Join(dir, "echo")
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(bctx, "echo"), "./nodes/echo")
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// A label of this test keeps the image apart from other runs'.
	df := "FROM scratch\nCOPY echo /echo\nLABEL xedgesim.test=" + uniqueID(t) + "\nENTRYPOINT [\"/echo\"]\n"
	if err := os.WriteFile(filepath.Join(bctx, "Dockerfile.echo"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "scenario.yaml")
	src := `
simulation: {duration_s: 3, seed: 3}
nodes:
  - {id: sensor1, type: sensor, port: 5001, config: {dst: echo}}
  - id: echo
    type: service
    implementation: docker
    docker: {build_context: echo, dockerfile: Dockerfile.echo, protocol: tcp, health: {tcp: 5000}}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, builder := range []string{env.Builder.Name, "default"} {
		t.Run(builder, func(t *testing.T) {
			t.Setenv("BUILDX_BUILDER", builder)
			id := "t" + uniqueID(t)
			res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(newRuntime(t)))
			if err != nil {
				t.Fatalf("Run() = %v", err)
			}
			echo := res.Nodes[1]
			if echo.MessagesReceived == 0 || echo.MessagesSent != echo.MessagesReceived {
				t.Errorf("echo received %d, sent %d; want the same, more than 0", echo.MessagesReceived, echo.MessagesSent)
			}
			if !strings.HasPrefix(echo.Image, "xedgesim.local/build:") || !strings.HasPrefix(echo.ImageDigest, "sha256:") {
				t.Errorf("echo ran %q (%q), want the built image by digest", echo.Image, echo.ImageDigest)
			}
			if echo.Resources == nil || echo.Resources.ImageSizeMB <= 0 {
				t.Errorf("echo's image size was not measured: %+v", echo.Resources)
			}
			if left := leftovers(t, env, id); left != "" {
				t.Errorf("containers left after the run: %s", left)
			}
			cmd := exec.Command(env.Docker, "image", "inspect", echo.Image)
			cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
			if cmd.Run() == nil {
				t.Errorf("the image the run built, %s, is still in the engine", echo.Image)
				docker(t, env, "image", "rm", echo.Image)
			}
		})
	}
}

// TestDockerStdioNode runs nodes/echo in a container and speaks upstream's
// stdin/stdout protocol with `echo -stdio` through docker exec -i, in
// lockstep: a built-in sensor sends to it and it echoes back.
func TestDockerStdioNode(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	img := buildNode(t, env, "echo")
	sc := loadYAML(t, `
simulation: {duration_s: 3, seed: 5}
nodes:
  - {id: sensor1, type: sensor, port: 5001, config: {dst: echo}}
  - id: echo
    type: service
    implementation: docker
    docker:
      image: `+img+`
      protocol: stdio
      stdio_command: [/usr/local/bin/echo, -stdio]
`)
	id := "t" + uniqueID(t)
	res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(newRuntime(t)))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	sensor, echo := res.Nodes[0], res.Nodes[1]
	if echo.MessagesReceived != sensor.MessagesSent || echo.MessagesSent != echo.MessagesReceived || echo.MessagesSent == 0 {
		t.Errorf("sensor sent %d; echo received %d, sent %d; want all the same, more than 0", sensor.MessagesSent, echo.MessagesReceived, echo.MessagesSent)
	}
	// The echoes come from echo_service, as upstream's example names them,
	// and go back to the sensor.
	var toSensor int64
	for _, r := range res.Routes {
		if r.Src == "echo_service" && r.Dst == "sensor1" {
			toSensor = r.Sent
		}
	}
	if toSensor != echo.MessagesSent {
		t.Errorf("routes %+v: want %d echoes from echo_service to sensor1", res.Routes, echo.MessagesSent)
	}
	if res.Statistical {
		t.Error("a stdio node runs in lockstep; the run is marked statistical")
	}
	if left := leftovers(t, env, id); left != "" {
		t.Errorf("containers left after the run: %s", left)
	}
}

// TestDockerCrash kills a black-box container with node_crash: without a
// restart policy it stays down (the node ends unhealthy, the run goes on),
// or restart_after_s starts it again and the recovery is measured.
func TestDockerCrash(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	img := buildNode(t, env, "echo")
	for _, tc := range []struct {
		name     string
		fault    string
		restarts int64
		healthy  bool
	}{
		{"stays down", "{at_s: 1, kind: node_crash, node: svc}", 0, false},
		{"restart_after_s starts it", "{at_s: 1, kind: node_crash, node: svc, restart_after_s: 1}", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// 8 s leaves the restart (at 2 s) and its health check room on
			// a loaded runner, where starting a container takes seconds.
			sc := loadYAML(t, `
simulation: {duration_s: 8, seed: 1}
nodes:
  - id: svc
    type: service
    implementation: docker
    docker: {image: `+img+`, health: {tcp: 5000}}
faults:
  - `+tc.fault+`
`)
			id := "t" + uniqueID(t)
			res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(newRuntime(t)))
			if err != nil {
				t.Fatalf("Run() = %v", err)
			}
			n := res.Nodes[0]
			if n.Restarts != tc.restarts || n.Healthy != tc.healthy || len(n.RecoveryS) != int(tc.restarts) {
				t.Errorf("restarts %d, healthy %v, recoveries %v; want %d, %v", n.Restarts, n.Healthy, n.RecoveryS, tc.restarts, tc.healthy)
			}
			// Started again 1 s after the crash, it is healthy later,
			// within the run.
			if tc.restarts > 0 && len(n.RecoveryS) > 0 && (n.RecoveryS[0] < 0.9 || n.RecoveryS[0] > 7) {
				t.Errorf("recovery %g s, want between the 1 s restart_after_s and the run's end", n.RecoveryS[0])
			}
			if left := leftovers(t, env, id); left != "" {
				t.Errorf("containers left after the run: %s", left)
			}
		})
	}
}

// TestDockerBrokerOnHostNetwork: a broker container on the host's network
// publishes nothing; the built-in clients reach it on loopback.
func TestDockerBrokerOnHostNetwork(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	img := buildNode(t, env, "broker")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	sc := loadYAML(t, `
simulation: {duration_s: 3, seed: 1}
nodes:
  - id: mqtt-broker
    type: broker
    implementation: docker
    docker: {image: `+img+`, network: host, command: [-mqtt, "127.0.0.1:`+port+`", -health, ""], mqtt_port: `+port+`, health: {mqtt: `+port+`}}
  - {id: sensor1, type: sensor, port: 5001, config: {dst: gateway1}}
  - {id: gateway1, type: gateway, port: 5002}
`)
	id := "t" + uniqueID(t)
	res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(newRuntime(t)))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if m := res.MQTT; m == nil || m.Address != "127.0.0.1:"+port || m.Published == 0 || m.Received != m.Published {
		t.Errorf("MQTT %+v, want every reading through the broker at 127.0.0.1:%s", m, port)
	}
	if left := leftovers(t, env, id); left != "" {
		t.Errorf("containers left after the run: %s", left)
	}
}
