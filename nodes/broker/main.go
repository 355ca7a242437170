// Command broker is the MQTT broker node: mochi-mqtt with anonymous access,
// MQTT over TCP on :1883 and an HTTP health check on :8080/healthcheck, for
// the sensors and gateways of example scenarios.
//
//	broker                                 MQTT on :1883, health on :8080
//	broker -mqtt :11883 -health ""         other port, no health check
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	mqtt "github.com/xedgesim/simulate/internal/third_party/mochi"
	"github.com/xedgesim/simulate/internal/third_party/mochi/hooks/auth"
	"github.com/xedgesim/simulate/internal/third_party/mochi/listeners"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	addr := fs.String("mqtt", ":1883", "MQTT TCP address")
	health := fs.String("health", ":8080", "HTTP health check address (empty: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := newServer(*addr, *health, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	if err := s.Serve(); err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Fprintln(os.Stderr, "broker: MQTT on", *addr)
	<-ctx.Done()
	return s.Close()
}

// newServer configures the broker: anonymous clients, a TCP listener and
// optionally the health check.
func newServer(addr, health string, log *slog.Logger) (*mqtt.Server, error) {
	s := mqtt.New(&mqtt.Options{Logger: log, InlineClient: true})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("adding auth hook: %w", err)
	}
	if err := s.AddListener(listeners.NewTCP(listeners.Config{ID: "tcp", Address: addr})); err != nil {
		return nil, fmt.Errorf("adding MQTT listener: %w", err)
	}
	if health != "" {
		if err := s.AddListener(listeners.NewHTTPHealthCheck(listeners.Config{ID: "health", Address: health})); err != nil {
			return nil, fmt.Errorf("adding health check: %w", err)
		}
	}
	return s, nil
}
