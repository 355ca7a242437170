package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// IsMQTTBroker implements MQTTBroker: a docker node whose type names a
// broker, or that sets docker.mqtt_port.
func (d *Docker) IsMQTTBroker() bool { return d.spec.mqttPort != 0 }

// BrokerAddr implements MQTTBroker: where the container's MQTT port is
// published now.
func (d *Docker) BrokerAddr(ctx context.Context) (string, error) {
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
	defer conn.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := "xedgesim-health-" + hex.EncodeToString(b)
	got := make(chan struct{}, 1)
	c := paho.NewClient(paho.ClientConfig{ClientID: id, Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			if pr.Packet.Topic == topic && string(pr.Packet.Payload) == id {
				select {
				case got <- struct{}{}:
				default:
				}
			}
			return true, nil
		}}})
	ca, err := c.Connect(ctx, &paho.Connect{ClientID: id, KeepAlive: 10, CleanStart: true})
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	if ca.ReasonCode != 0 {
		return fmt.Errorf("the broker refused the connection: reason code %d", ca.ReasonCode)
	}
	defer func() { _ = c.Disconnect(&paho.Disconnect{ReasonCode: 0}) }()
	if topic == "" {
		return nil
	}
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 0}}}); err != nil {
		return fmt.Errorf("subscribing to %s: %w", topic, err)
	}
	if _, err := c.Publish(ctx, &paho.Publish{Topic: topic, QoS: 0, Payload: []byte(id)}); err != nil {
		return fmt.Errorf("publishing to %s: %w", topic, err)
	}
	select {
	case <-got:
		return nil
	case <-ctx.Done():
		return errors.New("a message published to " + topic + " did not come back")
	}
}
