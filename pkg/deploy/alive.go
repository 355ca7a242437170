package deploy

import (
	"context"
	"time"
)

// aliveTimeout bounds the check that a kept connection still answers: a
// host that dropped off the network does not answer at all, and waiting
// for TCP to give up would hold the rollout's end for minutes.
const aliveTimeout = 10 * time.Second

// alive checks that c still answers, within aliveTimeout.
func alive(ctx context.Context, c hostConn) error {
	ctx, cancel := context.WithTimeout(ctx, aliveTimeout)
	defer cancel()
	return c.Alive(ctx)
}
