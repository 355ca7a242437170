package deploy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// No downtime for a failed rollout: while the old container serves, the
// new release first runs as a candidate container whose published ports
// are ephemeral host ports, and is health-checked there. Only a candidate
// that passes lets the switch happen: the old container stops and the
// service's new container (created beforehand, so the switch is one
// command) takes the published ports, and is checked again. The switch,
// from stopping the old container until the new one passes, is measured
// and reported: it is the only time the service does not answer.

// LabelRole marks the candidate container, so that a later deploy (or
// undeploy) removes one a killed deploy left.
const LabelRole = "xedgesim.role"

// roleCandidate is LabelRole's value on a candidate container.
const roleCandidate = "candidate"

// candidateRemoveTimeout bounds the candidate's removal, which goes on
// after a cancel: the engine stops it within stopTimeout.
const candidateRemoveTimeout = stopTimeout + 20*time.Second

// switchInterval is how often the new container is probed during the
// switch: the service is down then, so its end is looked for closely.
const switchInterval = 100 * time.Millisecond

// switchWatchInterval is how often the published port is probed during
// the switch, to time the outage.
const switchWatchInterval = 50 * time.Millisecond

// portSpec is one service.ports entry: [IP:]HOST:CONTAINER[/PROTO] or
// CONTAINER[/PROTO].
type portSpec struct {
	ip, host, container, proto string
}

// parsePortSpec splits a service.ports entry the manifest accepted.
func parsePortSpec(s string) portSpec {
	p := portSpec{proto: "tcp"}
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s, p.proto = s[:i], s[i+1:]
	}
	i := strings.LastIndex(s, ":")
	if i < 0 {
		p.container = s
		return p
	}
	s, p.container = s[:i], s[i+1:]
	if j := strings.LastIndex(s, ":"); j >= 0 && !strings.HasSuffix(s, "]") {
		p.ip, p.host = s[:j], s[j+1:]
	} else {
		p.host = s
	}
	return p
}

// ephemeral is the entry with its host port left to the engine.
func (p portSpec) ephemeral() string {
	s := p.container + "/" + p.proto
	if p.ip != "" {
		s = p.ip + "::" + s
	}
	return s
}

// candidateHealth is the health check pointed at the candidate's ports:
// the check's host port is looked up among the published ports, and its
// container port's ephemeral host port (in bound, as the candidate's
// inspect gives them) replaces it. ok is false when the check cannot be
// pointed there (a cmd check, or a port the service does not publish).
func candidateHealth(h manifest.Health, ports []string, bound map[string]int) (manifest.Health, bool) {
	port := checkPort(h)
	if port == 0 {
		return h, false
	}
	to := 0
	for _, s := range ports {
		p := parsePortSpec(s)
		if p.proto == "tcp" && p.host == strconv.Itoa(port) {
			to = bound[p.container+"/tcp"]
		}
	}
	if to == 0 {
		return h, false
	}
	switch {
	case h.TCP != 0:
		h.TCP = to
	case h.HTTP != nil:
		hh := *h.HTTP
		hh.Port, h.HTTP = to, &hh
	case h.MQTT != nil:
		mh := *h.MQTT
		mh.Port, h.MQTT = to, &mh
	}
	return h, true
}

// canCheckFirst tells whether the new release can be checked beside the
// old one: it publishes the health check's port (so a candidate on other
// ports can be probed) and does not share the host's network (where the
// two would want the same port).
func canCheckFirst(s manifest.Service) bool {
	if s.Network == "host" {
		return false
	}
	bound := map[string]int{} // stand-ins: the candidate's ports are known once it runs
	for _, p := range s.Ports {
		bound[parsePortSpec(p).container+"/tcp"] = 1
	}
	_, ok := candidateHealth(s.Health, s.Ports, bound)
	return ok
}

// boundPorts are a running container's published ports: CONTAINER/PROTO
// -> the host port the engine chose.
func boundPorts(ctx context.Context, c hostConn, id string) (map[string]int, error) {
	bound, err := engineOf(c).ports(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading the candidate's ports: %w", err)
	}
	return bound, nil
}

// candidateName is the candidate container's name.
func (cs *containerStrategy) candidateName(d *hostDeploy) string {
	return cs.newName(d) + "-candidate"
}

