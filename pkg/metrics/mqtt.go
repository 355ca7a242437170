package metrics

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
)

// mqtt measures the real MQTT traffic through the scenario's broker:
// where.src scopes the publishing sensors (built-in, or containers, which
// count in received and latencies but not in published and the delivery
// rate), where.dst the subscribing gateways.
// Latencies are wall-clock, from the publisher's send to the subscriber's
// receipt.
func (s *Set) mqtt(metric string, where scenario.Scope) (float64, error) {
	m := s.res.MQTT
	if m == nil {
		return 0, fmt.Errorf("%w: the scenario has no MQTT broker (a broker node with implementation: python_model or docker)", ErrNoData)
	}
	var published, received, own int64
	pubs, subs := 0, 0
	for _, p := range m.Publishers {
		if match(where.Src, p.ID) {
			published += p.Published
			pubs++
		}
	}
	for _, id := range m.Subscribers {
		if match(where.Dst, id) {
			subs++
		}
	}
	var lat []time.Duration
	for _, r := range m.Routes {
		if match(where.Src, r.Src) && match(where.Dst, r.Dst) {
			received += r.Received
			if !r.External {
				own += r.Received
			}
			lat = append(lat, r.Latencies...)
		}
	}
	scope := describe(where)
	switch metric {
	case "mqtt_published":
		return float64(published), nil
	case "mqtt_received":
		return float64(received), nil
	case "mqtt_delivery_rate":
		expected := published * int64(subs)
		if expected == 0 {
			return 0, fmt.Errorf("%w: no MQTT message was published to a subscribed gateway%s (%d sensors, %d gateways)", ErrNoData, scope, pubs, subs)
		}
		// Readings of sensor containers are not among the published.
		return float64(own) / float64(expected), nil
	}
	if len(lat) == 0 {
		return 0, fmt.Errorf("%w: no MQTT message was received%s", ErrNoData, scope)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	switch metric {
	case "mqtt_latency_avg_ms":
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		return ms(sum) / float64(len(lat)), nil
	case "mqtt_latency_p95_ms":
		slices.Sort(lat)
		// Nearest rank.
		i := int(math.Ceil(0.95*float64(len(lat)))) - 1
		return ms(lat[max(i, 0)]), nil
	}
	return 0, fmt.Errorf("metric %q is not measured over MQTT messages", metric)
}
