package node

// Pauser is a node that node_pause can freeze: a container is paused in
// the engine (docker pause) and thawed when the fault ends. A node that is
// not one is only kept from sending and receiving while the fault lasts.
type Pauser interface {
	// Pause freezes the node at virtual time t.
	Pause(t int64)
	// Unpause thaws it at virtual time t.
	Unpause(t int64)
}
