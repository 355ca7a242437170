// Package gate checks a run's metrics against the scenario's assertions and
// gives the verdict: pass when every assertion holds, fail otherwise.
package gate
