package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

// The tests in this file are issue 21's "done when" for observers: the
// gate of scenarios/gateway_gate.yaml runs nodes/gateway, built by our own
// build verb, against the broker built from nodes/broker, and watches what
// the gateway puts out. Broken on purpose by GATEWAY_BREAK, the gateway
// fails the gate, and the failed assertion names the observer.

const gatewayGate = "../../scenarios/gateway_gate.yaml"

var gatewayImage struct {
	once sync.Once
	dir  string
	err  string
}

// buildGateway builds nodes/gateway with `xedgesim build` for two
// platforms into an OCI layout, labelled for this test process.
func buildGateway(t *testing.T) string {
	t.Helper()
	g := &gatewayImage
	g.once.Do(func() {
		id := make([]byte, 6)
		_, _ = rand.Read(id)
		dir, err := os.MkdirTemp(filepath.Dir(xedgesim), "gateway")
		if err != nil {
			g.err = err.Error()
			return
		}
		g.dir = filepath.Join(dir, "gateway")
		if r := cli(t, "build", "--go", "../../nodes/gateway", "--platform", "linux/amd64,linux/arm64",
			"--label", "xedgesim.test=gate-"+hex.EncodeToString(id), "--output", "oci:"+g.dir); r.code != 0 {
			g.err = "build: exit " + r.stderr
		}
	})
	if g.err != "" {
		t.Fatal(g.err)
	}
	return g.dir
}

// observerJSON is an observer's part of summary.json.
type observerJSON struct {
	Name       string   `json:"name"`
	Source     string   `json:"source"`
	Messages   int64    `json:"messages"`
	GapMaxS    float64  `json:"gap_max_s"`
	Correlated int64    `json:"correlated"`
	E2EGapMaxS *float64 `json:"e2e_gap_max_s"`
	E2E        *struct {
		P50 float64 `json:"p50"`
		Max float64 `json:"max"`
	} `json:"e2e_latency_ms"`
}

type gateSummary struct {
	Verdict    string `json:"verdict"`
	Assertions []struct {
		Metric string            `json:"metric"`
		Where  map[string]string `json:"where"`
		Passed bool              `json:"passed"`
		Actual float64           `json:"actual"`
	} `json:"assertions"`
	Observers []observerJSON `json:"observers"`
}

func readGateSummary(t *testing.T, dir string) gateSummary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s gateSummary
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, data)
	}
	return s
}

func (s gateSummary) observer(t *testing.T, name string) observerJSON {
	t.Helper()
	for _, o := range s.Observers {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no observer %q in summary.json: %+v", name, s.Observers)
	return observerJSON{}
}

// runGatewayGate runs scenario with the test's broker and gateway images
// and returns the exit code, the output directory and the terminal output.
func runGatewayGate(t *testing.T, env *testbed.Env, scenario string) (int, string, string) {
	t.Helper()
	broker, _ := buildBrokers(t)
	gateway := buildGateway(t)
	out := t.TempDir()
	p := startSimulate(t, env, "--out", out, "--image", "mqtt-broker=oci:"+broker, "--image", "gateway1=oci:"+gateway, scenario)
	code := p.wait(t, 3*time.Minute)
	checkGone(t, env, p.cmd.Process.Pid, "")
	return code, out, p.out.String() + p.errOut.String()
}

// TestGatewayGateObservesTheGateway: with nodes/gateway as it is, the gate
// passes, and summary.json records what each observer saw: aggregates
// through the broker, followed back to the sensors' readings, and the
// polled endpoint.
func TestGatewayGateObservesTheGateway(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	code, out, log := runGatewayGate(t, env, gatewayGate)
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, log)
	}
	s := readGateSummary(t, out)
	agg := s.observer(t, "aggregates")
	// 30 s of one report a second, less the broker's outage.
	if agg.Messages < 10 || agg.Messages > 40 {
		t.Errorf("aggregates: %d messages, want 10 to 40", agg.Messages)
	}
	if agg.Correlated < 20 || agg.E2E == nil || agg.E2E.P50 <= 0 || agg.E2E.P50 > agg.E2E.Max {
		t.Errorf("aggregates: %d correlated, e2e %+v; want at least 20 with latencies", agg.Correlated, agg.E2E)
	}
	// The broker was down: the output paused, and not longer than the
	// scenario allows.
	if agg.GapMaxS < 1 || agg.GapMaxS > 10 || agg.E2EGapMaxS == nil || *agg.E2EGapMaxS < 1 {
		t.Errorf("aggregates: gap %g s, e2e gap %v; want a pause of 1 to 10 s", agg.GapMaxS, agg.E2EGapMaxS)
	}
	if !strings.HasPrefix(agg.Source, "mqtt mqtt-broker gateway/+/aggregate") {
		t.Errorf("aggregates source %q", agg.Source)
	}
	for _, a := range s.Assertions {
		// nodes/gateway uses a few MiB: measured, and far from the bound.
		if a.Metric == "memory_peak_mb" && (a.Actual <= 1 || a.Actual > 40) {
			t.Errorf("gateway memory_peak_mb %g, want 1 to 40", a.Actual)
		}
	}
	// The uplink to the cloud was down for 10 s on its real packets: the
	// cloud heard nothing for at least that long, and then the gateway
	// again.
	c := s.observer(t, "cloud")
	t.Logf("cloud: %d aggregates, longest silence %.3f s; at the broker: %d, %.3f s", c.Messages, c.GapMaxS, agg.Messages, agg.GapMaxS)
	if c.GapMaxS < 9.5 || c.GapMaxS > 15 || c.Messages < 10 {
		t.Errorf("cloud: gap %g s, %d messages; want the 10 s outage, and the gateway heard around it", c.GapMaxS, c.Messages)
	}
	var sum struct {
		Faults []struct {
			Kind        string
			RealTraffic *struct {
				AppliedS float64  `json:"applied_s"`
				LiftedS  *float64 `json:"lifted_s"`
			} `json:"real_traffic"`
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "summary.json")); err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary.json: %v", err)
	}
	for _, f := range sum.Faults {
		if f.Kind != "link_down" {
			continue
		}
		if r := f.RealTraffic; r == nil || r.AppliedS != 15 || r.LiftedS == nil || *r.LiftedS != 25 {
			t.Errorf("the uplink's link_down acted on real traffic %+v; want from 15 s to 25 s", r)
		}
	}
	if st := s.observer(t, "stats"); st.Messages < 15 {
		t.Errorf("stats: %d answers to polls, want at least 15", st.Messages)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "Observed outputs") || !strings.Contains(string(md), "gateway/+/aggregate") {
		t.Errorf("summary.md shows no observers:\n%s", md)
	}
}

