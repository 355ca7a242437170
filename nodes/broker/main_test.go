package main

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestBroker connects with a raw MQTT 3.1.1 CONNECT, subscribes, receives
// a message the broker publishes, and checks the health endpoint.
func TestBroker(t *testing.T) {
	t.Parallel()
	addr, health := freeAddr(t), freeAddr(t)
	s, err := newServer(addr, health, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// CONNECT: protocol MQTT level 4, clean session, keepalive 60, client id "t".
	connect := []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 1, 't'}
	if _, err := c.Write(connect); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(c, ack); err != nil || !bytes.Equal(ack, []byte{0x20, 2, 0, 0}) {
		t.Fatalf("CONNACK = %x, %v; want 20020000", ack, err)
	}
	// SUBSCRIBE id 1 to sensor/# at QoS 0.
	sub := []byte{0x82, 13, 0, 1, 0, 8, 's', 'e', 'n', 's', 'o', 'r', '/', '#', 0}
	if _, err := c.Write(sub); err != nil {
		t.Fatal(err)
	}
	suback := make([]byte, 5)
	if _, err := io.ReadFull(c, suback); err != nil || !bytes.Equal(suback, []byte{0x90, 3, 0, 1, 0}) {
		t.Fatalf("SUBACK = %x, %v", suback, err)
	}
	if err := s.Publish("sensor/1", []byte("21.5"), false, 0); err != nil {
		t.Fatal(err)
	}
	pub := make([]byte, 2+2+8+4)
	if _, err := io.ReadFull(c, pub); err != nil || pub[0] != 0x30 || string(pub[4:12]) != "sensor/1" || string(pub[12:]) != "21.5" {
		t.Fatalf("PUBLISH = %q, %v", pub, err)
	}

	resp, err := http.Get("http://" + health + "/healthcheck")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("health check: %s", resp.Status)
	}
}
