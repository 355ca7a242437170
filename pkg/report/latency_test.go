package report

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLatencyIsNullWhenNothingDelivered: upstream's NetworkMetrics leaves
// min and max latency None until a message is delivered.
func TestLatencyIsNullWhenNothingDelivered(t *testing.T) {
	t.Parallel()
	var none, some histogram
	some.Add(5000)
	some.Add(7000)
	cases := []struct {
		name string
		h    *histogram
		want string
	}{
		{"nothing delivered", &none, `{"min":null,"avg":0,"max":null}`},
		{"delivered", &some, `{"min":5000,"avg":6000,"max":7000}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := json.Marshal(newLatency(tc.h))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, string(got)); d != "" {
				t.Errorf("latency JSON (-want +got):\n%s", d)
			}
		})
	}
}