// TestGatewayGateFailsBrokenGateway: each way of breaking the gateway on
// purpose fails the gate with exit 2, on the assertion about the observer
// that sees it, with the actual value.
func TestGatewayGateFailsBrokenGateway(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	src, err := os.ReadFile(gatewayGate)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		brk    string
		failed map[string]string // metric -> its scope, key=value
	}{
		// It stops publishing aggregates: nothing is observed.
		{"silent", map[string]string{"observed_messages": "observe=aggregates", "observed_gap_max_s": "observe=aggregates", "observed_correlated": "observe=aggregates"}},
		// It does not subscribe again after the broker's restart: it still
		// publishes, but no new reading reaches its output. Before
		// observers this passed the gate.
		{"no-resubscribe", map[string]string{"e2e_gap_max_s": "observe=aggregates", "observed_field_max": "observe=stats"}},
		// It holds on to memory with every reading: past the bound.
		{"leak", map[string]string{"memory_peak_mb": "node=gateway1"}},
		// It does not connect its uplink again after the outage: the
		// cloud hears nothing from then on.
		{"no-uplink-reconnect", map[string]string{"observed_gap_max_s": "observe=cloud"}},
	} {
		t.Run(tc.brk, func(t *testing.T) {
			broken := strings.Replace(string(src), `GATEWAY_BREAK: ""`, "GATEWAY_BREAK: "+tc.brk, 1)
			if broken == string(src) {
				t.Fatal("the scenario has no GATEWAY_BREAK switch")
			}
			file := filepath.Join(t.TempDir(), "gateway_gate.yaml")
			if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, log := runGatewayGate(t, env, file)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s", code, log)
			}
			s := readGateSummary(t, out)
			if s.Verdict != "fail" {
				t.Errorf("verdict %q, want fail", s.Verdict)
			}
			for metric, obs := range tc.failed {
				found := false
				k, v, _ := strings.Cut(obs, "=")
				for _, a := range s.Assertions {
					if a.Metric != metric || a.Where[k] != v {
						continue
					}
					found = true
					if a.Passed {
						t.Errorf("%s: passed %v, where %v; want failed on %s", metric, a.Passed, a.Where, obs)
					}
					if !strings.Contains(log, metric) || !strings.Contains(log, obs) {
						t.Errorf("the terminal output does not name %s on %s:\n%s", metric, obs, log)
					}
				}
				if !found {
					t.Errorf("no assertion on %s", metric)
				}
			}
		})
	}
}
