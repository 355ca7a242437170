package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// MQTTResult is what the real MQTT traffic through the scenario's broker
// (embedded, or a container) measured. Unlike the rest of Result its latencies are wall-clock figures:
// they vary from run to run and never go into CSV files.
type MQTTResult struct {
	// Broker is the broker node's id; Address is where it listened.
	Broker  string `json:"broker"`
	Address string `json:"address"`
	// Published is the number of readings the built-in sensors published;
	// Received the number of them the gateways got (each gateway gets each
	// reading once); Expected is what could arrive: the readings published
	// while the broker was up, times the subscribers.
	Published int64 `json:"published"`
	Received  int64 `json:"received"`
	Expected  int64 `json:"expected"`
	// Publishers and Subscribers are the sensor and gateway ids.
	Publishers  []MQTTPublisher `json:"publishers"`
	Subscribers []string        `json:"subscribers"`
	// Routes is what each gateway received from each sensor.
	Routes []*MQTTRoute `json:"routes"`
	// Failed is the number of readings that could not be published because
	// the broker was down; they count as published and not received.
	Failed int64 `json:"failed,omitempty"`
	// TimedOut is set when messages were still missing when the run
	// stopped waiting for them.
	TimedOut bool `json:"timed_out,omitempty"`
}

// MQTTPublisher is one sensor's publications.
type MQTTPublisher struct {
	ID        string `json:"id"`
	Topic     string `json:"topic"`
	Published int64  `json:"published"`
	Failed    int64  `json:"failed,omitempty"`
}

// MQTTRoute is what gateway Dst received from sensor Src through the broker,
// with each message's latency from the publisher's send to the subscriber's
// receipt.
type MQTTRoute struct {
	Src      string `json:"src"`
	Dst      string `json:"dst"`
	Received int64  `json:"received"`
	// External is set for readings a sensor container published: the
	// gateway received them, but they are not in Published.
	External  bool            `json:"external,omitempty"`
	Latencies []time.Duration `json:"-"`
}

// mqttDrainTimeout bounds the wait for in-flight MQTT messages after the
// clock stopped.
const mqttDrainTimeout = 10 * time.Second

// mqttQuiet ends the wait early when no message arrived for that long.
const mqttQuiet = 3 * time.Second

// mqttPayload is a reading as published, upstream's SensorNode JSON
// ({"sensor_id", "<sensor_type>", "timestamp"}) plus the unit, the sample
// number and the virtual time in microseconds. timestamp is virtual
// seconds, so payloads are reproducible.
type mqttPayload struct {
	SensorID  string  `json:"sensor_id"`
	SampleID  int64   `json:"sample_id"`
	Timestamp float64 `json:"timestamp"`
}

// mqttBus connects the built-in sensors (publishers), a group's devices
// included, and gateways (subscribers of sensor/#) to the scenario's MQTT
// broker. Each client reconnects when the broker goes away and comes back
// (a crashed container restarted by its policy); the gateways subscribe
// again on every connection.
type mqttBus struct {
	res    *MQTTResult
	broker node.MQTTBroker
	pubs   map[int32]*mqttPub
	ids    map[string]bool // the publishers' ids
	subs   []*autopaho.ConnectionManager
	conns  []*autopaho.ConnectionManager

	mu      sync.Mutex
	sent    map[string]time.Time // topic#sample -> send time
	routes  map[[2]string]*MQTTRoute
	expired bool
	// obs, when the scenario has observers, learns when each reading was
	// sent, to correlate the app's outputs with it.
	obs *observers
}

type mqttPub struct {
	id, sensorType, topic string
	// mq is the sensor's config.mqtt: its topic and payload templates.
	mq     node.SensorMQTT
	client *autopaho.ConnectionManager
	// at is the sensor's place in the result's Publishers, n its record
	// there once the slice stops growing.
	at int
	n  *MQTTPublisher
}

// mqttReconnect is the pause between attempts to reach a broker that went
// away: short, so that a restarted broker is found again at once.
const mqttReconnect = 100 * time.Millisecond

