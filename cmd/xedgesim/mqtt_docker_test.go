package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/xedgesim/simulate/internal/testbed"
)

// The tests in this file are issue 5's "done when": the broker of the MQTT
// scenario is a container built from nodes/broker by our own build verb for
// two platforms, and the gate measures delivery, latency and restarts
// through it. They run one after another: they share the broker image, and
// each checks that the run removed what it loaded.

const (
	mqttDocker    = "../../scenarios/mqtt_docker.yaml"
	brokerRestart = "../../scenarios/broker_restart.yaml"
)

var brokerImages struct {
	once         sync.Once
	good, broken string
	err          string
}

// buildBrokers builds nodes/broker twice with `xedgesim build` for
// linux/amd64 and linux/arm64 into OCI layouts: as it is, and broken (its
// default arguments make it exit at once). A label unique to this test
// process keeps the digests apart from other tests' images.
func buildBrokers(t *testing.T) (good, broken string) {
	t.Helper()
	b := &brokerImages
	b.once.Do(func() {
		id := make([]byte, 6)
		_, _ = rand.Read(id)
		// Beside the binary, which TestMain removes at the end.
		dir, err := os.MkdirTemp(filepath.Dir(xedgesim), "broker")
		if err != nil {
			b.err = err.Error()
			return
		}
		b.good, b.broken = filepath.Join(dir, "broker"), filepath.Join(dir, "broken")
		for _, args := range [][]string{
			{"--output", "oci:" + b.good},
			{"--output", "oci:" + b.broken, "--cmd=-mqtt", "--cmd=256.0.0.1:1883"},
		} {
			full := append([]string{"build", "--go", "../../nodes/broker", "--platform", "linux/amd64,linux/arm64",
				"--label", "xedgesim.test=sim-" + hex.EncodeToString(id)}, args...)
			if r := cli(t, full...); r.code != 0 {
				b.err = "build: exit " + r.stderr
				return
			}
		}
	})
	if b.err != "" {
		t.Fatal(b.err)
	}
	return b.good, b.broken
}

// simProcess is a running `xedgesim simulate`.
type simProcess struct {
	cmd         *exec.Cmd
	out, errOut bytes.Buffer
	done        chan struct{}
	code        int
}

func startSimulate(t *testing.T, env *testbed.Env, args ...string) *simProcess {
	t.Helper()
	p := &simProcess{cmd: exec.Command(xedgesim, append([]string{"simulate"}, args...)...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *simProcess) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(timeout):
		t.Fatalf("simulate did not end within %s\n%s%s", timeout, p.out.String(), p.errOut.String())
		return -1
	}
}

func dockerCLI(t *testing.T, env *testbed.Env, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(env.Docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+env.DockerHost)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// containersOf lists the containers a simulate process started, by the pid
// label every container of a run carries.
func containersOf(t *testing.T, env *testbed.Env, pid int) string {
	t.Helper()
	out, err := dockerCLI(t, env, "ps", "-a", "-q", "--filter", "label=xedgesim.pid="+strconv.Itoa(pid))
	if err != nil {
		t.Fatalf("docker ps: %v: %s", err, out)
	}
	return out
}

// imageExists tells whether the engine has ref.
func imageExists(t *testing.T, env *testbed.Env, ref string) bool {
	t.Helper()
	_, err := dockerCLI(t, env, "image", "inspect", ref)
	return err == nil
}

type summaryJSON struct {
	Verdict    string `json:"verdict"`
	Assertions []struct {
		Metric string  `json:"metric"`
		Passed bool    `json:"passed"`
		Actual float64 `json:"actual"`
	} `json:"assertions"`
	Nodes []struct {
		ID          string `json:"id"`
		Image       string `json:"image"`
		ImageDigest string `json:"image_digest"`
	} `json:"nodes"`
	MQTT *struct {
		Published int64 `json:"published"`
		Received  int64 `json:"received"`
		Failed    int64 `json:"failed"`
	} `json:"mqtt"`
}

func readSummary(t *testing.T, dir string) summaryJSON {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s summaryJSON
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, data)
	}
	return s
}

func (s summaryJSON) actual(t *testing.T, metric string) float64 {
	t.Helper()
	for _, a := range s.Assertions {
		if a.Metric == metric {
			if !a.Passed {
				t.Errorf("assertion %s failed: actual %g", metric, a.Actual)
			}
			return a.Actual
		}
	}
	t.Fatalf("no assertion on %s in %+v", metric, s.Assertions)
	return 0
}

