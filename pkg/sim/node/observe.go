package node

import "context"

// Exposer is implemented by nodes whose ports an observer can reach from
// the host (containers): an observer polling a node over HTTP asks for its
// port before the node starts, and dials where it answers.
type Exposer interface {
	Node
	// Expose makes the node's port reachable from the host. It is called
	// before Start.
	Expose(port int)
	// PortAddr returns the host:port the node's port answers on now; a
	// restarted container may answer on another one.
	PortAddr(ctx context.Context, port int) (string, error)
}
