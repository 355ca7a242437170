package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/xedgesim/simulate/pkg/gate"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
)

// TestReportsHoldNoSecrets: a scenario's docker environment and node
// config carry credentials (broker passwords, tokens); no report built
// from the run may repeat them, whatever it shows of the nodes.
func TestReportsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-7f1e9a"
	src := `simulation: {duration_s: 1, seed: 1}
nodes:
  - id: broker
    type: mqtt_broker
    implementation: docker
    docker:
      image: registry.local/broker@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      environment: {MQTT_PASSWORD: ` + secret + `}
  - id: sensor1
    type: sensor
    port: 5001
    config: {api_token: ` + secret + `}
`
	sc, _, err := scenario.Parse([]byte(src), "secret.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := &sim.Result{Scenario: sc.Name, Seed: 1, VirtualTimeUS: 1_000_000, QuantumUS: 1000,
		Nodes: []sim.NodeResult{{ID: "broker", Healthy: true, Image: "registry.local/broker"}, {ID: "sensor1", Healthy: true}}}
	run := NewRun("secret.yaml", sc, res, []gate.Outcome{}, Pass)
	suite := NewSuite([]Run{run})
	out := map[string][]byte{}
	if out["summary.json"], err = json.Marshal(suite); err != nil {
		t.Fatal(err)
	}
	if out["junit.xml"], err = JUnit(suite); err != nil {
		t.Fatal(err)
	}
	if out["summary.md"], err = Markdown(suite); err != nil {
		t.Fatal(err)
	}
	if out["report.html"], err = HTML(suite); err != nil {
		t.Fatal(err)
	}
	for name, data := range out {
		if len(data) == 0 {
			t.Errorf("%s is empty", name)
		}
		if strings.Contains(string(data), secret) {
			t.Errorf("%s holds the secret", name)
		}
	}
}
