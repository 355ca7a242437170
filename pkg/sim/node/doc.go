// Package node defines the Node interface the simulation kernel drives and
// the nodes it ships: the built-in sensor and gateway models, which
// reproduce upstream's reference python models bit for bit, a sink, an
// embedded MQTT broker, protocol nodes that speak upstream's TCP line
// protocol, and docker nodes: real containers through the Docker Engine
// API, taking part over the TCP or the stdin/stdout protocol in lockstep,
// or as black-box services in wall-clock time, with health checks, crashes
// and restart policies, and a network per run.
package node
