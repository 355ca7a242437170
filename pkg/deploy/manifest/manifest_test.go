package manifest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

const knownHost = "10.0.0.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHwZ0UPHZnXEDr5vSo2UWTpDLMPQtK3ND0OqhaD8cWMJ"

func TestParseFull(t *testing.T) {
	t.Parallel()
	src := `image: 127.0.0.1:5000/acme/broker@` + digest + `
service:
  name: mosquitto
  ports: ["1883:1883"]
  volumes: ["/opt/m/config:/mosquitto/config"]
  env: {LOG_LEVEL: warning}
  memory: 128m
  cpus: 0.5
  files:
    - {src: prod.conf, dst: /opt/m/config/m.conf, mode: "0640"}
  health: {http: {port: 8080, path: /healthz}, timeout: 10s}
transfer: pull
hosts:
  - {name: edge1, address: 10.0.0.11, user: pi, known_hosts: "` + knownHost + `", platform: linux/arm64}
  - {name: edge2, address: 10.0.0.12, port: 2222, user: pi, fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}
rollout: {canary: 1, batch: 2}
ssh: {key: id_ed25519, passphrase: $PASS, timeout: 5s}
`
	got, err := Parse([]byte(src), "dir/deploy.yaml")
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	want := &Manifest{
		Path: "dir/deploy.yaml", Dir: "dir",
		Image: "127.0.0.1:5000/acme/broker@" + digest,
		Service: Service{
			Name: "mosquitto", Restart: "unless-stopped",
			Ports: []string{"1883:1883"}, Volumes: []string{"/opt/m/config:/mosquitto/config"},
			Env: map[string]string{"LOG_LEVEL": "warning"}, Memory: "128m", CPUs: 0.5,
			Files:  []File{{Src: "prod.conf", Dst: "/opt/m/config/m.conf", Mode: "0640"}},
			Health: Health{HTTP: &HTTPHealth{Port: 8080, Path: "/healthz", Status: 200}, Timeout: 10 * time.Second, Interval: DefaultHealthInterval, Window: DefaultHealthWindow},
		},
		Strategy: StrategyContainer, Transfer: TransferPull,
		Hosts: []Host{
			{Name: "edge1", Address: "10.0.0.11", Port: 22, User: "pi", KnownHosts: knownHost, Platform: "linux/arm64"},
			{Name: "edge2", Address: "10.0.0.12", Port: 2222, User: "pi", Fingerprints: []string{"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"}},
		},
		Rollout: Rollout{Canary: 1, Batch: 2, Rollback: true, Keep: 2, Order: OrderStartFirst},
		SSH:     SSH{Key: "id_ed25519", Passphrase: "$PASS", Timeout: 5 * time.Second},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreTypes(Pos{})); diff != "" {
		t.Errorf("Parse() (-want +got):\n%s", diff)
	}
	if got.Service.Health.Kind() != "http" {
		t.Errorf("Kind() = %q, want http", got.Service.Health.Kind())
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	host := `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	svc := "service: {name: app, health: {tcp: 80}}\n"
	img := "image: r/app@" + digest + "\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{"m.yaml:1:1: error: the manifest is empty (write image:, service:, hosts:)"}},
		{"syntax", "image: [\n", []string{"m.yaml:1: error: invalid YAML"}},
		{"tag not digest", "image: r/app:v1\n" + svc + host, []string{"m.yaml:1:8: error: image \"r/app:v1\" is not pinned to a digest"}},
		{"unknown key", img + svc + host + "rolout: {}\n", []string{`m.yaml:4:1: error: unknown key "rolout" in the manifest (did you mean rollout?)`}},
		{"no host key", img + svc + "hosts: [{name: e1, address: a, user: u}]\n", []string{"m.yaml:3:9: error: hosts[0] has no known_hosts and no fingerprint"}},
		{"bad fingerprint", img + svc + "hosts: [{name: e1, address: a, user: u, fingerprint: abc}]\n", []string{`m.yaml:3:9: error: hosts[0]: "abc" is not a SHA256 fingerprint`}},
		{"bad known_hosts", img + svc + "hosts: [{name: e1, address: a, user: u, known_hosts: nonsense}]\n", []string{"m.yaml:3:54: error: hosts[0].known_hosts: no known_hosts line"}},
		{"no health", img + "service: {name: app}\n" + host, []string{"m.yaml:2:10: error: service has no health check"}},
		{"two checks", img + "service: {name: app, health: {tcp: 1, cmd: x}}\n" + host, []string{"m.yaml:2:30: error: service.health needs exactly one of tcp, http, mqtt and cmd, got 2"}},
		{"mqtt without port", img + "service: {name: app, health: {mqtt: {topic: t}}}\n" + host, []string{"m.yaml:2:37: error: service.health.mqtt has no port"}},
		{"mqtt wildcard topic", img + "service: {name: app, health: {mqtt: {port: 1883, topic: sensor/#}}}\n" + host, []string{"m.yaml:2:57: error: service.health.mqtt.topic must be a topic name without wildcards"}},
		{"bad port", img + "service: {name: app, ports: [\"x:1\"], health: {tcp: 80}}\n" + host, []string{`m.yaml:2:30: error: port "x:1" is not HOST:CONTAINER`}},
		{"bad duration", img + "service: {name: app, health: {tcp: 80, timeout: 30}}\n" + host, []string{"m.yaml:2:49: error: service.health.timeout must be a positive duration"}},
		{"compose", img + svc + host + "strategy: compose\n", []string{"m.yaml:4:11: error: strategy compose needs the compose file"}},
		{"bad transfer", img + svc + host + "transfer: rsync\n", []string{`m.yaml:4:11: error: unknown transfer "rsync"`}},
		{"local with address", img + svc + "hosts: [{name: l, local: true, address: a}]\n", []string{"m.yaml:3:32: error: hosts[0] is local: it takes no address"}},
		{"secret in file", img + svc + host + "ssh: {passphrase: hunter2}\n", []string{"m.yaml:4:19: error: ssh.passphrase is written in the manifest"}},
		{"two errors in order", "image: r/app:v1\nservice: {name: app}\n" + host, []string{"m.yaml:1:8: error: image", "m.yaml:2:10: error: service has no health check"}},
		{"bad order", img + svc + host + "rollout: {order: blue-green}\n", []string{`m.yaml:4:18: error: unknown rollout.order "blue-green"`}},
		{"start-first for native", img + svc + host + "strategy: native\nrollout: {order: start-first}\n",
			[]string{"m.yaml:5:18: error: rollout.order start-first is for the container strategy; native stops the old release first"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.src), "m.yaml")
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse() = %v, want an *Error", err)
			}
			if e.ExitCode() != 3 {
				t.Errorf("ExitCode() = %d, want 3", e.ExitCode())
			}
			var got []string
			for i, d := range e.Diagnostics {
				s := d.String()
				if i < len(tc.want) && strings.HasPrefix(s, tc.want[i]) {
					s = tc.want[i]
				}
				got = append(got, s)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want prefixes +got):\n%s", diff)
			}
		})
	}
}

// rollout.order is start-first for the container strategy unless written,
// and stop-first, which every strategy takes, for the others.
func TestParseOrder(t *testing.T) {
	t.Parallel()
	base := "image: r/app@" + digest + "\nservice: {name: app, health: {tcp: 80}}\n" +
		`hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	tests := []struct {
		name, extra string
		want        Order
	}{
		{"default", "", OrderStartFirst},
		{"start-first", "rollout: {order: start-first}\n", OrderStartFirst},
		{"stop-first", "rollout: {order: stop-first}\n", OrderStopFirst},
		{"stop-first, native", "strategy: native\nrollout: {order: stop-first}\n", OrderStopFirst},
		{"default, native", "strategy: native\n", OrderStopFirst},
		{"default, native, with a rollout", "strategy: native\nrollout: {canary: 0}\n", OrderStopFirst},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(base+tc.extra), "m.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if m.Rollout.Order != tc.want {
				t.Errorf("rollout.order = %q, want %q", m.Rollout.Order, tc.want)
			}
		})
	}
}

