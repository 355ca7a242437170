// Package node defines the Node interface the simulation kernel drives and
// the nodes it ships: the built-in sensor and gateway models, which
// reproduce upstream's reference python models bit for bit, a sink, and
// protocol nodes that speak upstream's TCP line protocol.
package node
