package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/google/go-cmp/cmp"
	mqtt "github.com/xedgesim/simulate/internal/third_party/mochi"
	"github.com/xedgesim/simulate/internal/third_party/mochi/hooks/auth"
	"github.com/xedgesim/simulate/internal/third_party/mochi/listeners"
)

func TestAggregator(t *testing.T) {
	a := NewAggregator()
	for _, m := range []struct {
		topic, payload string
		ok             bool
	}{
		{"sensor/s1/temperature", `{"sensor_id":"s1","temperature":20}`, true},
		{"sensor/s1/temperature", `{"sensor_id":"s1","temperature":24}`, true},
		{"sensor/s2/humidity", `{"sensor_id":"s2","humidity":40.5}`, true},
		{"sensor/s1/temperature", `not json`, false},
		{"sensor/s1/temperature", `{"humidity":1}`, false},
		{"sensor/s1", `{"s1":1}`, false},
	} {
		if got := a.Add(m.topic, []byte(m.payload)); got != m.ok {
			t.Errorf("Add(%s, %s) = %v, want %v", m.topic, m.payload, got, m.ok)
		}
	}
	want := []Stats{
		{Sensor: "s1", Type: "temperature", Count: 2, Mean: 22, Min: 20, Max: 24},
		{Sensor: "s2", Type: "humidity", Count: 1, Mean: 40.5, Min: 40.5, Max: 40.5},
	}
	if diff := cmp.Diff(want, a.Snapshot()); diff != "" {
		t.Errorf("Snapshot() mismatch (-want +got):\n%s", diff)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestGatewayAggregatesThroughBroker runs the gateway against a real
// broker, publishes readings, and reads the aggregates over HTTP.
func TestGatewayAggregatesThroughBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_ = s.AddHook(new(auth.AllowHook), nil)
	if err := s.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	addr, httpAddr := ln.Addr().String(), freeAddr(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	gctx, stop := context.WithCancel(ctx)
	go func() {
		done <- run(gctx, []string{"-broker", addr, "-id", "g1", "-http", httpAddr, "-interval", "100ms"})
	}()
	get := func(path string) (int, []byte) {
		resp, err := http.Get("http://" + httpAddr + path)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for code, _ := get("/healthz"); code != http.StatusOK; code, _ = get("/healthz") {
		if ctx.Err() != nil {
			t.Fatal("the gateway never became healthy")
		}
		time.Sleep(20 * time.Millisecond)
	}

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := paho.NewClient(paho.ClientConfig{ClientID: "pub", Conn: conn})
	if _, err := c.Connect(ctx, &paho.Connect{ClientID: "pub", CleanStart: true, KeepAlive: 30}); err != nil {
		t.Fatal(err)
	}
	for i, v := range []float64{18, 22, 20} {
		payload := fmt.Sprintf(`{"sensor_id":"s1","temperature":%g,"sample_id":%d}`, v, i+1)
		if _, err := c.Publish(ctx, &paho.Publish{Topic: "sensor/s1/temperature", Payload: []byte(payload)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = c.Disconnect(&paho.Disconnect{})
	// A device without MQTT posts its readings; one that is no reading is
	// refused.
	for body, code := range map[string]int{`{"sensor_id":"s2","humidity":40,"sample_id":7}`: http.StatusAccepted, `{"humidity":"wet"}`: http.StatusBadRequest} {
		resp, err := http.Post("http://"+httpAddr+"/readings/s2/humidity", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("POST %s: %s, want %d", body, resp.Status, code)
		}
	}
	want := []Stats{{Sensor: "s1", Type: "temperature", Count: 3, Mean: 20, Min: 18, Max: 22, Seq: 3},
		{Sensor: "s2", Type: "humidity", Count: 1, Mean: 40, Min: 40, Max: 40, Seq: 7}}
	var got []Stats
	for ctx.Err() == nil {
		_, b := get("/aggregates")
		if json.Unmarshal(b, &got) == nil && len(got) == 2 && got[0].Count == 3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("aggregates mismatch (-want +got):\n%s", diff)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("run() = %v", err)
	}
}