// layoutDigest is the digest of the one index in the OCI layout at dir.
func layoutDigest(t *testing.T, dir string) string {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		t.Fatalf("layout %s: %v, %d manifests; want one", dir, err, len(m.Manifests))
	}
	return m.Manifests[0].Digest.String()
}

// checkGone asserts that nothing of the run is left in the engine: no
// container with its pid, and not the image it loaded.
func checkGone(t *testing.T, env *testbed.Env, pid int, image string) {
	t.Helper()
	if left := containersOf(t, env, pid); left != "" {
		t.Errorf("containers left by the run: %s", left)
	}
	if nets, _ := dockerCLI(t, env, "network", "ls", "-q", "--filter", "label=xedgesim.pid="+strconv.Itoa(pid)); nets != "" {
		t.Errorf("networks left by the run: %s", nets)
	}
	if image != "" && imageExists(t, env, image) {
		t.Errorf("image %s, which the run loaded, is still in the engine", image)
		_, _ = dockerCLI(t, env, "image", "rm", image)
	}
}

// TestMQTTScenarioThroughBrokerContainer: the MQTT scenario passes with its
// broker the image built from nodes/broker, gating on delivery and latency
// through the real broker; the image under test is given with --image and
// its digest recorded.
func TestMQTTScenarioThroughBrokerContainer(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	good, _ := buildBrokers(t)
	out := t.TempDir()
	p := startSimulate(t, env, "--out", out, "--image", "mqtt-broker=oci:"+good, mqttDocker)
	if code := p.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, p.out.String(), p.errOut.String())
	}
	s := readSummary(t, out)
	if s.Verdict != "pass" {
		t.Errorf("verdict %q, want pass", s.Verdict)
	}
	if rate := s.actual(t, "mqtt_delivery_rate"); rate != 1 {
		t.Errorf("mqtt_delivery_rate %g, want 1", rate)
	}
	if p95 := s.actual(t, "mqtt_latency_p95_ms"); p95 <= 0 || p95 > 250 {
		t.Errorf("mqtt_latency_p95_ms %g, want in (0, 250]", p95)
	}
	if s.MQTT == nil || s.MQTT.Published < 9 || s.MQTT.Received != s.MQTT.Published {
		t.Errorf("mqtt section %+v, want every one of at least 9 readings received", s.MQTT)
	}
	broker := s.Nodes[0]
	if broker.ID != "mqtt-broker" || !strings.HasPrefix(broker.ImageDigest, "sha256:") || !strings.HasPrefix(broker.Image, "xedgesim.local/oci:") {
		t.Errorf("broker node %+v, want the loaded image and its digest", broker)
	}
	// The digest recorded is the one push publishes (the build's index),
	// so evidence from this run can promote the pushed image.
	if want := layoutDigest(t, good); broker.ImageDigest != want {
		t.Errorf("broker image_digest %s, want the layout's index %s", broker.ImageDigest, want)
	}
	if log, err := os.ReadFile(filepath.Join(out, "logs", "mqtt-broker.log")); err != nil || !strings.Contains(string(log), "MQTT on :1883") {
		t.Errorf("mqtt-broker.log = %q, %v; want the container's log", log, err)
	}
	checkGone(t, env, p.cmd.Process.Pid, broker.Image)
}

// TestSensorGroupThroughBrokerContainer: the devices of a sensor group
// publish to a broker container as single sensors do, over the one
// connection the group shares, and the gateway gets every reading.
func TestSensorGroupThroughBrokerContainer(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	good, _ := buildBrokers(t)
	dir := t.TempDir()
	scenario := filepath.Join(dir, "group.yaml")
	src := `simulation: {duration_s: 5, seed: 42}
nodes:
  - id: mqtt-broker
    type: broker
    implementation: docker
    docker:
      image: oci:` + good + `
      health: {mqtt: {port: 1883, topic: health/xedgesim}, timeout_s: 30}
  - {id: "sensor{i}", count: 20, type: sensor, config: {dst: gateway1}}
  - {id: gateway1, type: gateway, port: 5002, config: {forward_to: mqtt-broker}}
validation:
  assertions:
    - {metric: mqtt_published, operator: gte, value: 80, where: {src: "sensor*"}}
    - {metric: mqtt_delivery_rate, operator: gte, value: 1, where: {src: "sensor*"}}
`
	if err := os.WriteFile(scenario, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	p := startSimulate(t, env, "--out", out, scenario)
	if code := p.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, p.out.String(), p.errOut.String())
	}
	s := readSummary(t, out)
	if s.MQTT == nil || s.MQTT.Published != 80 || s.MQTT.Received != s.MQTT.Published {
		t.Errorf("mqtt section %+v, want 80 readings (4 from each of 20 devices), every one received", s.MQTT)
	}
	if len(s.Nodes) == 0 || s.Nodes[0].ID != "mqtt-broker" {
		t.Fatalf("nodes %+v, want the broker first", s.Nodes)
	}
	checkGone(t, env, p.cmd.Process.Pid, s.Nodes[0].Image)
}

