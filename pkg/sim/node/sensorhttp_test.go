package node

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

func TestSensorHTTPConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		http any
		want *SensorHTTP
		errs []string
	}{
		{"absent", nil, nil, nil},
		{"url only: POST of the default reading", map[string]any{"url": "http://gateway1:8080/readings/{id}/{type}"},
			&SensorHTTP{URL: "http://gateway1:8080/readings/{id}/{type}", Method: "POST"}, nil},
		{"the app's terms", map[string]any{"url": "https://api/{id}?t={time_ms}", "method": "put", "body": `{"n": {seq}}`},
			&SensorHTTP{URL: "https://api/{id}?t={time_ms}", Method: "PUT", Body: `{"n": {seq}}`}, nil},
		{"mistakes", map[string]any{"url": "http://h/{nope}", "method": "DELETE", "body": 3, "extra": 1},
			&SensorHTTP{URL: "http://h/{nope}", Method: "POST"},
			[]string{`unknown key "extra"`, "method must be one of POST, PUT, PATCH, GET", "body must be a non-empty string", "unknown placeholder {nope}"}},
		{"no url", map[string]any{"method": "POST"}, nil, []string{"needs url"}},
		{"not http", map[string]any{"url": "mqtt://broker:1883/x"}, nil, []string{"write an http:// or https:// URL with a host"}},
		{"not a mapping", "http://x", nil, []string{"must be a mapping"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := scenario.Node{ID: "s1", Type: "sensor", Config: map[string]any{}}
			if tc.http != nil {
				n.Config["http"] = tc.http
			}
			c := newConfig(n)
			got := readSensorHTTP(c)
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
