package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"

	mqtt "github.com/xedgesim/simulate/internal/third_party/mochi"
	"github.com/xedgesim/simulate/internal/third_party/mochi/hooks/auth"
	"github.com/xedgesim/simulate/internal/third_party/mochi/listeners"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// ModelMQTTBroker runs a real MQTT broker in the simulator's process.
const ModelMQTTBroker = "mqtt_broker"

// IsBrokerType reports whether a node type names an MQTT broker.
func IsBrokerType(t string) bool {
	t = strings.ToLower(t)
	return t == "broker" || t == "mqtt_broker" || t == "mqtt-broker"
}

// Broker is an embedded MQTT broker (mochi-mqtt, anonymous, MQTT over TCP
// on 127.0.0.1). It is started with the other nodes, before the clock, and
// stopped when the node is closed. In the simulated network it is a sink:
// it counts the messages routed to it.
type Broker struct {
	Sink
	port   int
	server *mqtt.Server
	addr   string
	moved  bool
}

var (
	_ Node       = (*Broker)(nil)
	_ MQTTBroker = (*Broker)(nil)
)

// MQTTBroker is a node the built-in sensors publish to and the built-in
// gateways subscribe at: the embedded broker, or a broker container.
type MQTTBroker interface {
	Node
	// IsMQTTBroker reports whether the node is one (a docker node is when
	// its type names a broker).
	IsMQTTBroker() bool
	// BrokerAddr returns the host:port the broker answers on now; a
	// restarted container may answer on another one.
	BrokerAddr(ctx context.Context) (string, error)
}

// NewBroker builds an embedded broker listening on port (0: any free one).
func NewBroker(id string, port int) *Broker {
	return &Broker{Sink: Sink{id: id, stats: Stats{Model: ModelMQTTBroker}}, port: port}
}

// Start implements Node: listen on 127.0.0.1:port, or on a free port when
// that one is taken (Addr says which), and serve.
func (b *Broker) Start(_ context.Context, _ Env) error {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)))
	if err != nil && b.port != 0 {
		b.moved = true
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("embedded MQTT broker: %w", err)
	}
	b.addr = ln.Addr().String()
	s := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		_ = ln.Close()
		return fmt.Errorf("embedded MQTT broker: %w", err)
	}
	if err := s.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		_ = ln.Close()
		return fmt.Errorf("embedded MQTT broker: %w", err)
	}
	if err := s.Serve(); err != nil {
		_ = s.Close()
		return fmt.Errorf("embedded MQTT broker: %w", err)
	}
	b.server = s
	return nil
}

// ListenOn makes the started broker listen on ip too, at its scenario
// port (BrokerPortOnRunNetwork without one): the host's address on the
// run's network, where containers reach it by its node id.
func (b *Broker) ListenOn(ip net.IP) error {
	if b.server == nil {
		return errors.New("the embedded MQTT broker is not started")
	}
	port := b.port
	if port == 0 {
		port = BrokerPortOnRunNetwork
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("embedded MQTT broker %q on the run's network: %w", b.ID(), err)
	}
	l := listeners.NewNet("run-network", ln)
	if err := b.server.AddListener(l); err != nil {
		_ = ln.Close()
		return fmt.Errorf("embedded MQTT broker %q on the run's network: %w", b.ID(), err)
	}
	b.server.Listeners.Serve(l.ID(), b.server.EstablishConnection)
	return nil
}

// Addr returns the host:port the broker listens on, once started.
func (b *Broker) Addr() string { return b.addr }

// IsMQTTBroker implements MQTTBroker.
func (b *Broker) IsMQTTBroker() bool { return true }

// BrokerAddr implements MQTTBroker.
func (b *Broker) BrokerAddr(context.Context) (string, error) {
	if b.addr == "" {
		return "", errors.New("the embedded MQTT broker is not started")
	}
	return b.addr, nil
}

// Moved reports whether the configured port was taken, so the broker
// listens on another one.
func (b *Broker) Moved() bool { return b.moved }

// Port returns the configured port (0: none).
func (b *Broker) Port() int { return b.port }

// Close implements Node: stop the broker and drop its clients.
func (b *Broker) Close() error {
	if b.server == nil {
		return nil
	}
	s := b.server
	b.server = nil
	if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("stopping the embedded MQTT broker: %w", err)
	}
	return nil
}

func newBrokerNode(n scenario.Node) *Broker {
	port := 0
	if n.HasPort {
		port = n.Port
	}
	return NewBroker(n.ID, port)
}
