package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const composeYAML = `services:
  app:
    image: placeholder
    ports: ["8080:8080"]
  sidecar:
    image: r/sidecar@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`

// writeDir writes files into a new directory and returns it.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestParseStrategies(t *testing.T) {
	t.Parallel()
	dir := writeDir(t, map[string]string{"compose.yaml": composeYAML})
	head := "image: r/app@" + digest + "\n" + `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	tests := []struct {
		name, src string
		strategy  Strategy
		compose   *Compose
		native    *Native
	}{
		{"default", "service: {name: app, health: {tcp: 80}}\n", StrategyContainer, nil, nil},
		{"container", "service: {name: app, health: {tcp: 80}}\nstrategy: container\n", StrategyContainer, nil, nil},
		{"container mapping", "service: {name: app, health: {tcp: 80}}\nstrategy: {container: }\n", StrategyContainer, nil, nil},
		{"compose", "service: {name: app, health: {tcp: 8080}}\nstrategy: {compose: {file: compose.yaml}}\n", StrategyCompose,
			&Compose{File: "compose.yaml", Data: []byte(composeYAML), Service: "app", Dir: "/opt/xedgesim/app"}, nil},
		{"compose service and dir", "service: {name: edge-app, health: {tcp: 8080}}\nstrategy: {compose: {file: compose.yaml, service: app, dir: /srv}}\n", StrategyCompose,
			&Compose{File: "compose.yaml", Data: []byte(composeYAML), Service: "app", Dir: "/srv/edge-app"}, nil},
		{"native by name", "service: {name: app, health: {tcp: 8080}}\nstrategy: native\n", StrategyNative, nil,
			&Native{Supervisor: SupervisorSupervisord, Config: DefaultSupervisordConfig, Dir: "/opt/xedgesim/app", Keep: 2}},
		{"native supervisord", "service: {name: app, command: [-addr, ':8080'], env: {A: b}, health: {tcp: 8080}}\nstrategy:\n  native: {binary: /ko-app/hello, config: /etc/sv.conf, dir: /srv, keep: 3}\n", StrategyNative, nil,
			&Native{Binary: "/ko-app/hello", Supervisor: SupervisorSupervisord, Config: "/etc/sv.conf", Dir: "/srv/app", Keep: 3}},
		{"native systemd with limits", "service: {name: app, memory: 64m, cpus: 0.5, health: {tcp: 8080}}\nstrategy: {native: {binary: /app, supervisor: systemd}}\n", StrategyNative, nil,
			&Native{Binary: "/app", Supervisor: SupervisorSystemd, Dir: "/opt/xedgesim/app", Keep: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(head+tc.src), filepath.Join(dir, "deploy.yaml"))
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if m.Strategy != tc.strategy {
				t.Errorf("Strategy = %q, want %q", m.Strategy, tc.strategy)
			}
			if diff := cmp.Diff(tc.compose, m.Compose, cmpopts.IgnoreTypes(Pos{})); diff != "" {
				t.Errorf("Compose (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.native, m.Native, cmpopts.IgnoreTypes(Pos{})); diff != "" {
				t.Errorf("Native (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStrategyErrors(t *testing.T) {
	t.Parallel()
	dir := writeDir(t, map[string]string{
		"compose.yaml":    composeYAML,
		"bad-syntax.yaml": "services:\n  app: [\n",
		"bad-key.yaml":    "services:\n  app:\n    image: x\n    imagee: y\n",
		"bad-ports.yaml":  "services:\n  app:\n    image: x\n    ports: [{target: nope}]\n",
		"build.yaml":      "services:\n  app:\n    build: .\n",
		"version.yaml":    "version: '3.8'\nservices:\n  app:\n    image: x\n",
	})
	m := func(name string) string { return filepath.Join(dir, name) }
	head := "image: r/app@" + digest + "\n" + `hosts: [{name: e1, address: 10.0.0.1, user: pi, known_hosts: "` + knownHost + `"}]` + "\n"
	svc := "service: {name: app, health: {tcp: 80}}\n"
	tests := []struct {
		name, src string
		want      []string
	}{
		{"unknown", svc + "strategy: compost\n", []string{m("deploy.yaml") + `:4:11: error: unknown strategy "compost" (did you mean compose?)`}},
		{"compose by name", svc + "strategy: compose\n", []string{m("deploy.yaml") + ":4:11: error: strategy compose needs the compose file"}},
		{"two strategies", svc + "strategy: {compose: {file: compose.yaml}, native: {}}\n", []string{m("deploy.yaml") + ":4:11: error: strategy names 2 strategies, want one"}},
		{"list", svc + "strategy: [native]\n", []string{m("deploy.yaml") + ":4:11: error: strategy must be a name or a mapping, got a list"}},
		{"compose no file", svc + "strategy: {compose: {service: app}}\n", []string{m("deploy.yaml") + ":4:21: error: strategy.compose has no file"}},
		{"compose missing file", svc + "strategy: {compose: {file: nope.yaml}}\n", []string{m("deploy.yaml") + ":4:28: error: reading the compose file: open " + m("nope.yaml") + ": no such file or directory"}},
		{"compose no service", "service: {name: web, health: {tcp: 80}}\nstrategy: {compose: {file: compose.yaml}}\n", []string{m("deploy.yaml") + `:4:28: error: the compose file compose.yaml has no service "web" (its services: app, sidecar; set strategy.compose.service`}},
		{"compose bad syntax", svc + "strategy: {compose: {file: bad-syntax.yaml}}\n", []string{m("bad-syntax.yaml") + ":2: error: invalid YAML"}},
		{"compose unknown setting", svc + "strategy: {compose: {file: bad-key.yaml}}\n", []string{m("bad-key.yaml") + `:4:5: error: unknown key "imagee" in services.app`}},
		{"compose bad ports", svc + "strategy: {compose: {file: bad-ports.yaml}}\n", []string{m("bad-ports.yaml") + ":4:5: error: the compose file is not valid:"}},
		{"compose build", svc + "strategy: {compose: {file: build.yaml}}\n", []string{m("build.yaml") + ":3:5: error: service app builds its image"}},
		{"compose project name", "service: {name: App, health: {tcp: 80}}\nstrategy: {compose: {file: compose.yaml, service: app}}\n", []string{m("deploy.yaml") + `:4:28: error: service.name "App" is not a compose project name`}},
		{"compose with ports", "service: {name: app, ports: [\"1:1\"], health: {tcp: 80}}\nstrategy: {compose: {file: compose.yaml}}\n", []string{m("deploy.yaml") + ":3:22: error: service.ports does not apply to strategy compose"}},
		{"compose relative dir", svc + "strategy: {compose: {file: compose.yaml, dir: srv}}\n", []string{m("deploy.yaml") + ":4:47: error: strategy.compose.dir must be an absolute path on the host"}},
		{"compose unknown setting", svc + "strategy: {compose: {fil: compose.yaml}}\n", []string{m("deploy.yaml") + ":4:21: error: strategy.compose has no file", m("deploy.yaml") + `:4:22: error: unknown key "fil" in strategy.compose (did you mean file?)`}},
		{"native relative binary", svc + "strategy: {native: {binary: app}}\n", []string{m("deploy.yaml") + ":4:29: error: strategy.native.binary must be an absolute path inside the image"}},
		{"native supervisor", svc + "strategy: {native: {supervisor: runit}}\n", []string{m("deploy.yaml") + `:4:33: error: unknown supervisor "runit"`}},
		{"native config with systemd", svc + "strategy: {native: {supervisor: systemd, config: /etc/s.conf}}\n", []string{m("deploy.yaml") + ":4:42: error: strategy.native.config is supervisord's config file, and the supervisor is systemd"}},
		{"native ports", "service: {name: app, ports: [\"1:1\"], health: {tcp: 80}}\nstrategy: native\n", []string{m("deploy.yaml") + ":3:22: error: service.ports does not apply to strategy native"}},
		{"native memory with supervisord", "service: {name: app, memory: 64m, health: {tcp: 80}}\nstrategy: native\n", []string{m("deploy.yaml") + ":3:22: error: service.memory needs supervisor: systemd"}},
		{"native transfer", svc + "strategy: native\ntransfer: pull\n", []string{m("deploy.yaml") + ":5:1: error: transfer does not apply to strategy native"}},
		{"native keep", svc + "strategy: {native: {keep: 1}}\n", []string{m("deploy.yaml") + ":4:27: error: strategy.native.keep must be between 2 and 100, got 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(head+tc.src), m("deploy.yaml"))
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
	// version: is accepted quietly.
	if _, err := Parse([]byte(head+svc+"strategy: {compose: {file: version.yaml}}\n"), m("deploy.yaml")); err != nil {
		t.Errorf("Parse(version:) = %v", err)
	}
}