// checkCandidate runs the new release as a candidate on ephemeral ports
// beside the old container and health-checks it there; the candidate is
// removed either way. create creates a candidate of the new release with
// that name and those ports; started is called once it started.
func (cs *containerStrategy) checkCandidate(ctx context.Context, d *hostDeploy, create func(name string, ports []string) error, started func()) (err error) {
	c, s := d.c, cs.m.Service
	name := cs.candidateName(d)
	direct, rerr := d.reachesContainers(ctx)
	if rerr != nil {
		// Not knowing is no reason to fail: ephemeral ports work anywhere.
		d.event("candidate", "%v; the candidate gets ephemeral ports", rerr)
		direct = false
	}
	ephemeral := func() []string {
		ports := make([]string, len(s.Ports))
		for i, p := range s.Ports {
			ports[i] = parsePortSpec(p).ephemeral()
		}
		return ports
	}
	var ports []string // none when the candidate is probed at its address (candidate_addr.go)
	if !direct {
		ports = ephemeral()
	}
	defer func() {
		// A candidate that failed is removed at once; one that passed
		// once the switch has started the new container (removed during
		// the stop and the start, it would slow them down on a small
		// host, and the service does not answer then). replace waits for
		// the removal before it returns.
		cs.dropCandidate = func() {
			gone := make(chan struct{})
			cs.candidateGone = gone
			go func() {
				defer close(gone)
				// Also after Ctrl-C, but bounded: a host that dropped off the
				// network must not hold the deploy's return for minutes.
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), candidateRemoveTimeout)
				defer cancel()
				_ = engineOf(c).remove(rctx, name) // gone either way; a leftover is removed by the next deploy
			}()
		}
		if err != nil {
			cs.removeCandidate()
		}
	}()
	if direct {
		d.event("candidate", "starting %s beside the old container, probed at its address", name)
	} else {
		d.event("candidate", "starting %s beside the old container, on ephemeral ports", name)
	}
	run := func() error {
		if err := create(name, ports); err != nil {
			return err
		}
		if err := engineOf(c).start(ctx, name); err != nil {
			return fmt.Errorf("starting the candidate: %w", err)
		}
		return nil
	}
	if err := run(); err != nil {
		return err
	}
	var h manifest.Health
	var ok bool
	addr := ""
	if direct {
		if addr, err = engineOf(c).address(ctx, name, s.Network); err != nil {
			return err
		}
		if addr == "" {
			return fmt.Errorf("the candidate has no address on the network %s", s.Network)
		}
		h, ok = directHealth(s.Health, s.Ports)
		if ok {
			if why := unreachable(ctx, c, addr, checkPort(h)); why != nil {
				// An engine in a VM behind its socket, or an sshd that
				// permits forwarding to some addresses only: the
				// candidate starts again with ports as before.
				d.event("candidate", "the host does not reach %s (%v); starting it again on ephemeral ports", addr, why)
				if err := engineOf(c).remove(ctx, name); err != nil {
					return fmt.Errorf("removing the candidate: %w", err)
				}
				direct, addr, ports = false, "", ephemeral()
				if err := run(); err != nil {
					return err
				}
			}
		}
	}
	started()
	if !direct {
		bound, err := boundPorts(ctx, c, name)
		if err != nil {
			return err
		}
		h, ok = candidateHealth(s.Health, s.Ports, bound)
	}
	if !ok {
		return fmt.Errorf("the candidate publishes no port for the %s check", s.Health.Kind())
	}
	d.event("health", "waiting up to %s for %s on the candidate", s.Health.Timeout, s.Health.Kind())
	if err := waitHealthyAt(ctx, c, name, addr, h); err != nil {
		return &HealthError{Host: d.h.Name, Err: fmt.Errorf("the new release, beside the old one: %w", err)}
	}
	return nil
}

// removeCandidate starts removing the candidate, if there is one whose
// removal has not started.
func (cs *containerStrategy) removeCandidate() {
	if f := cs.dropCandidate; f != nil {
		cs.dropCandidate = nil
		f()
	}
}

// waitCandidate removes the candidate, if any, and waits until it is gone.
func (cs *containerStrategy) waitCandidate() {
	cs.removeCandidate()
	if cs.candidateGone != nil {
		<-cs.candidateGone
	}
}

// removeLeftovers removes what a killed deploy of the service left: a
// candidate, or a new container it created but never started (old, the
// service's container, stays whatever its state).
func removeLeftovers(ctx context.Context, c hostConn, service string, old *container) error {
	eng := engineOf(c)
	candidates, err := eng.list(ctx, false, LabelService+"="+service, LabelRole+"="+roleCandidate)
	var created []string
	if err == nil {
		created, err = eng.list(ctx, true, LabelService+"="+service)
	}
	for _, id := range append(candidates, created...) {
		if err != nil {
			break
		}
		if old != nil && id == old.ID {
			continue
		}
		err = eng.remove(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("removing containers an earlier deploy left: %w", err)
	}
	return nil
}

// waitSwitched is waitHealthy for the switch, when the service is down
// until the check passes: it probes at once, then as waitHealthy does
// (quickly first, backing off to the interval), and asks
// the engine whether the container still runs only once a second, since
// every command costs time the service does not answer.
func waitSwitched(ctx context.Context, c hostConn, ctr string, h manifest.Health) error {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	var last error
	asked := time.Now()
	wait := time.Duration(0)
	for {
		err := probe(ctx, c, h)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil || last == nil {
			last = err
		}
		if time.Since(asked) >= time.Second {
			asked = time.Now()
			if st, err := inspect(ctx, c, ctr); err == nil && st != nil && !st.State.Running && st.State.Status != "created" {
				return fmt.Errorf("the container is %s (exit code %d)", st.State.Status, st.State.ExitCode)
			}
		}
		wait = nextWait(wait, h.Interval)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s check did not pass within %s; the last answer: %w", h.Kind(), h.Timeout, last)
		case <-time.After(wait):
		}
	}
}

