package sim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// freePort is a TCP port on loopback that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A sensor group's devices publish their readings to the scenario's real
// broker as single sensors do, each on its own topic, and the gateway gets
// every one; the readings are those the group gives without a broker.
func TestSensorGroupPublishesOverMQTT(t *testing.T) {
	const devices = 20
	scenarioWith := func(broker string) string {
		return `simulation: {duration_s: 5, seed: 7}
nodes:
` + broker + `  - {id: "sensor{i}", count: ` + fmt.Sprint(devices) + `, type: sensor, config: {dst: gateway1}}
  - {id: gateway1, type: gateway, port: 5002}
`
	}
	res, err := Run(context.Background(), loadYAMLScenario(t, scenarioWith(fmt.Sprintf("  - {id: mqtt-broker, type: broker, port: %d}\n", freePort(t)))))
	if err != nil {
		t.Fatal(err)
	}
	m := res.MQTT
	if m == nil {
		t.Fatal("no MQTT result for a scenario with an embedded broker")
	}
	var want []MQTTPublisher
	for i := 1; i <= devices; i++ {
		id := fmt.Sprintf("sensor%d", i)
		want = append(want, MQTTPublisher{ID: id, Topic: "sensor/" + id + "/temperature", Published: 4})
	}
	if diff := cmp.Diff(want, m.Publishers); diff != "" {
		t.Errorf("publishers (-want +got):\n%s", diff)
	}
	if m.Published != 4*devices || m.Received != m.Published || m.Expected != m.Published || m.TimedOut {
		t.Errorf("MQTT: published %d, received %d, expected %d, timed out %v; want %d each", m.Published, m.Received, m.Expected, m.TimedOut, 4*devices)
	}
	if len(m.Routes) != devices {
		t.Errorf("%d routes, want one from each device: %+v", len(m.Routes), m.Routes)
	}

	// The simulated side is the group's own: the same as without a broker.
	plain, err := Run(context.Background(), loadYAMLScenario(t, scenarioWith("")))
	if err != nil {
		t.Fatal(err)
	}
	pick := func(r *Result) []NodeResult {
		var out []NodeResult
		for _, n := range r.Nodes {
			if strings.HasPrefix(n.ID, "sensor") || n.ID == "gateway1" {
				out = append(out, n)
			}
		}
		return out
	}
	if diff := cmp.Diff(pick(plain), pick(res), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("the group's rows with a broker differ from those without (-without +with):\n%s", diff)
	}
}

// A sensor group with config.http sends each device's readings as its own
// requests, with the device's id in the URL.
func TestSensorGroupSendsOverHTTP(t *testing.T) {
	var (
		mu    sync.Mutex
		paths = map[string]int{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths[r.URL.Path]++
		mu.Unlock()
	}))
	defer srv.Close()
	sc := loadYAMLScenario(t, `simulation: {duration_s: 5, seed: 1}
nodes:
  - id: "sensor{i}"
    count: 3
    type: sensor
    config:
      dst: gateway1
      http: {url: "`+srv.URL+`/readings/{id}", body: '{"n": {seq}}'}
  - {id: gateway1, type: gateway, port: 5002}
`)
	res, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	var want []HTTPSender
	wantPaths := map[string]int{}
	for i := 1; i <= 3; i++ {
		want = append(want, HTTPSender{ID: fmt.Sprintf("sensor%d", i), Method: "POST", URL: srv.URL + "/readings/{id}", Sent: 4, OK: 4})
		wantPaths[fmt.Sprintf("/readings/sensor%d", i)] = 4
	}
	if diff := cmp.Diff(want, res.HTTP); diff != "" {
		t.Errorf("senders (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("requests by path (-want +got):\n%s", diff)
	}
}
