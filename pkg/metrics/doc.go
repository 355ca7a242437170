// Package metrics measures a finished run: it turns a simulation result into
// the named metrics assertions gate on (packet_delivery_rate,
// latency_p95_ms, messages_processed, ...), scoped to links or nodes by
// globs. Percentiles are exact: latencies are counted, not sampled.
package metrics
