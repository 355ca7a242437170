package metrics

import (
	"fmt"
	"math"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
)

// observed measures what the observer where.observe saw (wall-clock).
// field is the dotted path the observed_field_* metrics read.
func (s *Set) observed(metric string, where scenario.Scope, field string) (float64, error) {
	var o *sim.ObserverResult
	for i := range s.res.Observers {
		if s.res.Observers[i].Name == where.Observe {
			o = &s.res.Observers[i]
		}
	}
	if o == nil {
		return 0, fmt.Errorf("%w: no observer named %q ran", ErrNoData, where.Observe)
	}
	switch metric {
	case "observed_messages":
		return float64(o.Messages), nil
	case "observed_rate_per_s":
		return o.RatePerS, nil
	case "observed_gap_max_s":
		return o.GapMaxS, nil
	case "e2e_gap_max_s":
		if o.E2EGapMaxS == nil {
			return 0, fmt.Errorf("%w: observer %q has no correlate: to follow device readings with", ErrNoData, o.Name)
		}
		return *o.E2EGapMaxS, nil
	case "observed_correlated":
		return float64(o.Correlated), nil
	case "e2e_latency_avg_ms", "e2e_latency_p50_ms", "e2e_latency_p95_ms", "e2e_latency_max_ms":
		if o.E2E == nil {
			return 0, fmt.Errorf("%w: observer %q correlated no output with a device reading (%d messages seen)", ErrNoData, o.Name, o.Messages)
		}
		return map[string]float64{"e2e_latency_avg_ms": o.E2E.Avg, "e2e_latency_p50_ms": o.E2E.P50,
			"e2e_latency_p95_ms": o.E2E.P95, "e2e_latency_max_ms": o.E2E.Max}[metric], nil
	case "observed_field_min", "observed_field_max", "observed_field_last":
		lo, hi, last, n := math.Inf(1), math.Inf(-1), 0.0, 0
		for _, b := range o.Bodies {
			for _, v := range sim.Field(b, field) {
				f, ok := v.(float64)
				if !ok {
					continue
				}
				lo, hi, last = math.Min(lo, f), math.Max(hi, f), f
				n++
			}
		}
		if n == 0 {
			return 0, fmt.Errorf("%w: no number at %q in the %d messages observer %q saw", ErrNoData, field, o.Messages, o.Name)
		}
		return map[string]float64{"observed_field_min": lo, "observed_field_max": hi, "observed_field_last": last}[metric], nil
	}
	return 0, fmt.Errorf("metric %q is not measured by an observer", metric)
}