// startMQTT connects the sensors and gateways among nodes to broker.
func startMQTT(ctx context.Context, b node.MQTTBroker, nodes []node.Node) (_ *mqttBus, err error) {
	addr, err := b.BrokerAddr(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding the MQTT broker %q: %w", b.ID(), err)
	}
	bus := &mqttBus{
		res:    &MQTTResult{Broker: b.ID(), Address: addr},
		broker: b,
		pubs:   map[int32]*mqttPub{},
		sent:   map[string]time.Time{},
		routes: map[[2]string]*MQTTRoute{},
		ids:    map[string]bool{},
	}
	defer func() {
		if err != nil {
			bus.close()
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var subscribed []chan error
	shared := map[*node.SensorGroup]*autopaho.ConnectionManager{}
	for i, n := range nodes {
		switch n := n.(type) {
		case node.Publisher:
			if n.HTTP() != nil && !n.MQTT().Custom {
				continue // it speaks HTTP to the app (httpsend.go)
			}
			c, err := bus.clientOf(cctx, n, shared)
			if err != nil {
				return nil, err
			}
			mq := n.MQTT()
			topic := strings.NewReplacer("{id}", n.ID(), "{type}", n.SensorType()).Replace(mq.Topic)
			bus.pubs[int32(i)] = &mqttPub{id: n.ID(), sensorType: n.SensorType(), topic: topic, mq: mq, client: c, at: len(bus.res.Publishers)}
			bus.res.Publishers = append(bus.res.Publishers, MQTTPublisher{ID: n.ID(), Topic: topic})
			bus.ids[n.ID()] = true
		case *node.Gateway:
			id := n.ID()
			done := make(chan error, 1)
			c, err := bus.connect(cctx, id, "gateway_"+id, func(pr paho.PublishReceived) (bool, error) {
				bus.received(id, pr.Packet.Topic, pr.Packet.Payload)
				return true, nil
			}, done)
			if err != nil {
				return nil, err
			}
			subscribed = append(subscribed, done)
			bus.subs = append(bus.subs, c)
			bus.res.Subscribers = append(bus.res.Subscribers, id)
		}
	}
	// The readings go out only once every gateway listens.
	for j, done := range subscribed {
		select {
		case err := <-done:
			if err != nil {
				return nil, fmt.Errorf("gateway %q subscribing to sensor/# on the MQTT broker: %w", bus.res.Subscribers[j], err)
			}
		case <-cctx.Done():
			return nil, fmt.Errorf("gateway %q subscribing to sensor/# on the MQTT broker at %s: %w", bus.res.Subscribers[j], addr, cctx.Err())
		}
	}
	// Point the publishers at their records once the slice stops growing.
	for _, p := range bus.pubs {
		p.n = &bus.res.Publishers[p.at]
	}
	return bus, nil
}

// clientOf returns the MQTT client that sensor n publishes through: its
// own, or for a device of a group the one client all its devices share, so
// that a group is one connection to the broker however many devices it
// has. The shared client dials as the group's first device.
func (bus *mqttBus) clientOf(ctx context.Context, n node.Publisher, shared map[*node.SensorGroup]*autopaho.ConnectionManager) (*autopaho.ConnectionManager, error) {
	d, ok := n.(*node.GroupSensor)
	if !ok {
		return bus.connect(ctx, n.ID(), "sensor_"+n.ID(), nil, nil)
	}
	if c, ok := shared[d.Group()]; ok {
		return c, nil
	}
	c, err := bus.connect(ctx, n.ID(), "sensors_"+strings.ReplaceAll(d.Group().ID(), "{i}", ""), nil, nil)
	if err != nil {
		return nil, err
	}
	shared[d.Group()] = c
	return c, nil
}

// publishes tells whether node i publishes its readings on the bus.
func (bus *mqttBus) publishes(i int32) bool {
	if bus == nil {
		return false
	}
	_, ok := bus.pubs[i]
	return ok
}

// reconnecting is the configuration of a client that stays connected: it
// dials the broker anew on every attempt (a restarted container may be
// published on another port) and tries again every mqttReconnect.
func reconnecting(clientID string, dial func(context.Context) (net.Conn, error)) autopaho.ClientConfig {
	u, _ := url.Parse("mqtt://broker")
	return autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              autopaho.NewConstantBackoff(mqttReconnect),
		ConnectTimeout:                5 * time.Second,
		AttemptConnection: func(ctx context.Context, _ autopaho.ClientConfig, _ *url.URL) (net.Conn, error) {
			conn, err := dial(ctx)
			if err != nil {
				return nil, err
			}
			return packets.NewThreadSafeConn(conn), nil
		},
		ClientConfig: paho.ClientConfig{ClientID: clientID},
	}
}

// dialBroker returns how participant from (a node id, or "") connects to
// broker b: on the run's shaped network when b is a container that offers
// it, else at the address b answers on now.
func dialBroker(b node.MQTTBroker, from string) func(context.Context) (net.Conn, error) {
	if fd, ok := b.(node.FromDialer); ok {
		return func(ctx context.Context) (net.Conn, error) { return fd.DialMQTTFrom(ctx, from) }
	}
	return func(ctx context.Context) (net.Conn, error) {
		a, err := b.BrokerAddr(ctx)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", a)
	}
}

// connect starts a client of node from that stays connected: it dials the
// broker anew on every attempt (a restarted container may be published
// on another port) and, for a gateway, subscribes to sensor/# on every
// connection, reporting the first subscription on subscribed.
func (bus *mqttBus) connect(ctx context.Context, from, clientID string, onMsg func(paho.PublishReceived) (bool, error), subscribed chan error) (*autopaho.ConnectionManager, error) {
	cfg := reconnecting(clientID, dialBroker(bus.broker, from))
	if onMsg != nil {
		cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){onMsg}
		first := true
		cfg.OnConnectionUp = func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			report := first
			first = false
			go func() {
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, err := cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "sensor/#", QoS: 0}}})
				if report {
					subscribed <- err
				}
			}()
		}
	}
	// The client lives until close, not until ctx (which bounds the first
	// connection only).
	cm, err := autopaho.NewConnection(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting %s to the MQTT broker: %w", clientID, err)
	}
	bus.conns = append(bus.conns, cm)
	if err := cm.AwaitConnection(ctx); err != nil {
		return nil, fmt.Errorf("connecting %s to the MQTT broker at %s: %w", clientID, bus.res.Address, err)
	}
	return cm, nil
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
		payload, err := readingBody(p.mq.Payload, p.id, p.sensorType, e)
		if err != nil {
			return err
		}
		topic := node.Render(p.topic, p.id, p.sensorType, e.Seq, e.Value, e.TimeUS)
		key := topic + "#" + strconv.FormatInt(e.Seq, 10)
		now := time.Now()
		bus.obs.sentReading(p.id, e.Seq, now)
		// A reading in the app's own terms (config.mqtt) may not reach the
		// built-in gateways: it is published, not expected there.
		expect := int64(len(bus.subs))
		if p.mq.Custom {
			expect = 0
		}
		bus.mu.Lock()
		bus.sent[key] = now
		bus.res.Published++
		p.n.Published++
		bus.res.Expected += expect
		bus.mu.Unlock()
		if _, err := p.client.Publish(ctx, &paho.Publish{Topic: topic, QoS: p.mq.QoS, Retain: p.mq.Retain, Payload: payload}); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The broker is down (crashed, restarting): the reading is
			// lost, as it would be on a device, and counted as such.
			bus.mu.Lock()
			delete(bus.sent, key)
			bus.res.Failed++
			p.n.Failed++
			bus.res.Expected -= expect
			bus.mu.Unlock()
		}
	}
	return nil
}

