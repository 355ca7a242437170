// Package sim runs a scenario: a discrete-event kernel that keeps upstream
// xEdgeSim's lockstep semantics (quantum, one-quantum hand-off, latency
// delivery rule, drops of unknown destinations) with a total event order and
// seeded RNG streams, and skips the quanta in which nothing can happen, so
// its cost follows the number of events, not duration / quantum. A device
// group of built-in sensors runs as one cohort rather than a node per
// device (cohort.go), and with two cores a second goroutine draws its
// samples ahead (cohortgen.go), with the same results as per-device nodes
// on one core.
//
// When a scenario has an MQTT broker node (embedded, or a container), the
// built-in sensors also publish their readings to it over real MQTT and the
// built-in gateways subscribe, reconnecting when it restarts; delivery and
// wall-clock latency through the broker are part of the Result. A black-box
// container paces virtual time to the wall clock, and the run is then
// statistical; a runtime whose link faults act on real packets
// (node.WallClockNeeder) paces it too, and the run stays reproducible.
//
// Per-node config reaches the nodes, which upstream's parser drops. Under
// upstream compatibility (WithUpstream, or simulation.compat: upstream) it
// is dropped as upstream drops it, except for the keys that start and
// reach a process node; UpstreamNote names the keys that otherwise make
// results differ from upstream's.
//
// Containers are not the kernel's: docker nodes come from a node.Runtime
// given with WithRuntime (pkg/sim/container, which the CLI injects), and
// the run closes it after its nodes. This package links no container
// engine; deps_test.go keeps it so.
package sim
