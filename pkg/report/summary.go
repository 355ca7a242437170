package report

import (
	"encoding/json"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// Verdicts of a run.
const (
	Pass  = "pass"
	Fail  = "fail"
	Error = "error"
)

// Summary is summary.json.
type Summary struct {
	Scenario     string `json:"scenario"`
	ScenarioFile string `json:"scenario_file"`
	Seed         int64  `json:"seed"`
	Verdict      string `json:"verdict"`
	// Compat is "upstream" when per-node config was dropped as upstream
	// drops it; absent for xedgesim's own behaviour.
	Compat string `json:"compat,omitempty"`
	// Error is why the run could not finish; set only when Verdict is
	// error.
	Error         string  `json:"error,omitempty"`
	VirtualTimeS  float64 `json:"virtual_time_s"`
	TimeQuantumUS int64   `json:"time_quantum_us"`
	Steps         Steps   `json:"steps"`
	// Events is internal node events plus delivered messages.
	Events   int64    `json:"events"`
	Network  Network  `json:"network"`
	Nodes    []Node   `json:"nodes"`
	Warnings []string `json:"warnings"`
	// Notes say how the run went that no warning should fail a gate for,
	// such as its clock paced to the wall clock for link faults on real
	// packets (a run of duration_s in wall time); absent when none.
	Notes []string `json:"notes,omitempty"`
	// MQTT is what went through a real broker in wall-clock time; it is
	// present only when the scenario has a broker node, and, being
	// wall-clock, it is the one part that differs between runs.
	MQTT *sim.MQTTResult `json:"mqtt,omitempty"`
	// HTTP is what the sensors with config.http sent to the app
	// (wall-clock); absent when none has it.
	HTTP []sim.HTTPSender `json:"http,omitempty"`
	// Groups are the device groups with their worst devices (groups.go).
	Groups []Group `json:"groups,omitempty"`
	// Observers is what each observer of the app's outputs saw
	// (wall-clock); absent when the scenario has none.
	Observers []sim.ObserverResult `json:"observers,omitempty"`
}

// Steps counts quanta: executed, and upstream's total (the rest were empty
// and skipped).
type Steps struct {
	Executed int64 `json:"executed"`
	Total    int64 `json:"total"`
}

// Network is the network section of summary.json. Dropped is lost to the
// loss model, plus unroutable (no such destination node), plus dropped by
// injected faults.
type Network struct {
	Model             string  `json:"model"`
	PacketsSent       int64   `json:"packets_sent"`
	PacketsDelivered  int64   `json:"packets_delivered"`
	PacketsDropped    int64   `json:"packets_dropped"`
	PacketsLost       int64   `json:"packets_lost"`
	PacketsUnroutable int64   `json:"packets_unroutable"`
	PacketsFaulted    int64   `json:"packets_faulted"`
	PacketsInFlight   int64   `json:"packets_in_flight"`
	Latency           Latency `json:"latency_us"`
	Links             []Link  `json:"links"`
}

// Latency summarises delivered messages' latencies in microseconds. Min
// and Max are null when nothing was delivered, as upstream's
// NetworkMetrics leaves min_latency_us and max_latency_us None: 0 would
// read as an instant delivery.
type Latency struct {
	Min *int64  `json:"min"`
	Avg float64 `json:"avg"`
	Max *int64  `json:"max"`
}

func newLatency(h *histogram) Latency {
	l := Latency{Avg: h.Mean()}
	if h.Count > 0 {
		lo, hi := h.Min, h.Max
		l.Min, l.Max = &lo, &hi
	}
	return l
}

// MaxUS is Max, or 0 when nothing was delivered.
func (l Latency) MaxUS() int64 {
	if l.Max == nil {
		return 0
	}
	return *l.Max
}

// Link is one (src, dst) pair that carried traffic.
type Link struct {
	Src               string  `json:"src"`
	Dst               string  `json:"dst"`
	PacketsSent       int64   `json:"packets_sent"`
	PacketsDelivered  int64   `json:"packets_delivered"`
	PacketsDropped    int64   `json:"packets_dropped"`
	PacketsUnroutable int64   `json:"packets_unroutable"`
	PacketsFaulted    int64   `json:"packets_faulted"`
	Latency           Latency `json:"latency_us"`
}

// Node is one node's counters.
type Node struct {
	ID                string `json:"id"`
	Model             string `json:"model"`
	Events            int64  `json:"events"`
	MessagesSent      int64  `json:"messages_sent"`
	MessagesReceived  int64  `json:"messages_received"`
	MessagesProcessed int64  `json:"messages_processed"`
	// Image and ImageDigest are what a docker node ran.
	Image       string `json:"image,omitempty"`
	ImageDigest string `json:"image_digest,omitempty"`
	// Platform is the platform of the image that ran, and PlatformDigest
	// that platform image's own digest: the one a device of that platform
	// pulls from the index ImageDigest names.
	Platform       string `json:"platform,omitempty"`
	PlatformDigest string `json:"platform_digest,omitempty"`
	// Devices is set on a device group's row: how many devices it adds up.
	Devices int `json:"devices,omitempty"`
	// Resources is what a container used (wall-clock).
	Resources *node.Resources `json:"resources,omitempty"`
	// BlackBox marks a container in wall-clock time: its message counters
	// are not measured (it never sees the simulated messages).
	BlackBox bool `json:"black_box,omitempty"`
}

// NewSummary builds the summary of a finished run.
func NewSummary(file, model string, res *sim.Result, verdict string) Summary {
	s := Summary{
		Scenario:      res.Scenario,
		ScenarioFile:  file,
		Seed:          res.Seed,
		Verdict:       verdict,
		VirtualTimeS:  float64(res.VirtualTimeUS) / 1e6,
		TimeQuantumUS: res.QuantumUS,
		Steps:         Steps{Executed: res.Steps, Total: res.StepsTotal},
		Events:        res.Events,
		Warnings:      []string{},
		Nodes:         []Node{},
		MQTT:          res.MQTT,
		HTTP:          res.HTTP,
		Observers:     res.Observers,
	}
	if res.Upstream {
		s.Compat = scenario.CompatUpstream
	}
	for _, w := range res.Warnings {
		s.Warnings = append(s.Warnings, w.String())
	}
	for _, n := range res.Notes {
		at := n.Pos.String()
		if at != "" {
			at += ": "
		}
		s.Notes = append(s.Notes, at+"note: "+n.Message)
	}
	t := res.Network
	s.Network = Network{
		Model:             model,
		PacketsSent:       t.Sent,
		PacketsDelivered:  t.Delivered,
		PacketsDropped:    t.Dropped(),
		PacketsLost:       t.Lost,
		PacketsUnroutable: t.Unroutable,
		PacketsFaulted:    t.Faulted,
		PacketsInFlight:   res.InFlight,
		Links:             []Link{},
	}
	var all histogram
	for _, r := range res.Routes {
		s.Network.Links = append(s.Network.Links, Link{
			Src: r.Src, Dst: r.Dst,
			PacketsSent:       r.Sent,
			PacketsDelivered:  r.Delivered,
			PacketsDropped:    r.Dropped(),
			PacketsUnroutable: r.Unroutable,
			PacketsFaulted:    r.Faulted,
			Latency:           newLatency(&r.Latency),
		})
		all.Merge(&r.Latency)
	}
	s.Network.Latency = newLatency(&all)
	for _, n := range res.Nodes {
		s.Nodes = append(s.Nodes, Node{
			ID: n.ID, Model: n.Model, Events: n.Events,
			MessagesSent: n.MessagesSent, MessagesReceived: n.MessagesReceived, MessagesProcessed: n.MessagesProcessed,
			Image: n.Image, ImageDigest: n.ImageDigest, Platform: n.Platform, PlatformDigest: n.PlatformDigest, Devices: n.Devices, Resources: n.Resources, BlackBox: n.BlackBox,
		})
	}
	s.Groups = newGroups(res.Groups)
	return s
}

// ErrorSummary is the summary of a run that could not finish.
func ErrorSummary(name, file string, seed int64, err error) Summary {
	return Summary{Scenario: name, ScenarioFile: file, Seed: seed, Verdict: Error, Error: err.Error(),
		Nodes: []Node{}, Warnings: []string{}, Network: Network{Links: []Link{}}}
}

// JSON renders the summary with two-space indentation and a final newline.
func (s Summary) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