// readingBody is a reading as a device sends it: tmpl filled in, or the
// default JSON reading (upstream's SensorNode fields, the unit, the sample
// number and the virtual time).
func readingBody(tmpl, id, sensorType string, e *event.Event) ([]byte, error) {
	if tmpl != "" {
		return []byte(node.Render(tmpl, id, sensorType, e.Seq, e.Value, e.TimeUS)), nil
	}
	b, err := json.Marshal(map[string]any{
		"sensor_id":   id,
		sensorType:    e.Value,
		"unit":        e.Unit,
		"sample_id":   e.Seq,
		"time_us":     e.TimeUS,
		"timestamp":   float64(e.TimeUS) / 1e6,
		"sensor_type": sensorType,
	})
	if err != nil {
		return nil, fmt.Errorf("encoding the reading of %q: %w", id, err)
	}
	return b, nil
}

func (bus *mqttBus) received(gateway, topic string, payload []byte) {
	now := time.Now()
	var m mqttPayload
	if err := json.Unmarshal(payload, &m); err != nil || m.SensorID == "" {
		return // not one of ours
	}
	bus.mu.Lock()
	defer bus.mu.Unlock()
	if bus.expired {
		return
	}
	sent, ours := bus.sent[topic+"#"+strconv.FormatInt(m.SampleID, 10)]
	if !ours {
		if bus.publisher(m.SensorID) {
			return // a reading of ours that failed or came late
		}
		// A sensor container's reading: its latency runs from the wall
		// clock time it stamped, when that is plausible.
		sent = time.Time{}
		if m.Timestamp > 1e9 {
			sent = time.UnixMicro(int64(m.Timestamp * 1e6))
		}
	}
	k := [2]string{m.SensorID, gateway}
	r := bus.routes[k]
	if r == nil {
		r = &MQTTRoute{Src: m.SensorID, Dst: gateway, External: !ours}
		bus.routes[k] = r
		bus.res.Routes = append(bus.res.Routes, r)
	}
	r.Received++
	if d := now.Sub(sent); !sent.IsZero() && d >= 0 && d < time.Minute {
		r.Latencies = append(r.Latencies, d)
	}
	if ours {
		bus.res.Received++
	}
}

