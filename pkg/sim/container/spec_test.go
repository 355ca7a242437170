package container

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

func TestParseDocker(t *testing.T) {
	t.Parallel()
	def := healthSpec{timeout: 30 * time.Second}
	cases := []struct {
		name   string
		docker map[string]any
		want   dockerSpec
	}{
		{"image only", map[string]any{"image": "broker:1"},
			dockerSpec{image: "broker:1", protocol: ProtocolNone, socketPort: 5000, health: def}},
		{"ports as a mapping are container: host", map[string]any{"image": "i", "ports": map[string]any{"5000": 5000, "1883": nil}},
			dockerSpec{image: "i", protocol: ProtocolNone, socketPort: 5000, health: def,
				ports: []portSpec{{container: 1883}, {container: 5000, host: 5000}}}},
		{"ports as a list are docker run -p", map[string]any{"image": "i", "ports": []any{"8080:80", "127.0.0.1:9000:90", "70"}},
			dockerSpec{image: "i", protocol: ProtocolNone, socketPort: 5000, health: def,
				ports: []portSpec{{container: 80, host: 8080}, {container: 90, host: 9000, hostIP: "127.0.0.1"}, {container: 70}}}},
		{"volumes in both forms", map[string]any{"image": "i", "volumes": map[string]any{
			"/models": map[string]any{"bind": "/app/models", "mode": "ro"}, "/data": "/data"}},
			dockerSpec{image: "i", protocol: ProtocolNone, socketPort: 5000, health: def,
				binds: []string{"/data:/data", "/models:/app/models:ro"}}},
		{"volume list", map[string]any{"image": "i", "volumes": []any{"/a:/b:ro"}},
			dockerSpec{image: "i", protocol: ProtocolNone, socketPort: 5000, health: def, binds: []string{"/a:/b:ro"}}},
		{"environment, command, limits, protocol, health", map[string]any{"image": "i",
			"environment": map[string]any{"B": 2, "A": "x"}, "command": "serve --fast", "mem_limit": "256m", "cpus": 0.5,
			"network": "edge", "protocol": "tcp", "socket_port": 6000,
			"health": map[string]any{"tcp": 6000, "http": "8080/healthz", "timeout_s": 5}},
			dockerSpec{image: "i", env: []string{"A=x", "B=2"}, command: []string{"serve", "--fast"}, memory: 256 << 20,
				nanoCPUs: 5e8, network: "edge", protocol: ProtocolTCP, socketPort: 6000,
				health: healthSpec{tcp: 6000, httpPort: 8080, httpPath: "/healthz", timeout: 5 * time.Second}}},
		{"build_context instead of an image", map[string]any{"build_context": "containers/broker", "dockerfile": "Dockerfile.arm"},
			dockerSpec{buildContext: "containers/broker", dockerfile: "Dockerfile.arm", protocol: ProtocolNone, socketPort: 5000, health: def}},
		{"platform", map[string]any{"image": "i", "platform": "linux/arm64"},
			dockerSpec{image: "i", protocol: ProtocolNone, socketPort: 5000, health: def, platform: "linux/arm64"}},
		{"stdio runs upstream's service module unless told", map[string]any{"image": "i", "protocol": "stdio"},
			dockerSpec{image: "i", protocol: ProtocolStdio, socketPort: 5000, health: def, stdioCommand: []string{"python", "-u", "-m", "service"}}},
		{"restart policy and an mqtt health check", map[string]any{"image": "i", "restart": "on-failure:3",
			"health": map[string]any{"mqtt": map[string]any{"port": 1884, "topic": "health/x"}}},
			dockerSpec{image: "i", protocol: ProtocolNone, socketPort: 5000, restart: "on-failure", maxRetries: 3,
				health: healthSpec{mqtt: 1884, mqttTopic: "health/x", httpPath: "/", timeout: 30 * time.Second}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseDocker(scenario.Node{ID: "n", Docker: tc.docker})
			if err != nil {
				t.Fatalf("parseDocker() = %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(dockerSpec{}, portSpec{}, healthSpec{})); diff != "" {
				t.Errorf("parseDocker() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDockerMistakes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		docker map[string]any
		want   []string
	}{
		{"no image", map[string]any{}, []string{"docker.image: a docker node needs an image"}},
		{"bad port and volume", map[string]any{"image": "i", "ports": []any{"a:b"}, "volumes": map[string]any{"x": 3}},
			[]string{`docker.ports: a is not a port number`, "docker.volumes: x: write {bind:"}},
		{"stdio_command without stdio", map[string]any{"image": "i", "stdio_command": "run"}, []string{"docker.stdio_command: goes with protocol: stdio"}},
		{"unknown protocol", map[string]any{"image": "i", "protocol": "udp"}, []string{"must be tcp, stdio or none"}},
		{"dockerfile without build_context", map[string]any{"dockerfile": "Dockerfile.x"}, []string{"docker.dockerfile: goes with build_context", "docker.image: a docker node needs an image"}},
		{"bad platform", map[string]any{"image": "i", "platform": "linux/arm65"}, []string{`docker.platform: platform "linux/arm65": unknown architecture`}},
		{"platform not a string", map[string]any{"image": "i", "platform": 64}, []string{`docker.platform: platform "": want os/arch`}},
		{"unknown key", map[string]any{"image": "i", "prots": 1}, []string{"docker.prots: unknown key"}},
		{"bad memory", map[string]any{"image": "i", "mem_limit": "lots"}, []string{"docker.mem_limit: lots is not a size"}},
		{"bad restart policy", map[string]any{"image": "i", "restart": "sometimes"}, []string{"docker.restart: sometimes: use no, on-failure"}},
		{"mqtt health without a port", map[string]any{"image": "i", "health": map[string]any{"mqtt": map[string]any{"topic": "a/#"}}},
			[]string{"docker.health.mqtt.topic: must be a topic name without wildcards", "docker.health.mqtt: needs port"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseDocker(scenario.Node{ID: "n", Docker: tc.docker})
			if err == nil {
				t.Fatal("parseDocker() = nil error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// A broker node serves MQTT on 1883 unless its mqtt health check or
// mqtt_port says otherwise; other nodes are no brokers.
func TestDockerBrokerPort(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ    string
		docker map[string]any
		want   int
	}{
		{"broker", map[string]any{"image": "i"}, 1883},
		{"mqtt_broker", map[string]any{"image": "i", "health": map[string]any{"mqtt": 11883}}, 11883},
		{"service", map[string]any{"image": "i", "mqtt_port": 1999}, 1999},
		{"service", map[string]any{"image": "i"}, 0},
	}
	for _, tc := range cases {
		d, err := newNode(scenario.Node{ID: "n", Type: tc.typ, Docker: tc.docker})
		if err != nil {
			t.Fatal(err)
		}
		if d.spec.mqttPort != tc.want || d.IsMQTTBroker() != (tc.want != 0) {
			t.Errorf("type %s, %v: MQTT port %d, broker %v; want %d", tc.typ, tc.docker, d.spec.mqttPort, d.IsMQTTBroker(), tc.want)
		}
	}
}

// newNode makes n's node as the runtime does.
func newNode(n scenario.Node) (*Node, error) {
	d, err := new(Runtime).Node(n)
	if err != nil {
		return nil, err
	}
	return d.(*Node), nil
}
