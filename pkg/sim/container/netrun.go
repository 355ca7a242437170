package container

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// netShaping is the runtime's part in shaping real traffic: the plan, the
// helper binary and the running helpers.
type netShaping struct {
	plan netPlan
	bin  string

	once     sync.Once
	err      error
	zero     time.Time
	image    string
	nodes    map[string]*Node  // the started nodes of the plan
	last     []LinkCount       // what the last run's helpers counted
	faults   map[int]FaultTime // when the last run's faults acted (faulttimes.go)
	shapers  map[string]*Shaper
	shaperMu sync.Mutex
	// host is the host's address on the run's network, where in-process
	// participants reach containers from (inproc.go).
	host   net.IP
	looked bool
	next   map[string]int // each participant's next port, round robin
}

// WithNetwork makes the scenario's links and link faults act on the real
// traffic of its docker nodes on the run's network: each node that sends
// on a shaped link gets a helper container in its network namespace,
// running bin (a static xedgesim binary for the engine's platform, the
// CLI's own) with the hidden __netshape verb. seed seeds loss and jitter.
func WithNetwork(sc *scenario.Scenario, seed int64, bin string) Option {
	return func(r *Runtime) error {
		if sc == nil || bin == "" {
			return errors.New("network shaping needs a scenario and the xedgesim binary")
		}
		var ids, own []string
		for _, n := range sc.Nodes {
			if n.Implementation != scenario.ImplDocker {
				continue
			}
			spec, err := parseDocker(overrideImage(n, r.images))
			switch {
			case err != nil:
				// A bad docker section is the node's to report.
			case spec.network != "":
				own = append(own, n.ID)
			default:
				ids = append(ids, n.ID)
			}
		}
		r.net = &netShaping{plan: planNetwork(sc, ids, own, seed), bin: bin, nodes: map[string]*Node{}, shapers: map[string]*Shaper{}}
		return nil
	}
}

// started gives d, whose container now runs, its helper when the plan
// shapes its traffic: before the run's timeline begins, so its links act
// from the first simulated moment; faults wait for begin.
func (s *netShaping) started(ctx context.Context, d *Node) error {
	if s == nil {
		return nil
	}
	if pos, off := s.plan.off[d.id]; off {
		return at(pos, fmt.Errorf("%w %q: it is on docker.network %s, not the run's network; remove docker.network, or the link's parameters", ErrShaping, d.id, d.spec.network))
	}
	if _, ok := s.plan.nodes[d.id]; !ok {
		return nil
	}
	s.shaperMu.Lock()
	if s.image == "" {
		img, err := ShaperImage(ctx, d.cli, s.bin)
		if err != nil {
			s.shaperMu.Unlock()
			return at(s.plan.why[d.id], fmt.Errorf("%w %q: %w", ErrShaping, d.id, err))
		}
		s.image = img
	}
	s.nodes[d.id] = d
	s.shaperMu.Unlock()
	return s.start(ctx, d.cli, d)
}

// begin gives every helper the timeline's zero, once, when the run's
// first quantum reaches a docker node: target is that quantum's virtual
// time, so the zero on the wall clock is now minus target.
func (s *netShaping) begin(ctx context.Context, target int64) error {
	if s == nil {
		return nil
	}
	s.once.Do(func() {
		s.shaperMu.Lock()
		defer s.shaperMu.Unlock()
		s.zero = time.Now().Add(-time.Duration(target) * time.Microsecond)
		var errs []error
		for id, sh := range s.shapers {
			if err := sh.SetStart(ctx, s.zero); err != nil {
				errs = append(errs, at(s.plan.why[id], fmt.Errorf("%w %q: %w", ErrShaping, id, err)))
			}
		}
		s.err = errors.Join(errs...)
	})
	return s.err
}

// start starts d's helper with the plan's configuration, and the
// timeline's zero when the run has one.
func (s *netShaping) start(ctx context.Context, cli *engine.Client, d *Node) error {
	c := s.plan.nodes[d.id]
	if !s.zero.IsZero() {
		c.StartUnixNano = s.zero.UnixNano()
	}
	c.Peers = slices.Clone(c.Peers)
	for i := range c.Peers {
		if c.Peers[i].Ports != nil {
			c.Peers[i].Addr = s.host.String()
		}
	}
	sh, err := StartShaper(ctx, cli, s.image, d.cid, c, d.labels())
	if err != nil {
		return at(s.plan.why[d.id], err)
	}
	s.shaperMu.Lock()
	s.shapers[d.id] = sh
	s.shaperMu.Unlock()
	return nil
}

// restarted gives a node whose container started again (node_crash) a new
// helper: the old one is in the network namespace that died with it.
func (s *netShaping) restarted(ctx context.Context, cli *engine.Client, d *Node) error {
	if s == nil || s.image == "" {
		return nil
	}
	s.shaperMu.Lock()
	old, ok := s.shapers[d.id]
	delete(s.shapers, d.id)
	s.shaperMu.Unlock()
	if !ok {
		return nil
	}
	_ = old.Stop(ctx)
	return s.start(ctx, cli, d)
}

// stop ends every helper, and keeps each one's events and counters as
// <logDir>/<node id>.netshape.jsonl.
func (s *netShaping) stop(ctx context.Context, logDir string) error {
	if s == nil {
		return nil
	}
	s.shaperMu.Lock()
	shapers := s.shapers
	// The runtime may serve another run.
	s.shapers, s.nodes = map[string]*Shaper{}, map[string]*Node{}
	s.once, s.err, s.image, s.zero = sync.Once{}, nil, "", time.Time{}
	s.host, s.next, s.looked = nil, nil, false
	s.shaperMu.Unlock()
	var errs []error
	s.last, s.faults = nil, map[int]FaultTime{}
	for id, sh := range shapers {
		errs = append(errs, sh.Stop(ctx))
		faultTimes(s.faults, sh.Events)
		for _, p := range s.plan.nodes[id].Peers {
			lc := LinkCount{Src: p.Node, Dst: id, Link: p.Link, Faults: len(p.Windows), Counters: sh.Links[p.Key()]}
			if p.Out {
				lc.Src, lc.Dst = id, p.Node
			}
			s.last = append(s.last, lc)
		}
		if logDir != "" && sh.raw != "" {
			mkErr := os.MkdirAll(logDir, 0o755) // #nosec G301 -- the run's log directory
			if mkErr == nil {
				errs = append(errs, os.WriteFile(filepath.Join(logDir, id+".netshape.jsonl"), []byte(strings.TrimSpace(sh.raw)+"\n"), 0o644)) // #nosec G306 -- shaping counters, a log of the run
			}
		}
	}
	slices.SortFunc(s.last, func(a, b LinkCount) int { return cmp.Or(strings.Compare(a.Src, b.Src), strings.Compare(a.Dst, b.Dst)) })
	return errors.Join(errs...)
}

// LinkCount is what one shaped link did in a run.
type LinkCount struct {
	Src, Dst string
	Link     shape.Params
	Faults   int
	shape.Counters
}

// Links returns what each shaped link of the last run did to real
// packets, by source and destination; nil when it shaped none.
func (r *Runtime) Links() []LinkCount {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.net == nil {
		return nil
	}
	return slices.Clone(r.net.last)
}
