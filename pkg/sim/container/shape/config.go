package shape

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Params are one direction of a link, in the scenario's units.
type Params struct {
	LatencyUS    int64   `json:"latency_us,omitempty"`
	JitterUS     int64   `json:"jitter_us,omitempty"`
	LossRate     float64 `json:"loss_rate,omitempty"`
	BandwidthBPS int64   `json:"bandwidth_bps,omitempty"`
}

// Window is a fault on a link for a stretch of the run's timeline.
type Window struct {
	// Kind is the scenario's fault kind, for the log.
	Kind string `json:"kind"`
	// Fault is the fault's number in the scenario, from 1 (0: none), so
	// that its applied and lifted events can be told apart.
	Fault int `json:"fault,omitempty"`
	// FromUS and UntilUS are offsets from Config.StartUnixNano; UntilUS 0
	// means until the end.
	FromUS  int64 `json:"from_us"`
	UntilUS int64 `json:"until_us,omitempty"`
	// Down drops every packet (link_down, partition).
	Down bool `json:"down,omitempty"`
	// LatencyUS and LossRate replace the link's while the window lasts
	// (link_degrade); nil keeps the link's own.
	LatencyUS *int64   `json:"latency_us,omitempty"`
	LossRate  *float64 `json:"loss_rate,omitempty"`
}

// Peer is a node whose packets to this one are shaped: the link peer ->
// node (or node -> peer, with Out).
type Peer struct {
	// Node is the peer's node id, which the run's network resolves to its
	// address (the helper re-resolves it when the peer restarts).
	Node string `json:"node"`
	// Addr, when set, is used instead of resolving Node.
	Addr string `json:"addr,omitempty"`
	// Ports narrows the peer to the packets of these ports at Addr: an
	// in-process participant of the run, which shares the host's address
	// on the run's network with the others and is told apart by the ports
	// the run gives it (source ports of what it sends, destination ports
	// of what it is sent).
	Ports *Ports `json:"ports,omitempty"`
	// Out shapes what the node sends to the peer (to Addr at Ports), held
	// as it leaves: the peer runs in the xedgesim process, whose own
	// namespace no helper enters.
	Out     bool     `json:"out,omitempty"`
	Link    Params   `json:"link"`
	Windows []Window `json:"windows,omitempty"`
}

// Ports is an inclusive range of TCP and UDP ports.
type Ports struct {
	From uint16 `json:"from"`
	To   uint16 `json:"to"`
}

// Has tells whether port is in the range.
func (p Ports) Has(port uint16) bool { return port >= p.From && port <= p.To }

// Key names the peer's direction in the counters a helper reports: the
// node id for what the node receives from it, and "node>" + the id for
// what the node sends it (Out).
func (p Peer) Key() string {
	if p.Out {
		return ">" + p.Node
	}
	return p.Node
}

// Config is what a helper shapes: what Node receives from each of Peers.
type Config struct {
	Node string `json:"node"`
	// Queue is the NFQUEUE number; any free number in the node's namespace.
	Queue uint16 `json:"queue"`
	// Seed seeds the loss and jitter draws.
	Seed int64 `json:"seed"`
	// StartUnixNano is the wall clock of the timeline's zero; 0 when it is
	// not known yet (see WithStart): faults wait for it, links do not.
	StartUnixNano int64  `json:"start_unix_nano,omitempty"`
	Peers         []Peer `json:"peers"`
}

// Start returns the timeline's zero, the zero time when not known.
func (c Config) Start() time.Time {
	if c.StartUnixNano == 0 {
		return time.Time{}
	}
	return time.Unix(0, c.StartUnixNano)
}

// ParseConfig reads a Config and checks it.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("reading the shaping configuration: %w", err)
	}
	return c, c.Validate()
}

// Validate checks what the scenario's validation cannot have caught.
func (c Config) Validate() error {
	var errs []error
	for _, p := range c.Peers {
		if p.Node == "" && p.Addr == "" {
			errs = append(errs, errors.New("a peer needs a node or an address"))
		}
		if p.Ports != nil && (p.Ports.From == 0 || p.Ports.From > p.Ports.To) {
			errs = append(errs, fmt.Errorf("peer %s: port range %d-%d", p.Node, p.Ports.From, p.Ports.To))
		}
		if p.Out && (p.Ports == nil || p.Addr == "") {
			errs = append(errs, fmt.Errorf("peer %s: shaping what the node sends it needs its address and ports", p.Node))
		}
		l := p.Link
		if l.LatencyUS < 0 || l.JitterUS < 0 || l.BandwidthBPS < 0 || l.LossRate < 0 || l.LossRate > 1 {
			errs = append(errs, fmt.Errorf("peer %s: link parameters out of range: %+v", p.Node, l))
		}
	}
	return errors.Join(errs...)
}
