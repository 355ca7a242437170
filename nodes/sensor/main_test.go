package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	mqtt "github.com/xedgesim/simulate/internal/third_party/mochi"
	"github.com/xedgesim/simulate/internal/third_party/mochi/hooks/auth"
	"github.com/xedgesim/simulate/internal/third_party/mochi/listeners"
)

// broker starts a real MQTT broker on a free loopback port.
func broker(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// TestSensorPublishesUpstreamPayload runs the sensor against a real broker
// and reads what it publishes: upstream's topic and JSON keys.
func TestSensorPublishesUpstreamPayload(t *testing.T) {
	addr := broker(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan paho.PublishReceived, 10)
	c := paho.NewClient(paho.ClientConfig{ClientID: "t", Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			got <- pr
			return true, nil
		}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: "t", CleanStart: true, KeepAlive: 30}); err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(&paho.Disconnect{})
	if _, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "sensor/#"}}}); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"-broker", addr, "-id", "s9", "-count", "3", "-interval", "20ms"}); err != nil {
		t.Fatalf("run() = %v", err)
	}
	for n := 1; n <= 3; n++ {
		select {
		case pr := <-got:
			if pr.Packet.Topic != "sensor/s9/temperature" {
				t.Errorf("topic %q, want sensor/s9/temperature", pr.Packet.Topic)
			}
			var m map[string]any
			if err := json.Unmarshal(pr.Packet.Payload, &m); err != nil {
				t.Fatal(err)
			}
			temp, _ := m["temperature"].(float64)
			ts, _ := m["timestamp"].(float64)
			if m["sensor_id"] != "s9" || m["unit"] != "C" || m["sample_id"] != float64(n) || temp < 5 || temp > 35 || ts < 1e9 {
				t.Errorf("reading %d = %s", n, pr.Packet.Payload)
			}
		case <-ctx.Done():
			t.Fatalf("reading %d never arrived", n)
		}
	}
}

func TestSensorFlags(t *testing.T) {
	t.Setenv("MQTT_BROKER_HOST", "mqtt-broker")
	t.Setenv("XEDGESIM_NODE_ID", "sensor7")
	c, err := parse(nil)
	if err != nil || c.broker != "mqtt-broker:1883" || c.id != "sensor7" {
		t.Errorf("parse() = %+v, %v; want the broker and id from the environment", c, err)
	}
	for _, bad := range [][]string{{"-interval", "0s"}, {"-broker", "nohostport"}, {"-count", "-1"}} {
		if _, err := parse(bad); err == nil {
			t.Errorf("parse(%q) = nil error", bad)
		}
	}
}