func TestParseMQTTHealth(t *testing.T) {
	t.Parallel()
	host := `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	tests := []struct {
		health string
		want   *MQTTHealth
	}{
		{"{mqtt: 1883}", &MQTTHealth{Port: 1883}},
		{"{mqtt: {port: 11883, topic: health/check}}", &MQTTHealth{Port: 11883, Topic: "health/check"}},
	}
	for _, tc := range tests {
		m, err := Parse([]byte("image: r/app@"+digest+"\nservice: {name: app, health: "+tc.health+"}\n"+host), "m.yaml")
		if err != nil {
			t.Fatalf("Parse(%s) = %v", tc.health, err)
		}
		if diff := cmp.Diff(tc.want, m.Service.Health.MQTT); diff != "" {
			t.Errorf("Parse(%s) mqtt (-want +got):\n%s", tc.health, diff)
		}
		if k := m.Service.Health.Kind(); k != "mqtt" {
			t.Errorf("Kind() = %q, want mqtt", k)
		}
	}
}

func TestSchemaIsJSON(t *testing.T) {
	t.Parallel()
	var v map[string]any
	if err := json.Unmarshal(Schema(), &v); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	props := v["properties"].(map[string]any)
	for _, k := range []string{"image", "service", "strategy", "transfer", "hosts", "rollout", "ssh"} {
		if _, ok := props[k]; !ok {
			t.Errorf("schema has no property %s", k)
		}
	}
}
