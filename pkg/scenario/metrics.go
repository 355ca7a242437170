package scenario

import (
	"sort"
	"strings"
)

// MetricKind says what a metric measures, and so which scope it takes.
type MetricKind int

const (
	// NetworkMetric is measured over messages; where: takes src and dst.
	NetworkMetric MetricKind = iota
	// NodeMetric is measured over nodes; where: takes node.
	NodeMetric
	// ObserverMetric is measured over what an observer saw (observe:);
	// where: takes observe.
	ObserverMetric
)

// Metrics is the vocabulary assertions may use, by canonical name.
var Metrics = map[string]MetricKind{
	"packets_sent":          NetworkMetric,
	"packets_delivered":     NetworkMetric,
	"packets_dropped":       NetworkMetric,
	"packets_lost":          NetworkMetric,
	"packets_unroutable":    NetworkMetric,
	"packet_delivery_rate":  NetworkMetric,
	"latency_avg_ms":        NetworkMetric,
	"latency_min_ms":        NetworkMetric,
	"latency_p50_ms":        NetworkMetric,
	"latency_p95_ms":        NetworkMetric,
	"latency_p99_ms":        NetworkMetric,
	"latency_max_ms":        NetworkMetric,
	"throughput_msgs_per_s": NetworkMetric,
	"messages_processed":    NodeMetric,
	"messages_sent":         NodeMetric,
	"messages_received":     NodeMetric,
	"restarts":              NodeMetric,
	// The longest time a node took to come back from a crash, in seconds
	// (wall-clock for containers).
	"recovery_time_s": NodeMetric,
	"healthy":         NodeMetric,
	// A container's resources, from the engine's stats over the run
	// (wall-clock): the highest of the matched nodes, oom_kills summed.
	"memory_peak_mb": NodeMetric,
	"cpu_avg_pct":    NodeMetric,
	"cpu_peak_pct":   NodeMetric,
	"oom_kills":      NodeMetric,
	// The compressed size of the platform image a container ran, in MiB.
	"image_size_mb": NodeMetric,
	// Real MQTT through an embedded broker (wall-clock): src scopes the
	// publishing sensors, dst the subscribing gateways.
	"mqtt_published":      NetworkMetric,
	"mqtt_received":       NetworkMetric,
	"mqtt_delivery_rate":  NetworkMetric,
	"mqtt_latency_avg_ms": NetworkMetric,
	"mqtt_latency_p95_ms": NetworkMetric,

	// What the app under test put out, as an observer saw it (wall-clock).
	"observed_messages":   ObserverMetric,
	"observed_rate_per_s": ObserverMetric,
	"observed_gap_max_s":  ObserverMetric,
	"e2e_latency_avg_ms":  ObserverMetric,
	"e2e_latency_p50_ms":  ObserverMetric,
	"e2e_latency_p95_ms":  ObserverMetric,
	"e2e_latency_max_ms":  ObserverMetric,
	"e2e_gap_max_s":       ObserverMetric,
	"observed_correlated": ObserverMetric,
	"observed_field_min":  ObserverMetric,
	"observed_field_max":  ObserverMetric,
	"observed_field_last": ObserverMetric,
}

// FieldMetric tells whether metric reads the assertion's field:.
func FieldMetric(metric string) bool { return strings.HasPrefix(metric, "observed_field_") }

// metricAliases are other names for metrics: upstream's planned names and
// the issue tracker's.
var metricAliases = map[string]string{
	"delivery_ratio":     "packet_delivery_rate",
	"total_packets_sent": "packets_sent",
	"avg_e2e_latency_ms": "latency_avg_ms",
}

// MetricNames returns the canonical metric names, sorted.
func MetricNames() []string {
	names := make([]string, 0, len(Metrics))
	for n := range Metrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// operators maps every accepted spelling to the canonical operator.
var operators = map[string]string{
	"eq": "eq", "==": "eq",
	"gte": "gte", ">=": "gte",
	"lte": "lte", "<=": "lte",
	"gt": "gt", ">": "gt",
	"lt": "lt", "<": "lt",
}
