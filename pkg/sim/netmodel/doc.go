// Package netmodel routes messages between nodes: upstream's direct model
// (delivered unchanged at the next quantum) and latency model (per-link
// latency and seeded loss, one loss draw per routed message), plus jitter,
// bandwidth with queueing, and bidirectional links. It counts every
// message, so that sent = delivered + dropped + in flight always holds.
package netmodel
