package report

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("writing golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got), run go test -update if the change is intended:\n%s", name, diff)
	}
}

// The hand-built suites every renderer is tested on.
var fixtures = []struct {
	name  string
	suite func() Suite
}{
	{"pass", passingSuite},
	{"fail", failingSuite},
	{"error", erroredSuite},
	{"sweep", sweepSuite},
	{"observe", observeSuite},
}

// run is a finished run of a small sensor-to-gateway scenario whose figures
// are functions of the seed, so fixtures are stable without a simulator.
func run(name, file string, seed int64, buckets int) Run {
	r := Run{Summary: Summary{
		Scenario: name, ScenarioFile: file, Seed: seed, Verdict: Pass,
		VirtualTimeS: float64(buckets), TimeQuantumUS: 10000,
		Steps:    Steps{Executed: int64(buckets) * 100, Total: int64(buckets) * 100},
		Events:   int64(buckets) * 40,
		Warnings: []string{},
		Nodes: []Node{
			{ID: "sensor1", Model: "sensor_model", Events: 100, MessagesSent: 100},
			{ID: "sensor2", Model: "sensor_model", Events: 100, MessagesSent: 100},
			{ID: "gateway1", Model: "gateway_model", Events: 200, MessagesReceived: 190, MessagesProcessed: 190},
		},
	}, Faults: []Fault{}}
	var delivered, dropped int64
	for i := range buckets {
		phase := float64(i)/float64(buckets)*2*math.Pi + float64(seed)
		b := Bucket{
			StartS:       float64(i),
			Delivered:    18 + int64(i%3),
			Dropped:      int64((i + int(seed)) % 2),
			LatencyAvgMS: math.Round((20+6*math.Sin(phase))*100) / 100,
		}
		b.LatencyMaxMS = math.Round((b.LatencyAvgMS+12+4*math.Cos(phase*3))*100) / 100
		delivered += b.Delivered
		dropped += b.Dropped
		r.Timeline = append(r.Timeline, b)
	}
	half := delivered / 2
	r.Network = Network{
		Model: "latency", PacketsSent: delivered + dropped, PacketsDelivered: delivered, PacketsDropped: dropped,
		PacketsLost: dropped, Latency: Latency{Min: us(8000), Avg: 20500, Max: us(38000)},
		Links: []Link{
			{Src: "sensor1", Dst: "gateway1", PacketsSent: half + dropped, PacketsDelivered: half, PacketsDropped: dropped,
				Latency: Latency{Min: us(8000), Avg: 20000, Max: us(36000)}},
			{Src: "sensor2", Dst: "gateway1", PacketsSent: delivered - half, PacketsDelivered: delivered - half,
				Latency: Latency{Min: us(9000), Avg: 21000, Max: us(38000)}},
		},
	}
	return r
}

func outcome(metric, op string, value, actual float64, line int) Outcome {
	o := Outcome{Metric: metric, Operator: op, Value: value, Actual: actual, File: "scenarios/gate.yaml", Line: line, Col: 11}
	switch op {
	case "gte":
		o.Passed = actual >= value
	case "lte", "<=":
		o.Passed = actual <= value
	case "eq":
		o.Passed = actual == value
	}
	return o
}

func passingSuite() Suite {
	r := run("m0_baseline", "scenarios/m0_baseline.yaml", 42, 20)
	r.Assertions = []Outcome{
		outcome("packet_delivery_rate", "gte", 0.9, 0.972, 14),
		outcome("latency_p95_ms", "lte", 50, 31.25, 18),
	}
	r.Assertions[0].Description = "readings reach the gateway"
	r.Assertions[0].Where = map[string]string{"src": "sensor*", "dst": "gateway1"}
	for i := range r.Assertions {
		r.Assertions[i].File = r.ScenarioFile
	}
	return Suite{Verdict: Pass, Runs: []Run{r}}
}

func failingSuite() Suite {
	r := run("gate", "scenarios/gate.yaml", 7, 30)
	r.Verdict = Fail
	r.Assertions = []Outcome{
		outcome("packet_delivery_rate", "gte", 0.99, 0.95, 12),
		outcome("latency_max_ms", "<=", 100, 38, 16),
		outcome("messages_processed", "gte", 1, 0, 20),
	}
	r.Assertions[0].Description = "readings reach the gateway"
	r.Assertions[2].Where = map[string]string{"node": "gateway9"}
	r.Assertions[2].Error = "no node matches gateway9"
	r.Warnings = []string{"scenarios/gate.yaml:3:1: unknown key \"comment\" ignored"}
	return Suite{Verdict: Fail, Runs: []Run{r}}
}

// erroredSuite has a run that errored before measuring its assertions and
// one without assertions that errored.
func erroredSuite() Suite {
	a := Run{
		Summary:    ErrorSummary("gate", "scenarios/gate.yaml", 7, fmt.Errorf("node gateway1: process exited with status 1")),
		Assertions: []Outcome{outcome("packet_delivery_rate", "gte", 0.99, 0, 12)},
		Faults:     []Fault{}, Timeline: []Bucket{},
	}
	b := Run{
		Summary: ErrorSummary("mqtt_test", "scenarios/mqtt_test.yaml", 1, fmt.Errorf("starting node broker: connection refused")),
		Faults:  []Fault{}, Timeline: []Bucket{},
	}
	return Suite{Verdict: Error, Runs: []Run{a, b}}
}

// sweepSuite is three seeds with faults; seed 2 fails its delivery rate.
// Its link_down also acted on containers' real packets.
func sweepSuite() Suite {
	s := Suite{Verdict: Fail}
	lifted := 15.0
	pdr := []float64{0.991, 0.978, 0.995}
	p95 := []float64{33.5, 41.25, 35}
	for i, seed := range []int64{1, 2, 3} {
		r := run("faulty_links", "scenarios/faulty_links.yaml", seed, 40)
		r.Faults = []Fault{
			{Kind: "link_down", AtS: 10, EndS: 15, Target: "sensor1->gateway1", Dropped: 9 + int64(i), Line: 22,
				RealTraffic: &RealWindow{AppliedS: 10, LiftedS: &lifted}},
			{Kind: "node_crash", AtS: 30, EndS: 32, Target: "gateway1", Dropped: 4, Line: 24},
		}
		for j := 10; j < 15; j++ {
			r.Timeline[j].Dropped += 2
		}
		r.Assertions = []Outcome{
			outcome("packet_delivery_rate", "gte", 0.98, pdr[i], 30),
			outcome("latency_p95_ms", "lte", 50, p95[i], 33),
		}
		for j := range r.Assertions {
			r.Assertions[j].File = r.ScenarioFile
		}
		if !r.Assertions[0].Passed {
			r.Verdict = Fail
		}
		r.Warnings = []string{"link sensor3->gateway1 carried no traffic"}
		s.Runs = append(s.Runs, r)
	}
	s.Spread = []Spread{
		{Scenario: "faulty_links", File: "scenarios/faulty_links.yaml", Metric: "packet_delivery_rate", Seeds: 3, Min: 0.978, Mean: 0.988, Max: 0.995, StdDev: 0.00724},
		{Scenario: "faulty_links", File: "scenarios/faulty_links.yaml", Metric: "latency_p95_ms", Seeds: 3, Min: 33.5, Mean: 36.583, Max: 41.25, StdDev: 3.396},
	}
	return s
}

func nan() float64 { return math.NaN() }

// us is a latency in microseconds for a fixture.
func us(v int64) *int64 { return &v }
