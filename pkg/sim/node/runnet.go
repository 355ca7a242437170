package node

import (
	"context"
	"net"
)

// RunNetwork is implemented by a runtime whose containers share a network
// that the xedgesim process reaches directly. HostAddr is the process's
// address there (the network's gateway), where in-process servers (the
// embedded broker) listen for containers; nil when the run has no such
// network or the process cannot reach it (a remote engine).
type RunNetwork interface {
	HostAddr(ctx context.Context) net.IP
}

// BrokerPortOnRunNetwork is where an embedded broker without a port of its
// own listens for containers on the run's network: MQTT's port (the
// address is the run's own, so it takes no port of the host's loopback).
const BrokerPortOnRunNetwork = 1883