// TestBrokenBrokerImageFailsTheGate: the same scenario with a broker image
// that exits at once fails with exit 2, and every report quotes the
// container's last log lines.
func TestBrokenBrokerImageFailsTheGate(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	_, broken := buildBrokers(t)
	out := t.TempDir()
	p := startSimulate(t, env, "--out", out, "--image", "mqtt-broker=oci:"+broken, mqttDocker)
	if code := p.wait(t, 2*time.Minute); code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, p.out.String(), p.errOut.String())
	}
	for _, name := range []string{"junit.xml", "summary.md", "summary.json", "report.html"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		// The broker's own last words: it cannot listen on 256.0.0.1. The
		// scenario's own assertions stay beside the failure, not measured.
		for _, want := range []string{"container exited with code 1", "last log lines", "adding MQTT listener",
			"mqtt_delivery_rate", "the run stopped when container mqtt-broker failed"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	if s := readSummary(t, out); s.Verdict != "fail" {
		t.Errorf("verdict %q, want fail", s.Verdict)
	}
	checkGone(t, env, p.cmd.Process.Pid, "")
}

// TestBrokerCrashAndRestart: node_crash kills the broker container's
// process; its restart policy brings it back, the built-in clients
// reconnect, and the gate measures the restart and the recovery time.
func TestBrokerCrashAndRestart(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	good, _ := buildBrokers(t)
	out := t.TempDir()
	p := startSimulate(t, env, "--out", out, "--image", "mqtt-broker=oci:"+good, brokerRestart)
	if code := p.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, p.out.String(), p.errOut.String())
	}
	s := readSummary(t, out)
	if n := s.actual(t, "restarts"); n != 1 {
		t.Errorf("restarts %g, want 1", n)
	}
	if rt := s.actual(t, "recovery_time_s"); rt <= 0 || rt > 5 {
		t.Errorf("recovery_time_s %g, want in (0, 5]", rt)
	}
	// About 4 readings went out before the crash at 5 s: more arrived, so
	// the clients reconnected to the restarted broker. A recovery within
	// the 5 s allowed loses up to 5 of the 14.
	if got := s.actual(t, "mqtt_received"); got < 9 {
		t.Errorf("mqtt_received %g, want at least 9", got)
	}
	// The container ran twice: its log has the broker's start line twice.
	if log, _ := os.ReadFile(filepath.Join(out, "logs", "mqtt-broker.log")); strings.Count(string(log), "MQTT on :1883") != 2 {
		t.Errorf("mqtt-broker.log = %q, want two starts", log)
	}
	checkGone(t, env, p.cmd.Process.Pid, s.Nodes[0].Image)
}

