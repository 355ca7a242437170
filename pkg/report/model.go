package report

// The gate's results, as the renderers (JUnit, Markdown, HTML) see them.
// A Suite is every scenario x seed run of one invocation; each Run carries
// its Summary (summary.json of that run), the outcome of every assertion,
// the faults that were injected and a coarse timeline for the charts.

// Suite is one invocation: one or more runs.
type Suite struct {
	// Verdict is Fail if any run failed, Error if any could not run
	// (and none failed), else Pass.
	Verdict string `json:"verdict"`
	Runs    []Run  `json:"runs"`
	// Spread is, per scenario and asserted metric, the spread over seeds.
	Spread []Spread `json:"spread,omitempty"`
}

// Run is one scenario with one seed.
type Run struct {
	Summary
	Assertions []Outcome `json:"assertions"`
	Faults     []Fault   `json:"faults"`
	Timeline   []Bucket  `json:"timeline"`
	// RealNetwork is per link what shaping did to containers' real
	// traffic; absent when the run shaped none.
	RealNetwork []RealLink `json:"real_network,omitempty"`
}

// Outcome is one assertion checked against one run.
type Outcome struct {
	Metric      string  `json:"metric"`
	Operator    string  `json:"operator"`
	Value       float64 `json:"value"`
	Description string  `json:"description,omitempty"`
	// Where is the scope as written (src/dst/node globs), empty for the
	// whole scenario.
	Where  map[string]string `json:"where,omitempty"`
	Actual float64           `json:"actual"`
	Passed bool              `json:"passed"`
	// Error says why the metric could not be measured (then Passed is
	// false and Actual 0), e.g. no message matched the scope.
	Error string `json:"error,omitempty"`
	// File, Line and Col locate the assertion in the scenario file.
	File string `json:"file"`
	Line int    `json:"line"`
	Col  int    `json:"col"`
}

// Fault is one injected fault on the run's timeline.
type Fault struct {
	Kind   string  `json:"kind"`
	AtS    float64 `json:"at_s"`
	EndS   float64 `json:"end_s"`  // equals the run's end when the fault never ends
	Target string  `json:"target"` // human text: "sensor1->gateway1", "gateway1", "[a b] | [c]"
	// Dropped is how many messages the fault dropped.
	Dropped int64 `json:"dropped"`
	Line    int   `json:"line"`
	// RealTraffic is when it was applied to and lifted from containers'
	// real packets; nil when it shaped none (realfault.go).
	RealTraffic *RealWindow `json:"real_traffic,omitempty"`
}

// Bucket is one slice of virtual time for the charts.
type Bucket struct {
	StartS       float64 `json:"start_s"`
	Delivered    int64   `json:"delivered"`
	Dropped      int64   `json:"dropped"`
	LatencyAvgMS float64 `json:"latency_avg_ms"`
	LatencyMaxMS float64 `json:"latency_max_ms"`
}

// Spread is the distribution of one asserted metric over the seeds of a
// scenario.
type Spread struct {
	// Scenario and File name the scenario as a run's summary does.
	Scenario string            `json:"scenario"`
	File     string            `json:"scenario_file"`
	Metric   string            `json:"metric"`
	Where    map[string]string `json:"where,omitempty"`
	Seeds    int               `json:"seeds"`
	Min      float64           `json:"min"`
	Mean     float64           `json:"mean"`
	Max      float64           `json:"max"`
	StdDev   float64           `json:"stddev"`
}
