package node

import (
	"strings"
	"testing"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// TestConfigTimesAreBounded: a time or size in a node's config that would
// wrap when converted to an integer is refused at the key. start_s: 1e300
// once wrapped to a start far in the past, and the sensor drew samples
// until memory ran out.
func TestConfigTimesAreBounded(t *testing.T) {
	t.Parallel()
	build := map[string]func(cfg map[string]any) error{
		"sensor": func(cfg map[string]any) error {
			_, err := NewSensor(scenario.Node{ID: "s", Config: cfg})
			return err
		},
		"gateway": func(cfg map[string]any) error {
			_, err := NewGateway(scenario.Node{ID: "g", Config: cfg}, SumPlain)
			return err
		},
		"group": func(cfg map[string]any) error {
			_, err := NewSensorGroup(scenario.Node{ID: "d{i}", Count: 2, Config: cfg})
			return err
		},
		"process": func(cfg map[string]any) error {
			cfg["command"] = "x"
			_, err := NewProcess(scenario.Node{ID: "p", Implementation: scenario.ImplProcess, Config: cfg})
			return err
		},
	}
	for _, tc := range []struct {
		kind, key string
		value     any
		want      string // "" for no error
	}{
		{"sensor", "start_s", 1e300, "config.start_s: must be a number <= 4e+12"},
		{"sensor", "start_s", 4e12, ""},
		{"sensor", "payload_bytes", 1e300, "config.payload_bytes: must be a number <= 1e+12"},
		{"sensor", "payload_bytes", 1500, ""},
		{"sensor", "sample_rate_hz", 1e-300, "config.sample_rate_hz: 1e-300 Hz is slower than one sample in"},
		{"sensor", "sample_rate_hz", 1e7, "faster than one sample per microsecond"},
		{"gateway", "aggregate_interval_s", 1e300, "config.aggregate_interval_s: must be a number <="},
		{"gateway", "processing_us", 1e300, "config.processing_us: must be a number <= 4e+18"},
		{"gateway", "processing_us", 250, ""},
		{"group", "start_jitter_s", 1e300, "config.start_jitter_s: must be a number <="},
		{"group", "start_jitter_s", 2.5, ""},
		{"process", "timeout_s", 1e300, "config.timeout_s: must be a number <= 1e+09"},
		{"process", "connect_timeout_s", 1e12, "config.connect_timeout_s: must be a number <= 1e+09"},
		{"process", "timeout_s", 60, ""},
	} {
		t.Run(tc.kind+" "+tc.key, func(t *testing.T) {
			t.Parallel()
			err := build[tc.kind](map[string]any{tc.key: tc.value})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("%s: %v gives error %q, want %q", tc.key, tc.value, got, tc.want)
			}
		})
	}
}