// TestInterruptedRunLeavesNothing sends SIGINT and SIGTERM to a running
// simulate: everything it started goes. A runner killed outright (SIGKILL)
// cannot clean up; the next run removes its leftovers.
func TestInterruptedRunLeavesNothing(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	good, _ := buildBrokers(t)
	started := func(t *testing.T) (*simProcess, string) {
		t.Helper()
		p := startSimulate(t, env, "--out", t.TempDir(), "--image", "mqtt-broker=oci:"+good, mqttDocker)
		deadline := time.Now().Add(time.Minute)
		for {
			id := containersOf(t, env, p.cmd.Process.Pid)
			if id != "" {
				// Let it run into the paced clock.
				time.Sleep(2 * time.Second)
				return p, id
			}
			if time.Now().After(deadline) {
				t.Fatalf("no container started\n%s%s", p.out.String(), p.errOut.String())
			}
			select {
			case <-p.done:
				t.Fatalf("simulate ended before its container ran: exit %d\n%s%s", p.code, p.out.String(), p.errOut.String())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			p, id := started(t)
			image, _ := dockerCLI(t, env, "inspect", "--format", "{{.Config.Image}}", id)
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t, time.Minute); code == 0 {
				t.Errorf("an interrupted run exited 0")
			}
			checkGone(t, env, p.cmd.Process.Pid, image)
		})
	}
	t.Run("SIGKILL", func(t *testing.T) {
		p, id := started(t)
		image, _ := dockerCLI(t, env, "inspect", "--format", "{{.Config.Image}}", id)
		t.Cleanup(func() { _, _ = dockerCLI(t, env, "image", "rm", image) })
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		p.wait(t, time.Minute)
		if left := containersOf(t, env, p.cmd.Process.Pid); left == "" {
			t.Fatal("a killed runner left no container; the orphan removal is not tested")
		}
		next := startSimulate(t, env, "--out", t.TempDir(), "--image", "mqtt-broker=oci:"+good, mqttDocker)
		if code := next.wait(t, 2*time.Minute); code != 0 {
			t.Fatalf("the next run: exit %d\n%s%s", code, next.out.String(), next.errOut.String())
		}
		if left := containersOf(t, env, p.cmd.Process.Pid); left != "" {
			t.Errorf("the next run left the killed run's containers: %s", left)
		}
		if nets, _ := dockerCLI(t, env, "network", "ls", "-q", "--filter", "label=xedgesim.pid="+strconv.Itoa(p.cmd.Process.Pid)); nets != "" {
			t.Errorf("the next run left the killed run's network: %s", nets)
		}
		checkGone(t, env, next.cmd.Process.Pid, "")
	})
}

// TestMQTTFlowAsContainers runs the whole flow as containers built from
// nodes/ for two platforms: the sensor container publishes through the
// broker container to the gateway container, which they find by node id
// on the run's network; a built-in subscriber measures the flow.
func TestMQTTFlowAsContainers(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	broker, _ := buildBrokers(t)
	dir := filepath.Dir(broker)
	for _, n := range []string{"sensor", "gateway"} {
		if r := cli(t, "build", "--go", "../../nodes/"+n, "--platform", "linux/amd64,linux/arm64",
			"--label", "xedgesim.test=sim-"+filepath.Base(dir), "--output", "oci:"+filepath.Join(dir, n)); r.code != 0 {
			t.Fatalf("build nodes/%s: exit %d\n%s", n, r.code, r.stderr)
		}
	}
	out := t.TempDir()
	p := startSimulate(t, env, "--out", out, "--image", "mqtt-broker=oci:"+broker,
		"--image", "sensor1=oci:"+filepath.Join(dir, "sensor"), "--image", "gateway1=oci:"+filepath.Join(dir, "gateway"),
		"../../scenarios/mqtt_containers.yaml")
	if code := p.wait(t, 2*time.Minute); code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, p.out.String(), p.errOut.String())
	}
	s := readSummary(t, out)
	if got := s.actual(t, "mqtt_received"); got < 15 {
		t.Errorf("mqtt_received from the sensor container %g, want at least 15", got)
	}
	// The gateway container aggregated the sensor container's readings.
	log, _ := os.ReadFile(filepath.Join(out, "logs", "gateway1.log"))
	if !strings.Contains(string(log), `"sensor":"sensor1","type":"temperature","count":`) {
		t.Errorf("gateway1.log has no aggregate of sensor1:\n%s", log)
	}
	for _, n := range s.Nodes[:3] {
		checkGone(t, env, p.cmd.Process.Pid, n.Image)
	}
	if nets, _ := dockerCLI(t, env, "network", "ls", "-q", "--filter", "label=xedgesim.pid="+strconv.Itoa(p.cmd.Process.Pid)); nets != "" {
		t.Errorf("the run's network is left: %s", nets)
	}
}

// TestNoDockerEngine: without an engine a scenario with docker nodes fails
// with exit 1 and says what is needed; it never skips the node.
func TestNoDockerEngine(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	r := runBinary(t, []string{"DOCKER_HOST=unix://" + filepath.Join(out, "no-docker.sock")}, "simulate", "--out", out, mqttDocker)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"mqtt_docker.yaml:19:5: node \"mqtt-broker\": docker nodes need a Docker Engine", "install Docker"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("output lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	if s := readSummary(t, out); s.Verdict != "error" {
		t.Errorf("verdict %q, want error", s.Verdict)
	}
}
