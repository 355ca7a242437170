package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// MQTTResult is what the real MQTT traffic through an embedded broker
// measured. Unlike the rest of Result its latencies are wall-clock figures:
// they vary from run to run and never go into CSV files.
type MQTTResult struct {
	// Broker is the broker node's id; Address is where it listened.
	Broker  string `json:"broker"`
	Address string `json:"address"`
	// Published is the number of readings the sensors published; Received
	// the number of messages the gateways got (each gateway gets each
	// reading once); Expected is Published times the subscribers.
	Published int64 `json:"published"`
	Received  int64 `json:"received"`
	Expected  int64 `json:"expected"`
	// Publishers and Subscribers are the sensor and gateway ids.
	Publishers  []MQTTPublisher `json:"publishers"`
	Subscribers []string        `json:"subscribers"`
	// Routes is what each gateway received from each sensor.
	Routes []*MQTTRoute `json:"routes"`
	// TimedOut is set when messages were still missing when the run
	// stopped waiting for them.
	TimedOut bool `json:"timed_out,omitempty"`
}

// MQTTPublisher is one sensor's publications.
type MQTTPublisher struct {
	ID        string `json:"id"`
	Topic     string `json:"topic"`
	Published int64  `json:"published"`
}

// MQTTRoute is what gateway Dst received from sensor Src through the broker,
// with each message's latency from the publisher's send to the subscriber's
// receipt.
type MQTTRoute struct {
	Src       string          `json:"src"`
	Dst       string          `json:"dst"`
	Received  int64           `json:"received"`
	Latencies []time.Duration `json:"-"`
}

// mqttDrainTimeout bounds the wait for in-flight MQTT messages after the
// clock stopped.
const mqttDrainTimeout = 10 * time.Second

// mqttPayload is a reading as published, upstream's SensorNode JSON
// ({"sensor_id", "<sensor_type>", "timestamp"}) plus the unit, the sample
// number and the virtual time in microseconds. timestamp is virtual
// seconds, so payloads are reproducible.
type mqttPayload struct {
	SensorID string `json:"sensor_id"`
	SampleID int64  `json:"sample_id"`
}

// mqttBus connects the built-in sensors (publishers) and gateways
// (subscribers of sensor/#) to an embedded broker.
type mqttBus struct {
	res   *MQTTResult
	pubs  map[int32]*mqttPub
	subs  []*paho.Client
	conns []net.Conn

	mu      sync.Mutex
	sent    map[string]time.Time // topic#sample -> send time
	routes  map[[2]string]*MQTTRoute
	expired bool
}

type mqttPub struct {
	id, sensorType, topic string
	client                *paho.Client
	n                     *MQTTPublisher
}

// startMQTT connects the sensors and gateways among nodes to broker.
func startMQTT(ctx context.Context, b *node.Broker, nodes []node.Node) (_ *mqttBus, err error) {
	bus := &mqttBus{
		res:    &MQTTResult{Broker: b.ID(), Address: b.Addr()},
		pubs:   map[int32]*mqttPub{},
		sent:   map[string]time.Time{},
		routes: map[[2]string]*MQTTRoute{},
	}
	defer func() {
		if err != nil {
			bus.close()
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i, n := range nodes {
		switch n := n.(type) {
		case *node.Sensor:
			c, err := bus.connect(cctx, "sensor_"+n.ID(), nil)
			if err != nil {
				return nil, err
			}
			bus.res.Publishers = append(bus.res.Publishers, MQTTPublisher{ID: n.ID(), Topic: "sensor/" + n.ID() + "/" + n.SensorType()})
			bus.pubs[int32(i)] = &mqttPub{id: n.ID(), sensorType: n.SensorType(), topic: "sensor/" + n.ID() + "/" + n.SensorType(), client: c}
		case *node.Gateway:
			id := n.ID()
			c, err := bus.connect(cctx, "gateway_"+id, func(pr paho.PublishReceived) (bool, error) {
				bus.received(id, pr.Packet.Topic, pr.Packet.Payload)
				return true, nil
			})
			if err != nil {
				return nil, err
			}
			if _, err := c.Subscribe(cctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "sensor/#", QoS: 0}}}); err != nil {
				return nil, fmt.Errorf("gateway %q subscribing to sensor/# on the MQTT broker: %w", id, err)
			}
			bus.subs = append(bus.subs, c)
			bus.res.Subscribers = append(bus.res.Subscribers, id)
		}
	}
	// Point the publishers at their records once the slice stops growing.
	for _, p := range bus.pubs {
		for j := range bus.res.Publishers {
			if bus.res.Publishers[j].ID == p.id {
				p.n = &bus.res.Publishers[j]
			}
		}
	}
	return bus, nil
}

func (bus *mqttBus) connect(ctx context.Context, clientID string, onMsg func(paho.PublishReceived) (bool, error)) (*paho.Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", bus.res.Address)
	if err != nil {
		return nil, fmt.Errorf("connecting %s to the MQTT broker at %s: %w", clientID, bus.res.Address, err)
	}
	bus.conns = append(bus.conns, conn)
	cfg := paho.ClientConfig{ClientID: clientID, Conn: conn}
	if onMsg != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){onMsg}
	}
	c := paho.NewClient(cfg)
	ca, err := c.Connect(ctx, &paho.Connect{ClientID: clientID, KeepAlive: 60, CleanStart: true})
	if err != nil {
		return nil, fmt.Errorf("connecting %s to the MQTT broker at %s: %w", clientID, bus.res.Address, err)
	}
	if ca.ReasonCode != 0 {
		return nil, fmt.Errorf("the MQTT broker refused %s: reason code %d", clientID, ca.ReasonCode)
	}
	return c, nil
}

