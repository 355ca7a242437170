package container_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/container"
)

// TestDockerProtocolNodeCrash: node_crash kills a container that speaks
// the TCP or the stdio protocol in lockstep, and restart_after_s starts it
// again and INITs it on a new connection: it echoes again after its
// restart. The same scenario without the fault is the reference.
func TestDockerProtocolNodeCrash(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	img := buildNode(t, env, "echo")
	for _, tc := range []struct{ name, docker string }{
		{"tcp", `{image: ` + img + `, protocol: tcp, socket_port: 5000, health: {tcp: 5000, timeout_s: 30}}`},
		{"stdio", `{image: ` + img + `, protocol: stdio, stdio_command: [/usr/local/bin/echo, -stdio]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(faults string) (*sim.Result, string) {
				t.Helper()
				sc := loadYAML(t, `
simulation: {duration_s: 4, seed: 5}
nodes:
  - {id: sensor1, type: sensor, port: 5001, config: {dst: echo, sample_rate_hz: 10}}
  - {id: echo, type: service, implementation: docker, port: 5000, docker: `+tc.docker+`}
`+faults)
				id, logs := "t"+uniqueID(t), t.TempDir()
				res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(newRuntime(t, container.WithLogDir(logs))))
				if err != nil {
					t.Fatalf("Run() = %v", err)
				}
				if left := leftovers(t, env, id); left != "" {
					t.Errorf("containers left after the run: %s", left)
				}
				log, _ := os.ReadFile(filepath.Join(logs, "echo.log"))
				return res, string(log)
			}
			base, baseLog := run("")
			crashed, log := run("faults:\n  - {at_s: 1, kind: node_crash, node: echo, restart_after_s: 1}\n")
			b, c := base.Nodes[1], crashed.Nodes[1]
			t.Logf("echo received %d on a run without faults, %d with node_crash from 1 s to 2 s; restarts %d, healthy %v, recovery %v s",
				b.MessagesReceived, c.MessagesReceived, c.Restarts, c.Healthy, c.RecoveryS)
			if c.Restarts != 1 || !c.Healthy || len(c.RecoveryS) != 1 {
				t.Errorf("restarts %d, healthy %v, recovery %v; want one restart, healthy at the end", c.Restarts, c.Healthy, c.RecoveryS)
			}
			// The sensor sends from 1 s on; the echo is down for a third
			// of that: what it got before the crash and after the restart
			// is about two thirds; without the new connection it would be
			// none after the crash.
			if r := float64(c.MessagesReceived) / float64(b.MessagesReceived); b.MessagesReceived < 20 || r < 0.5 || r > 0.9 {
				t.Errorf("echo received %d of the reference's %d; want about two thirds", c.MessagesReceived, b.MessagesReceived)
			}
			if c.MessagesSent != c.MessagesReceived {
				t.Errorf("echo sent %d for %d received", c.MessagesSent, c.MessagesReceived)
			}
			// The container's main process was killed and started again.
			if n, m := strings.Count(baseLog, "listening"), strings.Count(log, "listening"); n != 1 || m != 2 {
				t.Errorf("echo started %d times in the reference run, %d with node_crash; want 1 and 2\n%s", n, m, log)
			}
		})
	}
}
