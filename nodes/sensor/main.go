// Command sensor is the sensor node as a container: it publishes a reading
// every interval to sensor/<id>/<type> on an MQTT broker, with upstream's
// JSON payload ({"sensor_id", "<type>": value, "timestamp"} plus unit and
// sample_id), at QoS 0. It reconnects when the broker goes away.
//
//	sensor -broker mqtt-broker:1883 -id sensor1
//	sensor -type humidity -mean 45 -stddev 5 -interval 500ms -count 20
//
// Defaults come from the environment upstream's containers read:
// MQTT_BROKER_HOST, MQTT_BROKER_PORT, and XEDGESIM_NODE_ID for the id.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/signal"
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
		fmt.Fprintln(os.Stderr, "sensor:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	broker       string
	id, kind     string
	unit         string
	mean, stddev float64
	interval     time.Duration
	count        int
	seed         uint64
}

func parse(args []string) (config, error) {
	fs := flag.NewFlagSet("sensor", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.broker, "broker", brokerFromEnv(), "MQTT broker host:port")
	fs.StringVar(&c.id, "id", envOr("XEDGESIM_NODE_ID", "sensor1"), "sensor id (the topic's second level)")
	fs.StringVar(&c.kind, "type", "temperature", "sensor type (the topic's third level and the value's key)")
	fs.StringVar(&c.unit, "unit", "C", "unit of the readings")
	fs.Float64Var(&c.mean, "mean", 20, "mean of the readings")
	fs.Float64Var(&c.stddev, "stddev", 2, "standard deviation of the readings")
	fs.DurationVar(&c.interval, "interval", time.Second, "time between readings")
	fs.IntVar(&c.count, "count", 0, "readings to publish before exiting (0: until stopped)")
	fs.Uint64Var(&c.seed, "seed", 42, "random seed")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.interval <= 0 || c.count < 0 || c.stddev < 0 {
		return c, fmt.Errorf("-interval must be positive, -count and -stddev not negative")
	}
	if _, _, err := net.SplitHostPort(c.broker); err != nil {
		return c, fmt.Errorf("-broker %q: write host:port: %w", c.broker, err)
	}
	return c, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func brokerFromEnv() string {
	return net.JoinHostPort(envOr("MQTT_BROKER_HOST", "localhost"), envOr("MQTT_BROKER_PORT", "1883"))
}

// reading is upstream's SensorNode payload plus unit and sample number.
func reading(c config, n int, v float64, at time.Time) ([]byte, error) {
	return json.Marshal(map[string]any{
		"sensor_id": c.id,
		c.kind:      v,
		"unit":      c.unit,
		"sample_id": n,
		"timestamp": float64(at.UnixMicro()) / 1e6,
	})
}

func run(ctx context.Context, args []string) error {
	c, err := parse(args)
	if err != nil {
		return err
	}
	cm, err := connect(ctx, c.broker, "sensor_"+c.id)
	if err != nil {
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = cm.Disconnect(dctx)
	}()
	topic := "sensor/" + c.id + "/" + c.kind
	fmt.Fprintf(os.Stderr, "sensor: %s publishing to %s on %s every %s\n", c.id, topic, c.broker, c.interval)
	rng := rand.New(rand.NewPCG(c.seed, 0)) // #nosec G404 -- simulated readings from the scenario's seed: reproducible on purpose, no secret
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	sent, lost := 0, 0
	for n := 1; c.count == 0 || n <= c.count; n++ {
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "sensor: %s stopped: %d published, %d lost\n", c.id, sent, lost)
			return nil
		case now := <-tick.C:
			payload, err := reading(c, n, c.mean+c.stddev*rng.NormFloat64(), now)
			if err != nil {
				return err
			}
			if _, err := cm.Publish(ctx, &paho.Publish{Topic: topic, QoS: 0, Payload: payload}); err != nil {
				// The broker is away; the reading is lost, as on a device.
				lost++
				continue
			}
			sent++
		}
	}
	fmt.Fprintf(os.Stderr, "sensor: %s done: %d published, %d lost\n", c.id, sent, lost)
	return nil
}

// connect starts a client that reconnects on its own, and waits for the
// first connection.
func connect(ctx context.Context, broker, clientID string) (*autopaho.ConnectionManager, error) {
	u, err := url.Parse("mqtt://" + broker)
	if err != nil {
		return nil, err
	}
	cm, err := autopaho.NewConnection(ctx, autopaho.ClientConfig{
		ServerUrls:                    []*url.URL{u},
		KeepAlive:                     30,
		CleanStartOnInitialConnection: true,
		ReconnectBackoff:              autopaho.NewConstantBackoff(250 * time.Millisecond),
		ClientConfig:                  paho.ClientConfig{ClientID: clientID},
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
