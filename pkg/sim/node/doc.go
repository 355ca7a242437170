// Package node defines the Node interface the simulation kernel drives and
// the nodes it ships: the built-in sensor and gateway models, which
// reproduce upstream's reference python models bit for bit, a sink, an
// embedded MQTT broker, and protocol nodes that speak upstream's TCP line
// protocol (or its stdin/stdout dialect over a given connection).
//
// Docker nodes are no concern of this package: a Runtime makes them
// (pkg/sim/container runs them as containers), so the simulator's core
// links no container engine. New fails them with ErrNoRuntime when the run
// has none.
package node
