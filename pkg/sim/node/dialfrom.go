package node

import (
	"context"
	"net"
)

// FromDialer is implemented by nodes that the in-process participants of a
// run (built-in devices, observers) reach over a network the scenario's
// links shape: containers on the run's network. A connection opened with
// DialFrom carries the participant's identity on that network, so that a
// link or fault between the participant and the node acts on its real
// packets; a participant that no shaped link names (from "", an observer)
// is connected as before.
type FromDialer interface {
	Node
	// DialFrom connects participant from (a node id, or "") to port.
	DialFrom(ctx context.Context, from string, port int) (net.Conn, error)
	// DialMQTTFrom connects participant from to the node's MQTT port.
	DialMQTTFrom(ctx context.Context, from string) (net.Conn, error)
}
