package manifest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunnerHosts(t *testing.T) {
	t.Parallel()
	const head = "image: r.example.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nservice: {name: app, health: {tcp: 8080}}\n"
	m, err := Parse([]byte(head+`rollout: {offline: skip, wave_timeout: 90s}
hosts:
  - {name: pi-001, runner: device-pi-001, platform: linux/arm64, env: {DEVICE_ID: "1"}}
`), "fleet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Host{Name: "pi-001", Runner: "device-pi-001", Local: true, Platform: "linux/arm64", Env: map[string]string{"DEVICE_ID": "1"}, Pos: Pos{File: "fleet.yaml", Line: 5, Col: 5}}
	if diff := cmp.Diff(want, m.Hosts[0]); diff != "" {
		t.Errorf("host (-want +got):\n%s", diff)
	}
	if m.Rollout.OfflinePolicy() != OfflineSkip || m.Rollout.WaveTimeout != 90*time.Second || m.Rollout.TimeoutMinutes() != 2 {
		t.Errorf("rollout %+v, want offline skip, 90s (2 minutes)", m.Rollout)
	}
	if d := (Rollout{}); d.OfflinePolicy() != OfflineFail || d.TimeoutMinutes() != 30 {
		t.Errorf("defaults: offline %s, %d minutes; want fail, 30", d.OfflinePolicy(), d.TimeoutMinutes())
	}

	for _, tt := range []struct{ yaml, want string }{
		{"hosts: [{name: pi-001, runner: 'no spaces'}]", `fleet.yaml:3:32: error: hosts[0].runner "no spaces" is not a runner label`},
		{"hosts: [{name: pi-001, runner: r1, local: true}]", "fleet.yaml:3:36: error: hosts[0] is a runner: it takes no local"},
		{"hosts: [{name: pi-001, runner: r1, address: 10.0.0.1}]", "fleet.yaml:3:36: error: hosts[0] is local: it takes no address"},
		{"rollout: {offline: maybe}\nhosts: [{name: pi-001, runner: r1}]", `fleet.yaml:3:20: error: unknown rollout.offline "maybe"`},
		{"rollout: {wave_timeout: 10s}\nhosts: [{name: pi-001, runner: r1}]", "fleet.yaml:3:25: error: rollout.wave_timeout 10s is not between 1m and 72h"},
	} {
		_, err := Parse([]byte(head+tt.yaml+"\n"), "fleet.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
