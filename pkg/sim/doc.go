// Package sim runs a scenario: a discrete-event kernel that keeps upstream
// xEdgeSim's lockstep semantics (quantum, one-quantum hand-off, latency
// delivery rule, drops of unknown destinations) with a total event order and
// seeded RNG streams, and skips the quanta in which nothing can happen, so
// its cost follows the number of events, not duration / quantum.
package sim
