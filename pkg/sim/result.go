package sim

import (
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// Result is what a run measured. Apart from MQTT and the recovery times of
// containers it holds no wall-clock figure, so the same scenario and seed
// always give the same Result.
type Result struct {
	Scenario string
	Seed     int64
	// VirtualTimeUS is how far virtual time advanced (the duration, unless
	// the run was stopped).
	VirtualTimeUS int64
	QuantumUS     int64
	// Steps is the number of quanta executed; StepsTotal is upstream's
	// ceil(duration / quantum). The difference was skipped as empty.
	Steps      int64
	StepsTotal int64
	// Events is internal node events plus delivered messages.
	Events   int64
	Network  netmodel.Totals
	InFlight int64
	Routes   []*netmodel.Route
	Nodes    []NodeResult
	Warnings []scenario.Diagnostic
	// Notes say how the run went that no warning should fail a gate for:
	// it was paced to the wall clock for its link faults on real packets.
	Notes []scenario.Diagnostic
	// Timeline is the network's activity in slices of BucketUS.
	Timeline []netmodel.Bucket
	BucketUS int64
	// FaultDrops is how many messages each of the scenario's faults
	// dropped, in file order.
	FaultDrops []int64
	// Statistical is set when a black-box container took part: virtual
	// time was paced to the wall clock and the run is not bit-reproducible.
	Statistical bool
	// Paced is set when virtual time followed the wall clock: with a
	// black-box container (Statistical), or for link faults on real
	// packets. Wall-clock durations then sit on the run's timeline.
	Paced bool
	// Upstream is set when the run dropped per-node config, as upstream
	// does (WithUpstream or simulation.compat: upstream).
	Upstream bool
	// MQTT is the real MQTT traffic through the scenario's embedded broker;
	// nil when the scenario has none. Its latencies are wall-clock.
	MQTT *MQTTResult
	// HTTP is what the sensors with config.http sent (wall-clock); nil
	// when none has it.
	HTTP []HTTPSender
	// Groups are the scenario's device groups, whose devices Nodes and
	// Routes show as one row per group (group.go).
	Groups []GroupResult
	// Observers is what each observer (observe:) saw, in file order;
	// wall-clock.
	Observers []ObserverResult
}

// NodeResult is one node's counters.
type NodeResult struct {
	ID string
	node.Stats
	// Restarts counts node_crash restarts; Healthy is false when the node
	// ended the run down.
	Restarts int64
	Healthy  bool
	// RecoveryS is how long each restart after a crash took, in seconds:
	// restart_after_s for a built-in node; for a container, the wall-clock
	// time from the kill until it ran and passed its health checks again.
	RecoveryS []float64
	// Image and ImageDigest are what a docker node's container ran.
	Image       string
	ImageDigest string
	// Platform is the platform of the image that ran, and PlatformDigest
	// that platform image's manifest digest, when known (node.Platformed).
	Platform       string
	PlatformDigest string
	// Devices is set on a device group's row (ID is its template): how
	// many devices the counters add up.
	Devices int
	// Resources is what a container used (nil for other nodes).
	Resources *node.Resources
	// BlackBox is set for a container in wall-clock time (protocol none):
	// its message counters are not measured.
	BlackBox bool
}
