package sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
)

func loadYAMLScenario(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, _, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// A sensor with config.http sends each reading as a request in the app's
// terms: its URL and body templates filled in, its method; an answer that
// is not 2xx counts as failed, with the reason.
func TestSensorSendsOverHTTP(t *testing.T) {
	type got struct {
		Method, Path, Query string
		Body                map[string]any
	}
	var (
		mu   sync.Mutex
		reqs []got
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("body %q: %v", b, err)
		}
		mu.Lock()
		reqs = append(reqs, got{r.Method, r.URL.Path, r.URL.RawQuery, body})
		mu.Unlock()
		if r.URL.Query().Get("seq") == "2" {
			http.Error(w, "busy", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	sc := loadYAMLScenario(t, `simulation: {duration_s: 5, seed: 1}
nodes:
  - id: sensor1
    type: sensor
    port: 5001
    config:
      dst: gateway1
      http: {url: "`+srv.URL+`/readings/{id}?seq={seq}", method: put, body: '{"n": {seq}, "v": {value}, "kind": "{type}"}'}
  - {id: gateway1, type: gateway, port: 5002}
`)
	res, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.HTTP) != 1 {
		t.Fatalf("HTTP result %+v, want one sender", res.HTTP)
	}
	h := res.HTTP[0]
	if h.ID != "sensor1" || h.Method != "PUT" || h.Sent != 4 || h.OK != 3 || h.Failed != 1 || !strings.Contains(h.LastError, "500") {
		t.Errorf("sender %+v; want sensor1 PUT, 4 sent, 3 OK, 1 failed with 500", h)
	}
	slices.SortFunc(reqs, func(a, b got) int { return strings.Compare(a.Query, b.Query) })
	var seqs []float64
	for _, r := range reqs {
		if r.Method != "PUT" || r.Path != "/readings/sensor1" || r.Body["kind"] != "temperature" || r.Body["v"] == nil {
			t.Errorf("request %+v", r)
		}
		n, _ := r.Body["n"].(float64)
		seqs = append(seqs, n)
	}
	if diff := cmp.Diff([]float64{1, 2, 3, 4}, seqs); diff != "" {
		t.Errorf("readings sent (-want +got):\n%s", diff)
	}
}

// A sensor cannot send HTTP to a built-in node: it has no port.
func TestSensorHTTPToBuiltInNode(t *testing.T) {
	sc := loadYAMLScenario(t, `simulation: {duration_s: 2, seed: 1}
nodes:
  - {id: sensor1, type: sensor, port: 5001, config: {http: {url: "http://gateway1:8080/readings"}}}
  - {id: gateway1, type: gateway, port: 5002}
`)
	_, err := Run(context.Background(), sc)
	if err == nil || !strings.Contains(err.Error(), `config.http.url: node "gateway1" has no port a sensor can reach`) {
		t.Errorf("Run() = %v, want the URL refused", err)
	}
}
