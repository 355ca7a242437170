package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

// TestSensorHTTPReachesTheGateway: a built-in sensor with config.http
// posts its readings to the gateway container (its URL names the node;
// the port is published for the run), the gateway aggregates them, and an
// observer of the gateway's /aggregates follows them back to the readings
// by their sample id. summary.json says what was sent and answered.
func TestSensorHTTPReachesTheGateway(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	broker, _ := buildBrokers(t)
	gateway := buildGateway(t)
	file := filepath.Join(t.TempDir(), "http.yaml")
	src := `simulation: {duration_s: 8, seed: 1}
nodes:
  - id: mqtt-broker
    type: broker
    implementation: docker
    docker: {image: "oci:` + broker + `", health: {mqtt: 1883}}
  - id: gateway1
    type: service
    implementation: docker
    docker:
      image: "oci:` + gateway + `"
      environment: {MQTT_BROKER_HOST: mqtt-broker}
      health: {http: 8080/healthz}
  - id: sensor1
    type: sensor
    port: 5001
    config:
      dst: gateway1
      sample_rate_hz: 2
      http: {url: "http://gateway1:8080/readings/{id}/{type}"}
observe:
  - {name: stats, http: {node: gateway1, port: 8080, path: /aggregates, interval_s: 0.5}, correlate: {field: seq, device: sensor}}
validation:
  assertions:
    - {metric: observed_correlated, operator: gte, value: 3, where: {observe: stats}}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	p := startSimulate(t, env, "--out", out, file)
	code := p.wait(t, 3*time.Minute)
	checkGone(t, env, p.cmd.Process.Pid, "")
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s%s", code, p.out.String(), p.errOut.String())
	}
	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		HTTP []struct {
			ID        string `json:"id"`
			Sent      int64  `json:"sent"`
			OK        int64  `json:"ok"`
			Failed    int64  `json:"failed"`
			LastError string `json:"last_error"`
		} `json:"http"`
		Observers []observerJSON `json:"observers"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	// 2 readings a second from 1 s to 8 s.
	if len(s.HTTP) != 1 || s.HTTP[0].ID != "sensor1" || s.HTTP[0].Sent < 10 || s.HTTP[0].OK != s.HTTP[0].Sent {
		t.Errorf("http %+v; want sensor1 with at least 10 requests, all answered 2xx", s.HTTP)
	}
	if len(s.Observers) != 1 || s.Observers[0].Correlated < 3 || s.Observers[0].E2E == nil {
		t.Errorf("observers %+v; want stats following at least 3 readings with latencies", s.Observers)
	}
}
