package deploy

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

// candidateWatch is a progress that logs the deploy's events and, when the
// candidate's health check begins (the candidate runs then), reads on the
// edge which host ports the candidate publishes.
type candidateWatch struct {
	t       *testing.T
	edge    testbed.Edge
	env     *testbed.Env
	service string

	start    time.Time
	mu       sync.Mutex
	said     string // the candidate step's message
	bindings string // the candidate's HostConfig.PortBindings, as JSON
	seen     bool
}

func watchCandidate(t *testing.T, env *testbed.Env, edge testbed.Edge, service string) *candidateWatch {
	return &candidateWatch{t: t, env: env, edge: edge, service: service, start: time.Now()}
}

func (w *candidateWatch) Report(e Event) {
	if e.Total != 0 {
		return
	}
	w.t.Logf("%5.1fs %s %s: %s", time.Since(w.start).Seconds(), e.Host, e.Step, e.Message)
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case e.Step == "candidate":
		w.said = e.Message // the last: a candidate may start again on ports
	case e.Step == "health" && strings.HasSuffix(e.Message, "on the candidate") && !w.seen:
		w.seen = true
		out, err := w.docker("ps", "-q", "--filter", "label="+LabelRole+"="+roleCandidate, "--filter", "label="+LabelService+"="+w.service)
		if err == nil && strings.TrimSpace(out) != "" {
			out, err = w.docker("inspect", "-f", "{{json .HostConfig.PortBindings}}", strings.Fields(out)[0])
		}
		if err != nil {
			w.t.Errorf("reading the candidate's ports: %v", err)
		}
		w.bindings = strings.TrimSpace(out)
	}
}

// docker runs the docker CLI against the edge's engine (its socket on
// this machine).
func (w *candidateWatch) docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.env.Docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+w.edge.DockerHost)
	out, err := cmd.Output()
	return string(out), err
}

// check says whether the candidate was probed at its address (direct) and
// published no port, or published ephemeral ports.
func (w *candidateWatch) check(direct bool) {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case !w.seen:
		w.t.Error("no candidate was checked")
	case direct && (!strings.Contains(w.said, "probed at its address") || (w.bindings != "{}" && w.bindings != "null")):
		w.t.Errorf("the candidate: %q, publishing %s; want it probed at its address, publishing nothing", w.said, w.bindings)
	case !direct && (!strings.Contains(w.said, "on ephemeral ports") || !strings.Contains(w.bindings, `"HostPort":""`)):
		w.t.Errorf("the candidate: %q, publishing %s; want ephemeral host ports", w.said, w.bindings)
	}
}
