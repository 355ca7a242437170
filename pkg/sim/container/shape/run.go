package shape

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"
)

// Event is something a helper reports: ready, a fault window applied or
// lifted, a peer's address.
type Event struct {
	// Kind is "ready", "resolved", "start" (the timeline's zero is
	// known), "applied" or "lifted".
	Kind string `json:"kind"`
	Peer string `json:"peer,omitempty"`
	// Fault is the window's fault kind for applied and lifted, and
	// FaultNumber its number in the scenario (Window.Fault).
	Fault       string `json:"fault,omitempty"`
	FaultNumber int    `json:"fault_number,omitempty"`
	Addr        string `json:"addr,omitempty"`
	// OffsetUS is the wall-clock offset from the timeline's zero when it
	// happened.
	OffsetUS int64 `json:"offset_us"`
	// UnixNano is when it happened on the wall clock.
	UnixNano int64 `json:"unix_nano"`
}

// ErrNFTables and ErrNFQueue name the part of the kernel or engine that is
// missing when a helper cannot start.
var (
	ErrNFTables = errors.New("nftables in the node's network namespace (the helper needs NET_ADMIN, and the kernel nf_tables)")
	ErrNFQueue  = errors.New("NFQUEUE in the node's network namespace (the kernel needs nfnetlink_queue)")
)

type runOptions struct {
	events  func(Event)
	start   <-chan time.Time
	resolve func(ctx context.Context, host string) ([]net.IP, error)
}

// RunOption configures Run.
type RunOption func(*runOptions)

// WithEvents calls f with each event, from one goroutine at a time.
func WithEvents(f func(Event)) RunOption { return func(o *runOptions) { o.events = f } }

// WithStart gives the timeline's zero when the configuration could not:
// a helper starts with its node, before the run's timeline begins. A later
// value replaces the zero, also after a fault was applied on it.
func WithStart(ch <-chan time.Time) RunOption { return func(o *runOptions) { o.start = ch } }

// Run shapes what the current network namespace receives from each peer
// as c says until ctx ends, then removes its rules and returns what each
// peer's link did.
func Run(ctx context.Context, c Config, opts ...RunOption) (map[string]Counters, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	o := runOptions{events: func(Event) {}, resolve: func(ctx context.Context, host string) ([]net.IP, error) {
		return net.DefaultResolver.LookupIP(ctx, "ip4", host)
	}}
	for _, opt := range opts {
		opt(&o)
	}
	emit := o.events
	o.events = func(e Event) {
		if e.UnixNano == 0 {
			e.UnixNano = time.Now().UnixNano()
		}
		emit(e)
	}
	r, err := installRules(c.Queue)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNFTables, err)
	}
	defer r.remove()
	q, err := openQueue(c.Queue)
	if err != nil {
		_ = r.remove() // the deferred remove above runs too
		return nil, fmt.Errorf("%w: %w", ErrNFQueue, err)
	}
	defer q.close()

	s := newShaper(c)
	offset := func() int64 {
		if s.start.IsZero() {
			return 0
		}
		return time.Since(s.start).Microseconds()
	}
	addrs := make([][4]byte, len(c.Peers))
	resolved := make([]bool, len(c.Peers))
	resolve := func() (bool, error) {
		changed, all := false, true
		for i, p := range c.Peers {
			host := p.Addr
			if host == "" {
				host = p.Node
			}
			ip := net.ParseIP(host).To4()
			if ip == nil {
				rctx, cancel := context.WithTimeout(ctx, time.Second)
				ips, err := o.resolve(rctx, host)
				cancel()
				if err != nil || len(ips) == 0 || ips[0].To4() == nil {
					all = false
					continue
				}
				ip = ips[0].To4()
			}
			if a := [4]byte(ip); !resolved[i] || a != addrs[i] {
				addrs[i], resolved[i], changed = a, true, true
				o.events(Event{Kind: "resolved", Peer: p.Node, Addr: ip.String(), OffsetUS: offset()})
			}
		}
		if !changed {
			return all, nil
		}
		var set []match
		for i, p := range c.Peers {
			m := match{addr: addrs[i], ports: p.Ports, out: p.Out}
			if resolved[i] && !slices.ContainsFunc(set, func(o match) bool { return o.addr == m.addr && o.out == m.out && samePorts(o.ports, m.ports) }) {
				set = append(set, m)
			}
		}
		return all, r.setPeers(set)
	}
	all, err := resolve()
	if err != nil {
		_ = r.remove()
		return nil, err
	}
	// Ready once the rules are in: a peer that does not run yet is
	// shaped as soon as its name resolves.
	o.events(Event{Kind: "ready", OffsetUS: offset()})

	pkts := make(chan []packet, 64)
	rerr := make(chan error, 1)
	go func() {
		for {
			ps, err := q.receive()
			if err != nil {
				if ctx.Err() == nil {
					rerr <- fmt.Errorf("reading NFQUEUE %d: %w", c.Queue, err)
				}
				close(pkts)
				return
			}
			if len(ps) > 0 {
				pkts <- ps
			}
		}
	}()

	var pending releaseHeap
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// Looked up often while a peer is missing, then once a second for
	// peers that restart with another address.
	every := time.Second
	if !all {
		every = 100 * time.Millisecond
	}
	reresolve := time.NewTicker(every)
	defer reresolve.Stop()
	tl := newTimeline(s, c)
	nextBoundary := func() <-chan time.Time {
		at, ok := tl.next()
		if !ok {
			return nil
		}
		return time.After(time.Until(at))
	}
	bch := nextBoundary()
	// takeStart takes a zero the watcher sent (ok false: it sends no more).
	takeStart := func(t time.Time, ok bool) {
		if !ok {
			o.start = nil
			return
		}
		tl.setZero(t)
		bch = nextBoundary()
		o.events(Event{Kind: "start", OffsetUS: offset()})
	}
	// A packet is its peer's: from the peer's address (and ports) as the
	// node receives it, to them as the node sends it (Out).
	byAddr := func(p packet) int {
		for i, peer := range c.Peers {
			if !resolved[i] || peer.Out != p.out {
				continue
			}
			addr, port := p.src, p.sport
			if p.out {
				addr, port = p.dst, p.dport
			}
			if addrs[i] == addr && (peer.Ports == nil || peer.Ports.Has(port)) {
				return i
			}
		}
		return -1
	}
	for {
		select {
		case <-ctx.Done():
			// Rules go first, then pending packets are let through: the
			// run is over.
			rmErr := r.remove()
			for _, p := range pending {
				_ = q.verdict(p.id, true)
			}
			return counters(s), rmErr
		case err := <-rerr:
			return counters(s), errors.Join(err, r.remove())
		case ps, ok := <-pkts:
			if !ok {
				continue
			}
			// A zero the watcher has read goes before any packet is
			// decided: select picks among ready cases at random, and a
			// loop that came late (a slow lookup) would otherwise let
			// packets of a fault's window pass as if the run had not
			// begun.
			select {
			case t, ok := <-o.start:
				takeStart(t, ok)
			default:
			}
			for _, p := range ps {
				i := -1
				if p.size >= 0 {
					i = byAddr(p)
				}
				if i < 0 {
					if err := q.verdict(p.id, true); err != nil {
						return counters(s), fmt.Errorf("NFQUEUE verdict: %w", err)
					}
					continue
				}
				at, drop := s.decide(i, p.at, p.size)
				if drop {
					if err := q.verdict(p.id, false); err != nil {
						return counters(s), fmt.Errorf("NFQUEUE verdict: %w", err)
					}
					continue
				}
				heap.Push(&pending, release{at: at, id: p.id})
			}
		case <-timer.C:
		case <-reresolve.C:
			all, err := resolve()
			if err != nil {
				return counters(s), err
			}
			if all && every != time.Second {
				every = time.Second
				reresolve.Reset(every)
			}
		case t, ok := <-o.start:
			takeStart(t, ok)
		case <-bch:
			b, at := tl.pop()
			// Each packet's fate follows the clock, not this loop: the
			// fault acted at its time even when the loop comes late.
			o.events(Event{Kind: b.kind, Peer: b.peer, Fault: b.fault, FaultNumber: b.number, OffsetUS: b.at, UnixNano: at.UnixNano()})
			bch = nextBoundary()
		}
		now := time.Now()
		for len(pending) > 0 && !pending[0].at.After(now) {
			p := heap.Pop(&pending).(release)
			if err := q.verdict(p.id, true); err != nil {
				return counters(s), fmt.Errorf("NFQUEUE verdict: %w", err)
			}
		}
		if len(pending) > 0 {
			timer.Reset(time.Until(pending[0].at))
		}
	}
}

