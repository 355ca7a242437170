package scenario

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestObserversLoad(t *testing.T) {
	t.Parallel()
	s, warnings := parse(t, twoNodes+`  - {id: app, type: app, implementation: docker, docker: {image: i}}
observe:
  - {name: aggregates, mqtt: {node: gateway1, topic: "gateway/+/aggregate", qos: 1}, correlate: {field: seq, device: sensor}}
  - {name: stats, http: {node: app, port: 8080, path: /stats, interval_s: 0.5}}
validation:
  assertions:
    - {metric: observed_messages, operator: gte, value: 1, where: {observe: aggregates}}
    - {metric: observed_field_max, field: stats.count, operator: gte, value: 1, where: {observe: stats}}
`)
	if len(warnings) != 0 {
		t.Errorf("warnings: %v", warnings)
	}
	want := []Observer{
		{Name: "aggregates", MQTT: &ObserveMQTT{Node: "gateway1", Topic: "gateway/+/aggregate", QoS: 1}, Correlate: &Correlate{Field: "seq", Device: "sensor"}, Pos: Pos{File: "fixture.yaml", Line: 11, Col: 5}},
		{Name: "stats", HTTP: &ObserveHTTP{Node: "app", Port: 8080, Path: "/stats", IntervalUS: 500_000}, Pos: Pos{File: "fixture.yaml", Line: 12, Col: 5}},
	}
	if diff := cmp.Diff(want, s.Observers); diff != "" {
		t.Errorf("observers (-want +got):\n%s", diff)
	}
	a := s.Assertions
	if len(a) != 2 || a[0].Where != (Scope{Observe: "aggregates"}) || a[1].Field != "stats.count" || a[1].Where.Observe != "stats" {
		t.Errorf("assertions = %+v", a)
	}
}

func TestObserverErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		src  string
		want []string
		msg  string
	}{{
		name: "bad observers",
		src: twoNodes + `observe:
  - {name: a1, mqtt: {node: gateway1, topic: "gateway/x+/agg"}}
  - {name: a2, http: {node: gateway9, port: 8080}}
  - {name: a3}
  - {name: a4, mqtt: {node: a, topic: t}, http: {node: a, port: 1}}
  - {name: a5, http: {node: a, port: 70000, path: stats, interval_s: 0.001}}
  - {name: a1, mqtt: {node: a, topic: "#/x", qos: 3}, correlate: {field: "a..b"}}
  - {name: a6, http: {node: a, port: 80, interval_s: 1e10}}
`,
		want: []string{
			"10:^\"gateway/x+/agg\" observe[0].mqtt.topic",
			"11:^gateway9 observe[1].http.node",
			"12:^{name observe[2].mqtt",
			"13:^http: observe[3].http",
			"14:^70000 observe[4].http.port",
			"14:^stats observe[4].http.path",
			"14:^0.001 observe[4].http.interval_s",
			"15:^a1 observe.name",
			"15:^\"#/x\" observe[5].mqtt.topic",
			"15:^3 observe[5].mqtt.qos",
			"15:^\"a..b\" observe[5].correlate.field",
			"16:^1e10 observe[6].http.interval_s",
		},
		msg: "+ must be a whole level",
	}, {
		// Names label reports and files: the node ids' charset.
		name: "an observer name outside the charset",
		src:  twoNodes + "observe:\n  - {name: a/b, mqtt: {node: a, topic: t}}\n",
		want: []string{"10:^a/b observe[0].name"},
		msg:  `observe[0].name "a/b" has characters outside the name charset`,
	}, {
		name: "an HTTP observer polls a container",
		src:  twoNodes + "observe:\n  - {name: root, http: {node: a, port: 80}}\n",
		want: []string{"10:^{name observe[0].http.node"},
		msg:  `node "a" is python_model; an HTTP observer polls a container's port`,
	}, {
		name: "observer metrics need their scope",
		src: twoNodes + `observe:
  - {name: agg, mqtt: {node: a, topic: "#"}}
validation:
  assertions:
    - {metric: observed_messages, operator: gte, value: 1}
    - {metric: observed_messages, operator: gte, value: 1, where: {observe: ag}}
    - {metric: observed_field_max, operator: gte, value: 1, where: {observe: agg}}
    - {metric: packets_sent, operator: gte, value: 1, field: x, where: {observe: agg}}
`,
		want: []string{
			"13:^{metric validation.assertions[0].where",
			"14:^ag}} validation.assertions[1].where.observe",
			"15:^{metric validation.assertions[2].field",
			"16:^field: validation.assertions[3].field",
			"16:^{observe validation.assertions[3].where.observe",
		},
		msg: "observed_messages is measured by an observer; name it with where: {observe: ...}",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diags := errorsOf(t, tc.src)
			if diff := cmp.Diff(expand(t, tc.src, tc.want), where(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall: %v", diff, diags)
			}
			if tc.msg != "" && !strings.Contains(diags[0].String(), tc.msg) {
				t.Errorf("first error %q does not contain %q", diags[0].String(), tc.msg)
			}
		})
	}
}
