package node

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

func TestSensorMQTTConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mqtt any
		want SensorMQTT
		errs []string
	}{
		{"absent: upstream's topic and payload", nil, SensorMQTT{Topic: DefaultSensorTopic}, nil},
		{"the app's terms", map[string]any{"topic": "d/{id}", "payload": "{seq},{value}", "qos": 2, "retain": true},
			SensorMQTT{Topic: "d/{id}", Payload: "{seq},{value}", QoS: 2, Retain: true, Custom: true}, nil},
		{"mistakes", map[string]any{"topic": "d/+/{nope}", "qos": 3, "retain": "yes", "extra": 1},
			SensorMQTT{Topic: "d/+/{nope}", Custom: true},
			[]string{`unknown key "extra"`, "qos must be 0, 1 or 2", "retain must be true or false", "unknown placeholder {nope}", "has no wildcards"}},
		{"not a mapping", "sensor/x", SensorMQTT{Topic: DefaultSensorTopic}, []string{"must be a mapping"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := scenario.Node{ID: "s1", Type: "sensor", Config: map[string]any{}}
			if tc.mqtt != nil {
				n.Config["mqtt"] = tc.mqtt
			}
			c := newConfig(n)
			got := readSensorMQTT(c, "temperature")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			err := c.err()
			for _, e := range tc.errs {
				if err == nil || !strings.Contains(err.Error(), e) {
					t.Errorf("error %v does not say %q", err, e)
				}
			}
			if len(tc.errs) == 0 && err != nil {
				t.Errorf("error %v", err)
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	got := Render(`{"id":"{id}","t":"{type}","n":{seq},"v":{value},"us":{time_us},"ms":{time_ms}}`, "s1", "humidity", 7, 41.25, 3_500_123)
	want := `{"id":"s1","t":"humidity","n":7,"v":41.25,"us":3500123,"ms":3500}`
	if got != want {
		t.Errorf("Render = %s, want %s", got, want)
	}
}