// switchWatch probes the service's published port closely while the
// switch happens, from the host as the health check does, to tell how
// long the service did not answer: from the start of the last probe
// the old container answered before the first that failed, to the end of
// the first the new one answered. The commands that stop the old
// container and start the new one take longer than that (they start and
// end while a container serves), so they are not what is reported.
type switchWatch struct {
	mu     sync.Mutex
	probes []probeResult
	cancel context.CancelFunc // ends the probes, the one under way too
	done   chan struct{}
	// answered is closed at the first probe the service answered.
	answered chan struct{}
	// near is closed when the switch is near: until then the probes come
	// every watchSlowInterval and only the last one is kept, so a long
	// candidate check does not flood the service or the small host.
	near     chan struct{}
	nearOnce sync.Once
}

// watchSlowInterval is how often the old container is probed while the
// candidate is checked.
const watchSlowInterval = time.Second

type probeResult struct {
	start, end time.Time
	ok         bool
}

// watchSwitch starts probing with h every interval until finish.
func watchSwitch(ctx context.Context, c hostConn, h manifest.Health, interval time.Duration) *switchWatch {
	w := &switchWatch{done: make(chan struct{}), answered: make(chan struct{}), near: make(chan struct{})}
	ctx, w.cancel = context.WithCancel(ctx)
	go func() {
		defer close(w.done)
		seen := false
		for {
			start := time.Now()
			near := w.isNear()
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			err := probe(pctx, c, h)
			cancel()
			// A probe cut short by end counts as not answered until
			// then, as one that timed out would have.
			w.mu.Lock()
			if !near {
				w.probes = w.probes[:0] // only the last before the switch counts
			}
			w.probes = append(w.probes, probeResult{start, time.Now(), err == nil})
			w.mu.Unlock()
			if err == nil && !seen {
				seen = true
				close(w.answered)
			}
			if ctx.Err() != nil {
				return // before a select that may pick the next probe's timer
			}
			every, wake := interval, (<-chan struct{})(nil)
			if !near {
				every, wake = watchSlowInterval, w.near
			}
			select {
			case <-ctx.Done():
				return
			case <-wake: // the switch is near: probe at once
			case <-time.After(max(0, every-time.Since(start))):
			}
		}
	}()
	return w
}

// closely makes the probes come every interval from now on.
func (w *switchWatch) closely() { w.nearOnce.Do(func() { close(w.near) }) }

func (w *switchWatch) isNear() bool { return isClosed(w.near) }

// ready waits until a probe saw the old container answer, at most d: the
// switch starts after that, so that a first probe slowed down by a loaded
// host does not count as outage.
func (w *switchWatch) ready(d time.Duration) {
	select {
	case <-w.answered:
	case <-time.After(d):
	}
}

// finish stops the probes and returns how long the service did not
// answer from the switch's start (from) until passed, when the new
// container passed its check.
func (w *switchWatch) finish(from, passed time.Time) time.Duration {
	w.end()
	return outage(sinceLast(w.probes, from), passed)
}

// end stops the probes, the one under way too: a probe that went to the
// old container as it stopped can hang until its timeout, and the deploy
// would wait for it. It may be called again.
func (w *switchWatch) end() {
	w.cancel()
	<-w.done
}

// isClosed tells whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// sinceLast is probes from the last one that started before from on: a
// watch started while the candidate was checked has probes of the old
// container that say nothing about the switch.
func sinceLast(probes []probeResult, from time.Time) []probeResult {
	i := 0
	for k, p := range probes {
		if p.start.Before(from) {
			i = k
		}
	}
	return probes[i:]
}

// outage is how long the service did not answer in probes, until passed
// (a check of the new container passed then): from the start of the last
// good probe before the first failed one to the end of the first good
// probe after it, or passed when that comes first. With no failed probe
// the outage, if any, fell between two probes: the longest span from one
// good probe's start to the next one's end is reported.
func outage(probes []probeResult, passed time.Time) time.Duration {
	var from time.Time
	longest := time.Duration(0)
	for i, p := range probes {
		if !p.start.Before(passed) {
			break
		}
		if !p.ok {
			if from.IsZero() {
				from = p.start
				if i > 0 {
					from = probes[i-1].start
				}
			}
			continue
		}
		if !from.IsZero() {
			end := p.end
			if passed.Before(end) {
				end = passed
			}
			return end.Sub(from)
		}
		if i > 0 {
			longest = max(longest, p.end.Sub(probes[i-1].start))
		}
	}
	if !from.IsZero() {
		return passed.Sub(from)
	}
	return longest
}
