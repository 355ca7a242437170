package sim

import (
	"context"

	"github.com/xedgesim/simulate/pkg/sim/node"
)

// reachBrokers makes the embedded brokers listen on the run's network too,
// where containers reach them by node id, when the runtime has such a
// network (node.RunNetwork). There the scenario's links between a
// container and the broker shape their real packets.
func reachBrokers(ctx context.Context, rt node.Runtime, nodes []node.Node) error {
	rn, ok := rt.(node.RunNetwork)
	if !ok {
		return nil
	}
	ip := rn.HostAddr(ctx)
	if ip == nil {
		return nil
	}
	for _, n := range nodes {
		if b, ok := n.(*node.Broker); ok {
			if err := b.ListenOn(ip); err != nil {
				return err
			}
		}
	}
	return nil
}
