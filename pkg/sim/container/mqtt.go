package container

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/xedgesim/simulate/internal/mqttcheck"
)

// IsMQTTBroker implements MQTTBroker: a docker node whose type names a
// broker, or that sets docker.mqtt_port.
func (d *Node) IsMQTTBroker() bool { return d.spec.mqttPort != 0 }

// BrokerAddr implements MQTTBroker: where the container's MQTT port is
// published now.
func (d *Node) BrokerAddr(ctx context.Context) (string, error) {
	if d.spec.mqttPort == 0 {
		return "", fmt.Errorf("node %q is no MQTT broker", d.id)
	}
	return d.hostAddr(ctx, d.spec.mqttPort)
}

// checkMQTT connects to the broker at addr; with a topic it also subscribes
// to it and waits for a message it publishes there.
func checkMQTT(ctx context.Context, addr, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var dl net.Dialer
	conn, err := dl.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return mqttcheck.Check(ctx, conn, topic)
}
