package report

import "github.com/xedgesim/simulate/pkg/scenario"

// NotMeasured is a's outcome in a run that stopped before it could be
// measured (a container under test failed): the user's assertion stays in
// the report beside the failure, failed, with reason as its error.
func NotMeasured(file string, a scenario.Assertion, reason string) Outcome {
	return Outcome{Metric: a.Metric, Operator: a.Operator, Value: a.Value, Description: a.Description,
		Where: whereMap(a.Where, a.Field), Error: reason, File: file, Line: a.Pos.Line, Col: a.Pos.Col}
}
