package container

import (
	"context"
	"slices"
)

// Expose implements node.Exposer: port is published on loopback, unless
// the node already publishes it there.
func (d *Node) Expose(port int) {
	s := &d.spec
	if slices.Contains([]int{s.health.tcp, s.health.httpPort, s.health.mqtt, s.mqttPort}, port) ||
		s.protocol == ProtocolTCP && s.socketPort == port {
		return
	}
	for _, p := range s.ports {
		if p.container == port && (p.hostIP == "" || p.hostIP == "127.0.0.1") {
			return
		}
	}
	s.ports = append(s.ports, portSpec{container: port, hostIP: "127.0.0.1"})
}

// PortAddr implements node.Exposer.
func (d *Node) PortAddr(ctx context.Context, port int) (string, error) {
	return d.hostAddr(ctx, port)
}
