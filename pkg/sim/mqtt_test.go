package sim

import (
	"context"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

func loadMQTTScenario(t *testing.T) *scenario.Scenario {
	t.Helper()
	sc, _, err := scenario.Load(filepath.Join("..", "..", "scenarios", "mqtt_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// The deployability guide's scenario: every reading the sensor takes goes
// through the embedded broker, over TCP, to the gateway.
func TestMQTTScenarioDeliversThroughRealBroker(t *testing.T) {
	sc := loadMQTTScenario(t)
	res, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	m := res.MQTT
	if m == nil {
		t.Fatal("no MQTT result for a scenario with an embedded broker")
	}
	var sensor, gateway, broker NodeResult
	for _, n := range res.Nodes {
		switch n.ID {
		case "sensor1":
			sensor = n
		case "gateway1":
			gateway = n
		case "mqtt-broker":
			broker = n
		}
	}
	if broker.Model != node.ModelMQTTBroker {
		t.Errorf("broker node model = %q, want %q", broker.Model, node.ModelMQTTBroker)
	}
	if sensor.MessagesSent != 59 || gateway.MessagesProcessed != 59 || broker.MessagesProcessed != 59 {
		t.Errorf("simulated: sensor sent %d, gateway processed %d, broker processed %d; want 59 each", sensor.MessagesSent, gateway.MessagesProcessed, broker.MessagesProcessed)
	}
	if m.Published != sensor.MessagesSent || m.Received != m.Published || m.Expected != m.Published || m.TimedOut {
		t.Errorf("MQTT: published %d, received %d, expected %d, timed out %v; want %d each", m.Published, m.Received, m.Expected, m.TimedOut, sensor.MessagesSent)
	}
	want := []MQTTPublisher{{ID: "sensor1", Topic: "sensor/sensor1/temperature", Published: 59}}
	if !reflect.DeepEqual(m.Publishers, want) || !reflect.DeepEqual(m.Subscribers, []string{"gateway1"}) {
		t.Errorf("publishers %+v, subscribers %v", m.Publishers, m.Subscribers)
	}
	if len(m.Routes) != 1 || m.Routes[0].Src != "sensor1" || m.Routes[0].Dst != "gateway1" || len(m.Routes[0].Latencies) != 59 {
		t.Fatalf("routes %+v", m.Routes)
	}
	for _, d := range m.Routes[0].Latencies {
		if d <= 0 {
			t.Errorf("latency %v is not positive", d)
		}
	}
}

// A taken port moves the embedded broker to a free one; the clients follow
// and the run says so.
func TestMQTTBrokerPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	sc := loadMQTTScenario(t)
	sc.Nodes[0].Port = ln.Addr().(*net.TCPAddr).Port
	res, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if res.MQTT.Address == ln.Addr().String() || res.MQTT.Received != 59 {
		t.Errorf("broker at %s (taken: %s), received %d", res.MQTT.Address, ln.Addr(), res.MQTT.Received)
	}
	found := false
	for _, w := range res.Warnings {
		found = found || strings.Contains(w.Message, "is taken")
	}
	if !found {
		t.Errorf("no warning about the taken port in %v", res.Warnings)
	}
}

// The broker stops with the run, also when the run fails.
func TestMQTTBrokerStoppedAfterRun(t *testing.T) {
	for _, cancel := range []bool{false, true} {
		sc := loadMQTTScenario(t)
		sc.Nodes[0].HasPort, sc.Nodes[0].Port = false, 0
		b := node.NewBroker("mqtt-broker", 0)
		ctx, stop := context.WithCancel(context.Background())
		if cancel {
			stop()
		}
		_, err := Run(ctx, sc, withNode("mqtt-broker", b))
		stop()
		if cancel != (err != nil) {
			t.Fatalf("cancel %v: err %v", cancel, err)
		}
		if b.Addr() == "" {
			t.Fatalf("cancel %v: the broker never started", cancel)
		}
		if c, err := net.Dial("tcp", b.Addr()); err == nil {
			c.Close()
			t.Errorf("cancel %v: the broker still listens on %s after the run", cancel, b.Addr())
		}
	}
}

// Without a broker node there is no MQTT section and no client.
func TestNoBrokerNoMQTT(t *testing.T) {
	res, err := Run(context.Background(), m0())
	if err != nil {
		t.Fatal(err)
	}
	if res.MQTT != nil {
		t.Errorf("MQTT result %+v for a scenario without a broker", res.MQTT)
	}
}
