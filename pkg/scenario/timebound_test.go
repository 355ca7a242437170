package scenario

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDurationWithinTimeBound: no limit lets a run last past MaxTimeS, so
// a time in the run plus a time in a node's config (each at most 4e18 us)
// cannot wrap. A limit raised to 9e12 s let a 9e12 s run load, and its
// sensor's next sample wrapped into the past: the run never ended.
func TestDurationWithinTimeBound(t *testing.T) {
	t.Parallel()
	const src = "simulation: {duration_s: %s, seed: 1}\nnodes:\n  - {id: a, type: sensor, port: 5001}\n"
	for _, tc := range []struct {
		name     string
		duration string
		limit    float64
		want     []string
	}{{
		name: "past the bound under a raised limit", duration: "9e12", limit: 9e12,
		want: []string{"fixture.yaml:1:26: error: simulation.duration_s is 9e12 s; the limit is 4000000000000 s (46296296.3 days) (shorten the run; no limit goes past 4e12 s)"},
	}, {
		name: "past the bound under the default limit", duration: "9e12",
		want: []string{"fixture.yaml:1:26: error: simulation.duration_s is 9e12 s; the limit is 31622400 s (366 days) (shorten the run, or raise the limit with --max-duration-s)"},
	}, {
		name: "past 64 bits", duration: "1e13", limit: 9e12,
		want: []string{"fixture.yaml:1:26: error: simulation.duration_s is too large: 1e13 s in microseconds does not fit in 64 bits (write at most 4000000000000 seconds (about 126,000 years))"},
	}, {
		name: "at the bound", duration: "4e12", limit: 9e12,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := []byte(fmt.Sprintf(src, tc.duration))
			var opts []Option
			if tc.limit > 0 {
				opts = append(opts, WithMaxDuration(tc.limit))
			}
			if tc.want == nil {
				s, _, err := Parse(in, file, opts...)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if s.Simulation.DurationUS != 4e18 {
					t.Errorf("DurationUS %d, want 4e18", s.Simulation.DurationUS)
				}
				return
			}
			var got []string
			for _, d := range errorsOf(t, string(in), opts...) {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
