package deploy

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// withCmd derives from ref an image whose every platform runs with cmd.
func withCmd(t *testing.T, env *testbed.Env, ref string, cmd ...string) string {
	t.Helper()
	return derive(t, env, ref, func(_ string, img v1.Image) v1.Image {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		c := cf.Config
		c.Cmd = cmd
		img, err = mutate.Config(img, c)
		if err != nil {
			t.Fatal(err)
		}
		return img
	})
}

// switchReleases are what a switch test deploys: two releases of the
// hello node, one that does not serve its port, and a fresh service name
// and host port (removed from every edge at the end).
type switchReleases struct {
	v1, v2, broken, service string
	port                    int
}

// releases pushes the switch test's releases to repo and picks the edge.
func releases(t *testing.T, edgeName, repo string) (*testbed.Env, testbed.Edge, switchReleases) {
	t.Helper()
	env := testbed.Need(t, testbed.PartRegistry, testbed.PartEdges)
	edge, _ := env.Edge(edgeName)
	r := switchReleases{v1: pushNode(t, env, "hello", repo), v2: pushNode(t, env, "hello", repo)}
	r.broken = withCmd(t, env, r.v2, "-addr", ":9999")
	r.service, r.port = repo+"-"+randHex(t), freePort(t)
	cleanupEdges(t, env, r.service)
	return env, edge, r
}

// prober asks url every period and keeps when each failed request started.
type prober struct {
	mu     sync.Mutex
	asked  int
	failed []time.Time
	stop   chan struct{}
	done   sync.WaitGroup
}

func startProber(t *testing.T, url, want string, period time.Duration) *prober {
	p := &prober{stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			start := time.Now()
			got := get(t, url)
			p.mu.Lock()
			p.asked++
			if got != want {
				p.failed = append(p.failed, start)
			}
			p.mu.Unlock()
		}
	}()
	return p
}

// finish stops the prober and returns how many requests it made and how
// many failed, and the time from the first failed request's start to the
// last's.
func (p *prober) finish() (asked, failed int, span time.Duration) {
	close(p.stop)
	p.done.Wait()
	if len(p.failed) > 0 {
		span = p.failed[len(p.failed)-1].Sub(p.failed[0])
	}
	return p.asked, len(p.failed), span
}

// TestBedNoDowntime: a probe polls the canary's published port every 200
// ms. During a failed rollout (the new image does not serve its port) it
// sees no failed request: the new release was checked on other ports
// while the old one served. During a successful rollout the failed
// requests span at most the switch time the deploy reports, under 2 s.
func TestBedNoDowntime(t *testing.T) {
	env, edge, r := releases(t, "edge2", "xs-switch")
	v1ref, v2ref, broken, service, port := r.v1, r.v2, r.broken, r.service, r.port
	ctx := context.Background()
	// A good release gets a long health timeout (a loaded runner starts
	// containers slowly); the broken one fails after a short one.
	health := func(timeout string) string {
		return fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: %s, window: 1s}", port, timeout)
	}
	good := bedManifest(t, env, service, port, health("60s"), []testbed.Edge{edge}, "rollout: {canary: 1}\n")
	short := bedManifest(t, env, service, port, health("8s"), []testbed.Edge{edge}, "rollout: {canary: 1}\n")
	m := good
	deploy := func(ref, id string, opts ...Option) (*HostReport, error) {
		rep, err := Deploy(ctx, m, append([]Option{WithImage(ref), WithNameOptions(name.Insecure), WithDeployID(id), logEvents(t)}, opts...)...)
		if rep == nil {
			t.Fatalf("Deploy(%s) = %v", id, err)
		}
		return &rep.Hosts[0], err
	}
	if _, err := deploy(v1ref, "xs-switch-1"); err != nil {
		t.Fatalf("first deploy: %v", err)
	}
	url, want := fmt.Sprintf("http://%s:%d/", edge.Addr, port), "hello from "+edge.Platform

	p := startProber(t, url, want, 200*time.Millisecond)
	m = short
	w := watchCandidate(t, env, edge, service)
	h, err := deploy(broken, "xs-switch-2", WithProgress(w))
	m = good
	w.check(true) // the Engine API: the candidate is probed at its address
	asked, failed, _ := p.finish()
	wantRolledBack(t, &Report{Hosts: []HostReport{*h}}, err, ResultRolledBack)
	t.Logf("failed rollout: %d of %d requests failed; %s", failed, asked, h.Error)
	if failed > 0 || asked < 5 {
		t.Errorf("during the failed rollout %d of %d requests failed, want none", failed, asked)
	}
	if h.Switch != 0 {
		t.Errorf("the failed rollout reports a switch of %s", h.Switch)
	}

	p = startProber(t, url, want, 200*time.Millisecond)
	w = watchCandidate(t, env, edge, service)
	h, err = deploy(v2ref, "xs-switch-3", WithProgress(w))
	w.check(true)
	asked, failed, span := p.finish()
	if err != nil || h.Result != ResultDeployed {
		t.Fatalf("second release: %v, %+v", err, h)
	}
	t.Logf("successful rollout: switch %s; %d of %d requests failed, over %s", h.Switch, failed, asked, span)
	if h.Switch <= 0 || h.Switch >= 2*time.Second {
		t.Errorf("reported switch %s, want more than 0 and under 2s", h.Switch)
	}
	if span > h.Switch || time.Duration(failed-1)*200*time.Millisecond > h.Switch {
		t.Errorf("%d requests failed over %s, more than the reported switch %s", failed, span, h.Switch)
	}
	if got := run(t, dialEdge(t, edge), "docker ps -a --filter label="+LabelService+"="+service+" --format '{{.Names}} {{.Label \""+LabelDeployID+"\"}}'"); got != service+" xs-switch-3" {
		t.Errorf("containers of the service after the switch: %q, want the new one alone", got)
	}
}

