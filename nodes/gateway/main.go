// Command gateway is the gateway node as a container: it subscribes to
// sensor/# on an MQTT broker, aggregates the readings per sensor (count,
// mean, min, max), and every interval publishes the aggregates as JSON to
// gateway/<id>/aggregate and logs them. It serves them over HTTP too, with
// a health check, so a scenario can wait for it and a test can read them,
// and takes readings over HTTP as well (POST /readings/<sensor>/<type>).
//
//	gateway -broker mqtt-broker:1883 -id gateway1
//	gateway -interval 5s -http :8080
//	gateway -uplink cloud:1883      also publish the aggregates upstream
//
// Defaults come from MQTT_BROKER_HOST, MQTT_BROKER_PORT, MQTT_UPLINK and
// XEDGESIM_NODE_ID, as for the sensor. The uplink is a second broker (the
// cloud) that gets the same aggregates; the gateway starts without it and
// connects, and reconnects, on its own.
//
// Each aggregate carries seq, the sample_id of the sensor's latest reading,
// so a gate can follow a reading from the device to the gateway's output.
//
// GATEWAY_BREAK breaks the gateway on purpose, to show that a gate catches
// it: "silent" never publishes aggregates, "no-resubscribe" subscribes on
// the first connection only (readings stop after a broker restart), "leak"
// holds on to about 1 MiB more memory with every reading, "no-uplink-
// reconnect" gives the uplink up once its connection is lost.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// Stats aggregates one sensor's readings.
type Stats struct {
	Sensor string  `json:"sensor"`
	Type   string  `json:"type"`
	Count  int64   `json:"count"`
	Mean   float64 `json:"mean"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Seq is the sample_id of the latest reading.
	Seq int64 `json:"seq"`
}

// Aggregator keeps the aggregates of every sensor heard from.
type Aggregator struct {
	mu      sync.Mutex
	sensors map[string]*Stats
	skipped int64 // messages that were no reading
	// brk is GATEWAY_BREAK; leaked is what "leak" holds on to.
	brk    string
	leaked [][]byte
}

func NewAggregator() *Aggregator { return &Aggregator{sensors: map[string]*Stats{}} }

// Add takes a message on sensor/<id>/<type>: the reading is the payload's
// <type> value. It reports whether the message was a reading.
func (a *Aggregator) Add(topic string, payload []byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	parts := strings.Split(topic, "/")
	var m map[string]any
	if len(parts) != 3 || parts[0] != "sensor" || json.Unmarshal(payload, &m) != nil {
		a.skipped++
		return false
	}
	v, ok := m[parts[2]].(float64)
	if !ok || math.IsNaN(v) {
		a.skipped++
		return false
	}
	key := parts[1] + "/" + parts[2]
	s := a.sensors[key]
	if s == nil {
		s = &Stats{Sensor: parts[1], Type: parts[2], Min: v, Max: v}
		a.sensors[key] = s
	}
	if seq, ok := m["sample_id"].(float64); ok {
		s.Seq = int64(seq)
	}
	if a.brk == "leak" {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = byte(i) // touched, so it is resident
		}
		a.leaked = append(a.leaked, b)
	}
	s.Count++
	s.Mean += (v - s.Mean) / float64(s.Count)
	s.Min, s.Max = min(s.Min, v), max(s.Max, v)
	return true
}

// Snapshot returns the aggregates, by sensor and type.
func (a *Aggregator) Snapshot() []Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Stats, 0, len(a.sensors))
	for _, s := range a.sensors {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Sensor != out[j].Sensor {
			return out[i].Sensor < out[j].Sensor
		}
		return out[i].Type < out[j].Type
	})
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	broker := fs.String("broker", net.JoinHostPort(envOr("MQTT_BROKER_HOST", "localhost"), envOr("MQTT_BROKER_PORT", "1883")), "MQTT broker host:port")
	id := fs.String("id", envOr("XEDGESIM_NODE_ID", "gateway1"), "gateway id")
	interval := fs.Duration("interval", 5*time.Second, "time between aggregate reports")
	httpAddr := fs.String("http", ":8080", "address of /healthz and /aggregates (empty: none)")
	uplink := fs.String("uplink", os.Getenv("MQTT_UPLINK"), "MQTT broker host:port that also gets the aggregates (empty: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *interval <= 0 {
		return errors.New("-interval must be positive")
	}
	agg := NewAggregator()
	agg.brk = os.Getenv("GATEWAY_BREAK")
	up := make(chan struct{})
	var once sync.Once
	cm, err := connect(ctx, *broker, "gateway_"+*id, agg, func() { once.Do(func() { close(up) }) })
	if err != nil {
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = cm.Disconnect(dctx)
	}()
	clients := []*autopaho.ConnectionManager{cm}
	if *uplink != "" {
		ul, err := connectUplink(ctx, *uplink, "gateway_"+*id+"_uplink", agg.brk != "no-uplink-reconnect")
		if err != nil {
			return err
		}
		defer func() {
			dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = ul.Disconnect(dctx)
		}()
		clients = append(clients, ul)
	}
	if *httpAddr != "" {
		srv, err := serve(*httpAddr, agg, up)
		if err != nil {
			return err
		}
		defer srv.Close()
	}
	fmt.Fprintf(os.Stderr, "gateway: %s subscribed to sensor/# on %s\n", *id, *broker)
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			report(ctx, clients, *id, agg)
			return nil
		case <-tick.C:
			report(ctx, clients, *id, agg)
		}
	}
}

// report logs the aggregates and publishes them to gateway/<id>/aggregate
// on the broker and the uplink.
func report(ctx context.Context, clients []*autopaho.ConnectionManager, id string, agg *Aggregator) {
	b, _ := json.Marshal(agg.Snapshot())
	fmt.Fprintf(os.Stderr, "gateway: %s aggregates %s\n", id, b)
	if agg.brk == "silent" {
		return
	}
	for _, cm := range clients {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_, _ = cm.Publish(pctx, &paho.Publish{Topic: "gateway/" + id + "/aggregate", QoS: 0, Payload: b})
		cancel()
	}
}

// connectUplink starts a client of the uplink broker that keeps
// reconnecting (unless told not to); it does not wait for the first
// connection. Its keep-alive finds a dead link within seconds, and each
// attempt gives up after 2 s, so it is back soon after the link is.
func connectUplink(ctx context.Context, broker, clientID string, reconnect bool) (*autopaho.ConnectionManager, error) {
	u, err := url.Parse("mqtt://" + broker)
	if err != nil {
		return nil, err
	}
	return autopaho.NewConnection(ctx, autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     5,
		ConnectTimeout:                2 * time.Second,
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              autopaho.NewConstantBackoff(250 * time.Millisecond),
		OnConnectionUp: func(*autopaho.ConnectionManager, *paho.Connack) {
			fmt.Fprintf(os.Stderr, "gateway: uplink %s connected\n", broker)
		},
		OnConnectionDown: func() bool {
			fmt.Fprintf(os.Stderr, "gateway: uplink %s lost\n", broker)
			return reconnect
		},
		ClientConfig: paho.ClientConfig{ClientID: clientID},
	})
}

// connect subscribes to sensor/# on every connection; ready is called once
// the first subscription holds.
func connect(ctx context.Context, broker, clientID string, agg *Aggregator, ready func()) (*autopaho.ConnectionManager, error) {
	u, err := url.Parse("mqtt://" + broker)
	if err != nil {
		return nil, err
	}
	var subscribed atomic.Bool
	cm, err := autopaho.NewConnection(ctx, autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              autopaho.NewConstantBackoff(250 * time.Millisecond),
		OnConnectionUp: func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
			if agg.brk == "no-resubscribe" && subscribed.Load() {
				return
			}
			subscribed.Store(true)
			go func() {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				if _, err := cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "sensor/#", QoS: 0}}}); err != nil {
					fmt.Fprintln(os.Stderr, "gateway: subscribing to sensor/#:", err)
					return
				}
				ready()
			}()
		},
		ClientConfig: paho.ClientConfig{ClientID: clientID,
			OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
				agg.Add(pr.Packet.Topic, pr.Packet.Payload)
				return true, nil
			}}},
	})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := cm.AwaitConnection(wctx); err != nil {
		return nil, fmt.Errorf("connecting to the MQTT broker at %s: %w", broker, err)
	}
	return cm, nil
}

// serve answers /healthz (200 once subscribed) and /aggregates (JSON).
func serve(addr string, agg *Aggregator, up <-chan struct{}) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-up:
			fmt.Fprintln(w, "ok")
		default:
			http.Error(w, "not subscribed yet", http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/aggregates", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(agg.Snapshot())
	})
	// A reading over HTTP, for devices that do not speak MQTT: the body is
	// what they would publish on sensor/<sensor>/<type>.
	mux.HandleFunc("POST /readings/{sensor}/{type}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil || !agg.Add("sensor/"+r.PathValue("sensor")+"/"+r.PathValue("type"), body) {
			http.Error(w, "not a reading: want JSON with a number under the type's key", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}