// publisher tells whether id is one of the built-in sensors.
func (bus *mqttBus) publisher(id string) bool { return bus.ids[id] }

// drain waits until every published message reached every subscriber, or
// the timeout, and returns the result. Later arrivals are not counted. A
// broker that crashed loses what it held (QoS 0), so the wait also ends
// when nothing arrived for mqttQuiet.
func (bus *mqttBus) drain(ctx context.Context, timeout time.Duration) (*MQTTResult, error) {
	progress := func() (int64, bool) {
		bus.mu.Lock()
		defer bus.mu.Unlock()
		return bus.res.Received, bus.res.Received >= bus.res.Expected
	}
	var err error
	deadline := time.Now().Add(timeout)
	last, lastAt := int64(-1), time.Now()
	tick := time.NewTicker(2 * time.Millisecond)
	for err == nil && time.Now().Before(deadline) {
		n, complete := progress()
		if complete {
			break
		}
		if n != last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) > mqttQuiet {
			break
		}
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

// close disconnects every client and stops its reconnecting. Errors are of
// no interest: the broker stops right after.
func (bus *mqttBus) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range bus.conns {
		_ = c.Disconnect(ctx)
	}
}

// connectMQTT finds the scenario's MQTT broker (the first, if several): an
// embedded one or a broker container. It connects the built-in sensors and
// gateways to it, and returns a nil bus when the scenario has no broker.
func connectMQTT(ctx context.Context, sc *scenario.Scenario, nodes []node.Node) (*mqttBus, []scenario.Diagnostic, error) {
	var (
		broker node.MQTTBroker
		warns  []scenario.Diagnostic
	)
	for i, n := range nodes {
		b, ok := n.(node.MQTTBroker)
		if !ok || !b.IsMQTTBroker() {
			continue
		}
		pos := entryOf(sc, i).Pos
		if e, ok := b.(*node.Broker); ok && e.Moved() {
			warns = append(warns, scenario.Diagnostic{Pos: pos, Severity: scenario.SeverityWarning, Key: "port",
				Message: fmt.Sprintf("node %q: port %d is taken; the embedded MQTT broker listens on %s instead", e.ID(), e.Port(), e.Addr())})
		}
		if broker != nil && observed(sc, b.ID()) {
			continue // it serves containers and observers
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

// observed tells whether an observer subscribes at broker id.
func observed(sc *scenario.Scenario, id string) bool {
	for _, o := range sc.Observers {
		if o.MQTT != nil && o.MQTT.Node == id {
			return true
		}
	}
	return false
}
