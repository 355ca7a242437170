package deploy

import (
	"context"
	"time"
)

// aliveTimeout bounds the check that a kept connection still answers: a
// host that dropped off the network does not answer at all, and waiting
// for TCP to give up would hold the rollout's end for minutes.
const aliveTimeout = 10 * time.Second

// aliver is a connection that can tell it is alive without running a
// command on the host (transport.Client: one SSH global request).
type aliver interface {
	Alive(ctx context.Context) error
}

// alive checks that c still answers: with a request on the connection
// where it can (a command would start the login's shell and its profile
// on the host, often the slowest part of a small step), else with a
// command that does nothing.
func alive(ctx context.Context, c hostConn) error {
	ctx, cancel := context.WithTimeout(ctx, aliveTimeout)
	defer cancel()
	if a, ok := unwrapConn(c).(aliver); ok {
		return a.Alive(ctx)
	}
	_, err := c.Run(ctx, "true", nil)
	return err
}

// unwrapConn is the connection under the wrappers that give it an engine
// or an environment.
func unwrapConn(c hostConn) hostConn {
	for {
		switch w := c.(type) {
		case engineConn:
			c = w.hostConn
		case dockerHostConn:
			c = w.hostConn
		default:
			return c
		}
	}
}

// Alive: this machine is always there.
func (localConn) Alive(context.Context) error { return nil }
