package node

import (
	"errors"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// Runtime makes the nodes the simulator's core does not run itself: those
// with implementation: docker, which are containers (pkg/sim/container).
// The CLI injects one into the run (sim.WithRuntime), so the core links no
// container engine; the run closes it after its nodes, on every path.
type Runtime interface {
	// Node checks n's docker section and returns its node. Nothing starts
	// before the node's Start.
	Node(n scenario.Node) (Node, error)
	// Close removes what the runtime created for the run beside the nodes
	// themselves (the run's network, the images it loaded). The run calls
	// it once, after every node's Close, also when the run failed.
	Close() error
}

// ErrNoRuntime means a scenario has a docker node and the run was given no
// runtime to make it with.
var ErrNoRuntime = errors.New("implementation: docker needs a container runtime, and the run has none: the xedgesim CLI brings one; a program calling sim.Run passes sim.WithRuntime(container.New())")