func counters(s *shaper) map[string]Counters {
	m := map[string]Counters{}
	for _, l := range s.links {
		m[l.peer.Key()] = l.count
	}
	return m
}

func samePorts(a, b *Ports) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

type boundary struct {
	at                int64
	kind, peer, fault string
	number            int
}

// timeline is the helper's zero, which its shaper decides packets by, and
// the fault boundaries still ahead of it.
type timeline struct {
	s     *shaper
	all   []boundary
	ahead []boundary
}

func newTimeline(s *shaper, c Config) *timeline {
	tl := &timeline{s: s, all: windowBoundaries(c)}
	if !s.start.IsZero() {
		tl.ahead = tl.all
	}
	return tl
}

// setZero takes t as the zero: every boundary lies ahead again, from t.
// A later zero replaces an earlier one also after a boundary passed: the
// runtime gives a later one when the first reached the helpers too late,
// and the run's clock starts at the last. Keeping the earlier one left this
// helper's faults early by the difference for the whole run. No zero comes
// once the run's clock started, nor need one: a paced run holds virtual
// time to the wall clock from it and catches up when it lags.
func (tl *timeline) setZero(t time.Time) {
	tl.s.start = t
	tl.ahead = tl.all
}

// next returns when the next boundary falls on the wall clock, false
// when none is ahead.
func (tl *timeline) next() (time.Time, bool) {
	if len(tl.ahead) == 0 {
		return time.Time{}, false
	}
	return tl.s.start.Add(time.Duration(tl.ahead[0].at) * time.Microsecond), true
}

// pop removes the next boundary and returns it with its wall-clock time.
func (tl *timeline) pop() (boundary, time.Time) {
	at, _ := tl.next()
	b := tl.ahead[0]
	tl.ahead = tl.ahead[1:]
	return b, at
}

// windowBoundaries lists when each fault window is applied and lifted.
func windowBoundaries(c Config) []boundary {
	var bs []boundary
	for _, p := range c.Peers {
		for _, w := range p.Windows {
			bs = append(bs, boundary{w.FromUS, "applied", p.Node, w.Kind, w.Fault})
			if w.UntilUS != 0 {
				bs = append(bs, boundary{w.UntilUS, "lifted", p.Node, w.Kind, w.Fault})
			}
		}
	}
	slices.SortStableFunc(bs, func(a, b boundary) int { return int(min(max(a.at-b.at, -1), 1)) })
	return bs
}

type release struct {
	at time.Time
	id uint32
}

// releaseHeap orders pending verdicts by release time.
type releaseHeap []release

func (h releaseHeap) Len() int           { return len(h) }
func (h releaseHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h releaseHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *releaseHeap) Push(x any)        { *h = append(*h, x.(release)) }
func (h *releaseHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
