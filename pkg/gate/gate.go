package gate

import (
	"math"

	"github.com/xedgesim/simulate/pkg/metrics"
	"github.com/xedgesim/simulate/pkg/scenario"
)

// Outcome is one assertion checked against one run.
type Outcome struct {
	Assertion scenario.Assertion
	Actual    float64
	Passed    bool
	// Err says why the metric could not be measured; the assertion then
	// fails: a gate that cannot see must not pass.
	Err error
}

// Evaluate checks every assertion and reports whether all hold.
func Evaluate(assertions []scenario.Assertion, m *metrics.Set) ([]Outcome, bool) {
	out := make([]Outcome, 0, len(assertions))
	all := true
	for _, a := range assertions {
		o := Outcome{Assertion: a}
		if a.Field != "" {
			o.Actual, o.Err = m.Field(a.Metric, a.Field, a.Where)
		} else {
			o.Actual, o.Err = m.Value(a.Metric, a.Where)
		}
		o.Passed = o.Err == nil && Compare(o.Actual, a.Operator, a.Value)
		all = all && o.Passed
		out = append(out, o)
	}
	return out, all
}

// Compare applies op. eq allows a relative difference of 1e-9, so that a
// rate printed as 0.1 equals the 0.1 computed from counts.
func Compare(actual float64, op string, value float64) bool {
	switch op {
	case "eq":
		return actual == value || math.Abs(actual-value) <= 1e-9*math.Max(math.Abs(actual), math.Abs(value))
	case "gte":
		return actual >= value
	case "lte":
		return actual <= value
	case "gt":
		return actual > value
	case "lt":
		return actual < value
	}
	return false
}
