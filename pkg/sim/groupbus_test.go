package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xedgesim/simulate/pkg/sim/node"
)

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
	// A taken port moves the embedded broker to a free one.
	res, err := Run(context.Background(), loadYAMLScenario(t, scenarioWith("  - {id: mqtt-broker, type: broker, port: 1883}\n")))
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

// dialRecorder is a container that sensors reach over their links: it
// records who each connection is dialled as, and connects to addr.
type dialRecorder struct {
	node.Node // unused: only the dialling is called
	addr      string
	mu        sync.Mutex
	from      []string
}

func (d *dialRecorder) DialFrom(ctx context.Context, from string, _ int) (net.Conn, error) {
	d.mu.Lock()
	d.from = append(d.from, from)
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", d.addr)
}

func (d *dialRecorder) DialMQTTFrom(context.Context, string) (net.Conn, error) {
	return nil, errors.New("no MQTT here")
}

// A group's devices share one HTTP client, and each request to a container
// is dialled as the device it is from, so the device's links act on it; a
// single sensor keeps a client of its own.
func TestGroupDevicesDialAsThemselves(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	sc := loadYAMLScenario(t, `simulation: {duration_s: 5, seed: 1}
nodes:
  - {id: "sensor{i}", count: 3, type: sensor, config: {dst: gw, http: {url: "http://app:8080/r/{id}"}}}
  - {id: solo, type: sensor, port: 5001, config: {dst: gw, http: {url: "http://app:8080/r/{id}"}}}
  - {id: gw, type: gateway, port: 5002}
`)
	nodes, _, err := build(sc, &options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &dialRecorder{addr: srv.Listener.Addr().String()}
	shared := map[*node.SensorGroup]*http.Client{}
	var clients []*http.Client
	for _, n := range nodes[:4] {
		clients = append(clients, fromClient(n.(node.Publisher), rec, 8080, shared))
	}
	if clients[0] != clients[1] || clients[1] != clients[2] {
		t.Error("a group's devices got clients of their own, want one they share")
	}
	if clients[3] == clients[0] {
		t.Error("the single sensor got the group's client")
	}
	hb := &httpBus{}
	for i, n := range []string{"sensor2", "sensor3", "sensor2", "solo"} {
		c := clients[map[string]int{"sensor2": 1, "sensor3": 2, "solo": 3}[n]]
		s := &httpSender{id: n, spec: node.SensorHTTP{Method: http.MethodGet}, client: c}
		if err := hb.send(context.Background(), s, "http://app:8080/r/"+n, nil); err != nil {
			t.Fatalf("request %d from %s: %v", i, n, err)
		}
	}
	// The group's client dials for every request; the single sensor's
	// keeps its connection.
	want := []string{"sensor2", "sensor3", "sensor2", "solo"}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if diff := cmp.Diff(want, rec.from); diff != "" {
		t.Errorf("connections dialled as (-want +got):\n%s", diff)
	}
}
