package metrics

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
)

// ErrNoData means nothing in the run matched the metric's scope, so there
// is no value to compare: no message on the scoped links, or no delivered
// message to take a latency from.
var ErrNoData = errors.New("no data")

// Set measures one run.
type Set struct {
	res  *sim.Result
	once sync.Once
	ix   *index // index.go
	// visited counts the rows scopes looked at, for the test that
	// matching costs what it selects. Atomic: a Set may be read from
	// several goroutines.
	visited atomic.Int64
}

// New returns the metrics of res.
func New(res *sim.Result) *Set { return &Set{res: res} }

// Field returns an observed_field_* metric: metric over the numbers at
// the dotted path field of the bodies the observer where.observe saw.
func (s *Set) Field(metric, field string, where scenario.Scope) (float64, error) {
	return s.observed(metric, where, field)
}

// Value returns metric (a canonical name, see scenario.Metrics) over the
// scope. Network metrics take src/dst globs; node metrics take a node glob
// and sum over the matched nodes (healthy is 1 only if all are;
// recovery_time_s is the longest recovery).
func (s *Set) Value(metric string, where scenario.Scope) (float64, error) {
	kind, ok := scenario.Metrics[metric]
	if !ok {
		return 0, fmt.Errorf("unknown metric %q", metric)
	}
	if kind == scenario.NodeMetric {
		return s.node(metric, where.Node)
	}
	if kind == scenario.ObserverMetric {
		return s.observed(metric, where, "")
	}
	if strings.HasPrefix(metric, "mqtt_") {
		return s.mqtt(metric, where)
	}
	return s.network(metric, where)
}

func match(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	ok, _ := path.Match(pattern, s)
	return ok
}

func (s *Set) network(metric string, where scenario.Scope) (float64, error) {
	var (
		sent, delivered, lost, unroutable, faulted int64
		lat                                        netmodel.Histogram
		routes                                     int
	)
	for _, i := range s.routes(where.Src, where.Dst) {
		r := s.res.Routes[i]
		s.visited.Add(1)
		if !match(where.Src, r.Src) || !match(where.Dst, r.Dst) {
			continue
		}
		routes++
		sent += r.Sent
		delivered += r.Delivered
		lost += r.Lost
		unroutable += r.Unroutable
		faulted += r.Faulted
		lat.Merge(&r.Latency)
	}
	scope := describe(where)
	switch metric {
	case "packets_sent":
		return float64(sent), nil
	case "packets_delivered":
		return float64(delivered), nil
	case "packets_dropped":
		return float64(lost + unroutable + faulted), nil
	case "packets_lost":
		return float64(lost), nil
	case "packets_unroutable":
		return float64(unroutable), nil
	case "throughput_msgs_per_s":
		if s.res.VirtualTimeUS == 0 {
			return 0, fmt.Errorf("%w: the run has no virtual time", ErrNoData)
		}
		return float64(delivered) / (float64(s.res.VirtualTimeUS) / 1e6), nil
	case "packet_delivery_rate":
		if sent == 0 {
			return 0, fmt.Errorf("%w: no message was sent%s", ErrNoData, scope)
		}
		return float64(delivered) / float64(sent), nil
	}
	// Latencies.
	if lat.Count == 0 {
		return 0, fmt.Errorf("%w: no message was delivered%s", ErrNoData, scope)
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	switch metric {
	case "latency_avg_ms":
		return lat.Mean() / 1000, nil
	case "latency_min_ms":
		return ms(lat.Min), nil
	case "latency_p50_ms":
		return ms(lat.Quantile(0.50)), nil
	case "latency_p95_ms":
		return ms(lat.Quantile(0.95)), nil
	case "latency_p99_ms":
		return ms(lat.Quantile(0.99)), nil
	case "latency_max_ms":
		return ms(lat.Max), nil
	}
	return 0, fmt.Errorf("metric %q is not measured over messages", metric)
}

func (s *Set) node(metric, glob string) (float64, error) {
	var total float64
	matched, measured, messages := 0, 0, 0
	healthy := 1.0
	recovery := -1.0
	for _, i := range s.nodes(glob) {
		n := s.res.Nodes[i]
		s.visited.Add(1)
		if !match(glob, n.ID) {
			continue
		}
		matched++
		if n.BlackBox && strings.HasPrefix(metric, "messages_") {
			continue // not measured; see below
		}
		messages++
		switch metric {
		case "messages_processed":
			total += float64(n.MessagesProcessed)
		case "messages_sent":
			total += float64(n.MessagesSent)
		case "messages_received":
			total += float64(n.MessagesReceived)
		case "restarts":
			total += float64(n.Restarts)
		case "healthy":
			if !n.Healthy {
				healthy = 0
			}
		case "recovery_time_s":
			for _, r := range n.RecoveryS {
				recovery = max(recovery, r)
			}
		case "memory_peak_mb", "cpu_avg_pct", "cpu_peak_pct", "oom_kills", "image_size_mb":
			v, ok := resource(metric, n)
			if !ok {
				continue
			}
			measured++
			if metric == "oom_kills" {
				total += v
			} else {
				total = max(total, v)
			}
		default:
			return 0, fmt.Errorf("metric %q is not measured per node", metric)
		}
	}
	if matched == 0 {
		return 0, fmt.Errorf("%w: no node matches %q", ErrNoData, glob)
	}
	if strings.HasPrefix(metric, "messages_") && messages == 0 {
		return 0, fmt.Errorf("%w: the nodes matching %q are black-box containers (docker.protocol none), which never see the simulated messages; observe what they put out with observe: instead", ErrNoData, glob)
	}
	if _, isResource := resourceMetrics[metric]; isResource && measured == 0 {
		return 0, fmt.Errorf("%w: no container matching %q was measured (resources are measured for implementation: docker nodes)", ErrNoData, glob)
	}
	switch metric {
	case "healthy":
		return healthy, nil
	case "recovery_time_s":
		if recovery < 0 {
			return 0, fmt.Errorf("%w: no node matching %q came back from a crash", ErrNoData, glob)
		}
		return recovery, nil
	}
	return total, nil
}

func describe(w scenario.Scope) string {
	if w.Src == "" && w.Dst == "" {
		return ""
	}
	src, dst := w.Src, w.Dst
	if src == "" {
		src = "*"
	}
	if dst == "" {
		dst = "*"
	}
	return fmt.Sprintf(" on %s->%s", src, dst)
}