// emitted publishes the readings node i emitted in a step. It runs in the
// kernel's loop, after crash filtering, so only readings that were really
// sent are published.
func (bus *mqttBus) emitted(ctx context.Context, i int32, evs []event.Event) error {
	p, ok := bus.pubs[i]
	if !ok {
		return nil
	}
	for j := range evs {
		e := &evs[j]
		if !e.HasReading || e.Type != "TRANSMIT" {
			continue
		}
		payload, err := json.Marshal(map[string]any{
			"sensor_id":   p.id,
			p.sensorType:  e.Value,
			"unit":        e.Unit,
			"sample_id":   e.Seq,
			"time_us":     e.TimeUS,
			"timestamp":   float64(e.TimeUS) / 1e6,
			"sensor_type": p.sensorType,
		})
		if err != nil {
			return fmt.Errorf("encoding the reading of %q: %w", p.id, err)
		}
		key := p.topic + "#" + strconv.FormatInt(e.Seq, 10)
		bus.mu.Lock()
		bus.sent[key] = time.Now()
		bus.res.Published++
		p.n.Published++
		bus.res.Expected += int64(len(bus.subs))
		bus.mu.Unlock()
		if _, err := p.client.Publish(ctx, &paho.Publish{Topic: p.topic, QoS: 0, Payload: payload}); err != nil {
			return fmt.Errorf("sensor %q publishing to the MQTT broker: %w", p.id, err)
		}
	}
	return nil
}

func (bus *mqttBus) received(gateway, topic string, payload []byte) {
	now := time.Now()
	var m mqttPayload
	if err := json.Unmarshal(payload, &m); err != nil || m.SensorID == "" {
		return // not one of ours
	}
	bus.mu.Lock()
	defer bus.mu.Unlock()
	sent, ok := bus.sent[topic+"#"+strconv.FormatInt(m.SampleID, 10)]
	if !ok || bus.expired {
		return
	}
	k := [2]string{m.SensorID, gateway}
	r := bus.routes[k]
	if r == nil {
		r = &MQTTRoute{Src: m.SensorID, Dst: gateway}
		bus.routes[k] = r
		bus.res.Routes = append(bus.res.Routes, r)
	}
	r.Received++
	r.Latencies = append(r.Latencies, now.Sub(sent))
	bus.res.Received++
}

// drain waits until every published message reached every subscriber, or
// the timeout, and returns the result. Later arrivals are not counted.
func (bus *mqttBus) drain(ctx context.Context, timeout time.Duration) (*MQTTResult, error) {
	complete := func() bool {
		bus.mu.Lock()
		defer bus.mu.Unlock()
		return bus.res.Received >= bus.res.Expected
	}
	var err error
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(2 * time.Millisecond)
	for !complete() && time.Now().Before(deadline) && err == nil {
		select {
		case <-tick.C:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	tick.Stop()
	bus.mu.Lock()
	defer bus.mu.Unlock()
	bus.expired = true
	bus.res.TimedOut = bus.res.Received < bus.res.Expected
	res := *bus.res
	res.Routes = nil
	for _, r := range bus.res.Routes {
		c := *r
		c.Latencies = append([]time.Duration(nil), r.Latencies...)
		res.Routes = append(res.Routes, &c)
	}
	return &res, err
}

// close disconnects every client. Errors are of no interest: the broker
// stops right after.
func (bus *mqttBus) close() {
	for _, p := range bus.pubs {
		_ = p.client.Disconnect(&paho.Disconnect{ReasonCode: 0})
	}
	for _, c := range bus.subs {
		_ = c.Disconnect(&paho.Disconnect{ReasonCode: 0})
	}
	for _, c := range bus.conns {
		c.Close()
	}
}

// connectMQTT finds the scenario's embedded broker (the first, if several)
// and connects the built-in sensors and gateways to it. It returns a nil bus
// when the scenario has no embedded broker.
func connectMQTT(ctx context.Context, sc *scenario.Scenario, nodes []node.Node) (*mqttBus, []scenario.Diagnostic, error) {
	var (
		broker *node.Broker
		warns  []scenario.Diagnostic
	)
	for i, n := range nodes {
		b, ok := n.(*node.Broker)
		if !ok {
			continue
		}
		pos := sc.Nodes[i].Pos
		if b.Moved() {
			warns = append(warns, scenario.Diagnostic{Pos: pos, Severity: scenario.SeverityWarning, Key: "port",
				Message: fmt.Sprintf("node %q: port %d is taken; the embedded MQTT broker listens on %s instead", b.ID(), b.Port(), b.Addr())})
		}
		if broker != nil {
			warns = append(warns, scenario.Diagnostic{Pos: pos, Severity: scenario.SeverityWarning, Key: "type",
				Message: fmt.Sprintf("node %q: the sensors and gateways use the first MQTT broker, %q; this one runs without clients", b.ID(), broker.ID())})
			continue
		}
		broker = b
	}
	if broker == nil {
		return nil, warns, nil
	}
	bus, err := startMQTT(ctx, broker, nodes)
	return bus, warns, err
}
