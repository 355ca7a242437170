package sim

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// An observer on the embedded broker sees every reading the sensor
// publishes and follows each back to its send by sensor_id and sample_id.
func TestObserverFollowsReadingsThroughRealBroker(t *testing.T) {
	sc := loadMQTTScenario(t)
	sc.Observers = []scenario.Observer{
		{Name: "readings", MQTT: &scenario.ObserveMQTT{Node: "mqtt-broker", Topic: "sensor/+/temperature"},
			Correlate: &scenario.Correlate{Field: "sample_id", Device: "sensor_id"}},
		{Name: "nothing", MQTT: &scenario.ObserveMQTT{Node: "mqtt-broker", Topic: "gateway/#"}},
	}
	res, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Observers) != 2 {
		t.Fatalf("observers: %+v", res.Observers)
	}
	o := res.Observers[0]
	if o.Messages != 59 || o.Correlated != 59 || o.E2E == nil || o.E2E.Max < o.E2E.P50 || len(o.Bodies) != 59 {
		t.Errorf("readings observer: %d messages, %d correlated, e2e %+v, %d bodies; want 59 of each", o.Messages, o.Correlated, o.E2E, len(o.Bodies))
	}
	if o.Source != "mqtt mqtt-broker sensor/+/temperature" {
		t.Errorf("source %q", o.Source)
	}
	if n := res.Observers[1]; n.Messages != 0 || n.E2E != nil || n.GapMaxS < n.WindowS-0.001 {
		t.Errorf("an observer that saw nothing: %+v; want no messages and a gap of the whole window", n)
	}
}

func TestField(t *testing.T) {
	t.Parallel()
	var body any
	if err := json.Unmarshal([]byte(`{"a": {"b": [{"c": 1, "s": "x"}, {"c": 2, "s": "y"}, {"d": 3}]}, "n": null, "t": true}`), &body); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]any{
		"a.b.c":   {1.0, 2.0},
		"a.b.1.c": {2.0},
		"a.b.9.c": nil,
		"a.x":     nil,
		"t":       {true},
		"n":       {nil},
		"t.x":     nil,
	} {
		if diff := cmp.Diff(want, Field(body, path)); diff != "" {
			t.Errorf("Field(%s) (-want +got):\n%s", path, diff)
		}
	}
	if diff := cmp.Diff([]string{"x\x001", "y\x002"}, pairKeys(body, []string{"a", "b", "s"}, []string{"a", "b", "c"})); diff != "" {
		t.Errorf("pairKeys (-want +got):\n%s", diff)
	}
}

func TestGapMax(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, tc := range []struct {
		name string
		ts   []time.Time
		want float64
	}{
		{"nothing: the whole window", nil, 10},
		{"a silence in the middle", []time.Time{at(1), at(2), at(6.5), at(9)}, 4.5},
		{"silent at the end", []time.Time{at(1), at(2)}, 8},
		{"late arrivals do not count", []time.Time{at(3), at(12)}, 7},
	} {
		if got := gapMax(t0, at(10), tc.ts); got != tc.want {
			t.Errorf("%s: gapMax = %g, want %g", tc.name, got, tc.want)
		}
	}
}

func TestE2ELatencies(t *testing.T) {
	t.Parallel()
	var lat []time.Duration
	for i := 1; i <= 20; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	want := &E2ELatencyMS{Avg: 10.5, P50: 10, P95: 19, Max: 20}
	if diff := cmp.Diff(want, e2e(lat)); diff != "" {
		t.Errorf("e2e (-want +got):\n%s", diff)
	}
}

// A sensor that speaks the app's language (config.mqtt) publishes on its
// topic with its payload; an observer of that topic follows each reading
// by the sequence number the payload carries.
func TestSensorPublishesInTheAppsTerms(t *testing.T) {
	sc := loadMQTTScenario(t)
	sc.Nodes[1].Config["mqtt"] = map[string]any{
		"topic":   "devices/{id}/telemetry",
		"payload": `{"n": {seq}, "v": {value}, "ms": {time_ms}, "kind": "{type}"}`,
		"qos":     1,
	}
	sc.Observers = []scenario.Observer{{Name: "telemetry", MQTT: &scenario.ObserveMQTT{Node: "mqtt-broker", Topic: "devices/+/telemetry", QoS: 1},
		Correlate: &scenario.Correlate{Field: "n"}}}
	res, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	o := res.Observers[0]
	if o.Messages != 59 || o.Correlated != 59 || o.NotJSON != 0 {
		t.Errorf("telemetry observer: %d messages, %d correlated, %d not JSON; want 59, 59, 0", o.Messages, o.Correlated, o.NotJSON)
	}
	first, ok := o.Bodies[0].(map[string]any)
	if !ok || first["kind"] != "temperature" || first["ms"] == nil || first["v"] == nil {
		t.Errorf("first body %v", o.Bodies[0])
	}
	if p := res.MQTT.Publishers[0]; p.Topic != "devices/sensor1/telemetry" || p.Published != 59 {
		t.Errorf("publisher %+v", p)
	}
	// The built-in gateway listens on sensor/#: nothing is expected there.
	if res.MQTT.Expected != 0 || res.MQTT.TimedOut {
		t.Errorf("MQTT expected %d, timed out %v; want 0, false", res.MQTT.Expected, res.MQTT.TimedOut)
	}
}
