package mqttcheck

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"

	"github.com/eclipse/paho.golang/paho"
)

// Check speaks MQTT 5 over conn, which it closes: a CONNECT the broker must
// accept and, with a topic, a SUBSCRIBE and a PUBLISH to it whose message
// must come back before ctx ends.
func Check(ctx context.Context, conn net.Conn, topic string) error {
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