// TestBedStopFirst: with rollout.order stop-first the deploy never starts a
// candidate. A broken release stops the service until the old container is
// put back, and then it serves again; a good one replaces the old
// container, and the switch it reports spans the new one's start.
func TestBedStopFirst(t *testing.T) {
	env, edge, r := releases(t, "edge1", "xs-stopfirst")
	v1ref, v2ref, broken, service, port := r.v1, r.v2, r.broken, r.service, r.port
	ctx := context.Background()
	manifestWith := func(timeout string) *manifest.Manifest {
		health := fmt.Sprintf("{http: {port: %d, path: /healthz}, timeout: %s, window: 1s}", port, timeout)
		return bedManifest(t, env, service, port, health, []testbed.Edge{edge}, "rollout: {canary: 1, order: stop-first}\n")
	}
	deploy := func(m *manifest.Manifest, ref, id string, w *candidateWatch) (*HostReport, error) {
		rep, err := Deploy(ctx, m, WithImage(ref), WithNameOptions(name.Insecure), WithDeployID(id), WithProgress(w))
		if rep == nil {
			t.Fatalf("Deploy(%s) = %v", id, err)
		}
		return &rep.Hosts[0], err
	}
	noCandidate := func(w *candidateWatch) {
		t.Helper()
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.said != "" || w.seen {
			t.Errorf("a candidate ran (%q) under order: stop-first", w.said)
		}
	}
	if _, err := deploy(manifestWith("60s"), v1ref, "xs-stopfirst-1", watchCandidate(t, env, edge, service)); err != nil {
		t.Fatalf("first deploy: %v", err)
	}
	url, want := fmt.Sprintf("http://%s:%d/", edge.Addr, port), "hello from "+edge.Platform
	containers := func() string {
		return run(t, dialEdge(t, edge), "docker ps -a --filter label="+LabelService+"="+service+" --format '{{.Names}} {{.State}} {{.Label \""+LabelDeployID+"\"}}'")
	}

	w := watchCandidate(t, env, edge, service)
	h, err := deploy(manifestWith("8s"), broken, "xs-stopfirst-2", w)
	noCandidate(w)
	wantRolledBack(t, &Report{Hosts: []HostReport{*h}}, err, ResultRolledBack)
	if got := get(t, url); got != want {
		t.Errorf("after the broken release was rolled back the service answers %q, want %q", got, want)
	}
	if got := containers(); got != service+" running xs-stopfirst-1" {
		t.Errorf("containers of the service after the rollback: %q, want the first release alone, running", got)
	}

	w = watchCandidate(t, env, edge, service)
	h, err = deploy(manifestWith("60s"), v2ref, "xs-stopfirst-3", w)
	noCandidate(w)
	if err != nil || h.Result != ResultDeployed {
		t.Fatalf("good release: %v, %+v", err, h)
	}
	if h.Switch <= 0 {
		t.Errorf("reported switch %s, want the time from the stop to the new container's answer", h.Switch)
	}
	if got := get(t, url); got != want {
		t.Errorf("after the good release the service answers %q, want %q", got, want)
	}
	if got := containers(); got != service+" running xs-stopfirst-3" {
		t.Errorf("containers of the service after the switch: %q, want the new one alone, running", got)
	}
}
