package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
)

func TestMQTTMetrics(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var d []time.Duration
		for _, v := range n {
			d = append(d, time.Duration(v)*time.Millisecond)
		}
		return d
	}
	res := &sim.Result{MQTT: &sim.MQTTResult{
		Published: 4, Received: 7, Expected: 8,
		Publishers:  []sim.MQTTPublisher{{ID: "s1", Published: 2}, {ID: "s2", Published: 2}},
		Subscribers: []string{"g1", "g2"},
		Routes: []*sim.MQTTRoute{
			{Src: "s1", Dst: "g1", Received: 2, Latencies: ms(1, 3)},
			{Src: "s1", Dst: "g2", Received: 2, Latencies: ms(2, 2)},
			{Src: "s2", Dst: "g1", Received: 2, Latencies: ms(4, 4)},
			{Src: "s2", Dst: "g2", Received: 1, Latencies: ms(20)},
		},
	}}
	s := New(res)
	for _, c := range []struct {
		metric string
		where  scenario.Scope
		want   float64
	}{
		{"mqtt_published", scenario.Scope{}, 4},
		{"mqtt_published", scenario.Scope{Src: "s1"}, 2},
		{"mqtt_received", scenario.Scope{}, 7},
		{"mqtt_received", scenario.Scope{Dst: "g2"}, 3},
		{"mqtt_delivery_rate", scenario.Scope{}, 7.0 / 8},
		{"mqtt_delivery_rate", scenario.Scope{Dst: "g1"}, 1},
		{"mqtt_delivery_rate", scenario.Scope{Src: "s2", Dst: "g2"}, 0.5},
		{"mqtt_latency_avg_ms", scenario.Scope{Src: "s1"}, 2},
		{"mqtt_latency_p95_ms", scenario.Scope{}, 20},
		{"mqtt_latency_p95_ms", scenario.Scope{Dst: "g1"}, 4},
	} {
		got, err := s.Value(c.metric, c.where)
		if err != nil || got != c.want {
			t.Errorf("%s %+v = %v, %v; want %v", c.metric, c.where, got, err, c.want)
		}
	}
	if _, err := New(&sim.Result{}).Value("mqtt_delivery_rate", scenario.Scope{}); !errors.Is(err, ErrNoData) {
		t.Errorf("without a broker: err %v, want ErrNoData", err)
	}
}

// A sensor container's readings count as received, by its id, but not in
// the delivery rate of the built-in sensors' published readings.
func TestMQTTContainerReadings(t *testing.T) {
	res := &sim.Result{MQTT: &sim.MQTTResult{
		Published: 2, Received: 2, Expected: 2,
		Publishers:  []sim.MQTTPublisher{{ID: "s1", Published: 2}},
		Subscribers: []string{"g1"},
		Routes: []*sim.MQTTRoute{
			{Src: "s1", Dst: "g1", Received: 2, Latencies: []time.Duration{time.Millisecond, time.Millisecond}},
			{Src: "c1", Dst: "g1", Received: 5, External: true, Latencies: []time.Duration{3 * time.Millisecond}},
		},
	}}
	s := New(res)
	for _, c := range []struct {
		metric string
		where  scenario.Scope
		want   float64
	}{
		{"mqtt_received", scenario.Scope{Src: "c1"}, 5},
		{"mqtt_received", scenario.Scope{}, 7},
		{"mqtt_delivery_rate", scenario.Scope{}, 1},
		{"mqtt_latency_avg_ms", scenario.Scope{Src: "c1"}, 3},
	} {
		if got, err := s.Value(c.metric, c.where); err != nil || got != c.want {
			t.Errorf("%s %+v = %g, %v; want %g", c.metric, c.where, got, err, c.want)
		}
	}
}
