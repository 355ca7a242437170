package mqttcheck

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	mqtt "github.com/xedgesim/simulate/internal/third_party/mochi"
	"github.com/xedgesim/simulate/internal/third_party/mochi/hooks/auth"
	"github.com/xedgesim/simulate/internal/third_party/mochi/listeners"
)

// broker starts a real MQTT broker on loopback and returns its address.
func broker(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := mqtt.New(&mqtt.Options{InlineClient: true})
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// notMQTT accepts connections and closes them at once, like a service on
// the port that is not a broker.
func notMQTT(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestCheck(t *testing.T) {
	t.Parallel()
	good, bad := broker(t), notMQTT(t)
	tests := []struct {
		name, addr, topic, wantErr string
	}{
		{"connect", good, "", ""},
		{"round trip", good, "health/check", ""},
		{"not a broker", bad, "", "connecting"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := net.Dial("tcp", tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			err = Check(ctx, conn, tc.topic)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Check() = %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("Check() = %v, want an error about %q", err, tc.wantErr)
			}
		})
	}
}
