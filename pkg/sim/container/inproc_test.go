package container_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/container"
)

// The tests in this file shape the real traffic of the participants that
// run inside the xedgesim process: built-in sensors publishing to a broker
// container (nodes/broker) and built-in gateways subscribing there, each
// against the same scenario on a perfect network in the same test.

// inprocRun runs the built-in devices around a broker container with
// links and faults, and returns the result, the helpers' link counters and
// the log directory.
func inprocRun(t *testing.T, b *shapeBed, broker, links, faults string, seconds int) (*sim.Result, []container.LinkCount, string) {
	t.Helper()
	sc := loadYAML(t, fmt.Sprintf(`
simulation: {duration_s: %d, seed: 3}
network:
  model: latency
  default_latency_us: 0
  links: %s
nodes:
  - id: mqtt-broker
    type: broker
    implementation: docker
    docker: {image: %s, health: {mqtt: 1883, timeout_s: 30}}
  - {id: sensor1, type: sensor, port: 5101, config: {dst: gateway1, sample_rate_hz: 20}}
  - {id: sensor2, type: sensor, port: 5102, config: {dst: gateway1, sample_rate_hz: 20}}
  - {id: gateway1, type: gateway, port: 5103}
  - {id: gateway2, type: gateway, port: 5104}
observe:
  - {name: s1, mqtt: {node: mqtt-broker, topic: "sensor/sensor1/#"}}
  - {name: s2, mqtt: {node: mqtt-broker, topic: "sensor/sensor2/#"}}
faults: %s
`, seconds, links, broker, faults))
	id := "t" + uniqueID(t)
	logs := t.TempDir()
	rt := newRuntime(t, container.WithLogDir(logs), container.WithNetwork(sc, 3, b.bin))
	res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(rt))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if left := leftovers(t, b.env, id); left != "" {
		t.Errorf("containers left after the run: %s", left)
	}
	if nets := docker(t, b.env, "network", "ls", "-q", "--filter", "label=xedgesim.run="+id); nets != "" {
		t.Errorf("networks left after the run: %s", nets)
	}
	if res.MQTT == nil {
		t.Fatal("no MQTT result")
	}
	return res, rt.Links(), logs
}

// routeMedianMS is the median latency from sensor src to gateway dst.
func routeMedianMS(t *testing.T, res *sim.Result, src, dst string) (float64, int) {
	t.Helper()
	for _, r := range res.MQTT.Routes {
		if r.Src == src && r.Dst == dst {
			var ms []float64
			for _, d := range r.Latencies {
				ms = append(ms, float64(d)/1e6)
			}
			slices.Sort(ms)
			return quantile(ms, 0.5), len(ms)
		}
	}
	t.Fatalf("no route %s -> %s in %+v", src, dst, res.MQTT.Routes)
	return 0, 0
}

func observed(t *testing.T, res *sim.Result, name string) sim.ObserverResult {
	t.Helper()
	for _, o := range res.Observers {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("no observer %q", name)
	return sim.ObserverResult{}
}

// TestShapeInProcessLatency: a 50 ms link from a built-in sensor to a
// broker container, held where the broker receives it, and one from the
// broker to a built-in gateway, held as the broker sends it, add their
// latency to the real MQTT deliveries through the broker; the routes
// without a link stay as on the perfect network.
func TestShapeInProcessLatency(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	b := newShapeBed(t)
	broker := buildNode(t, env, "broker")
	perfect, _, _ := inprocRun(t, b, broker, "[]", "[]", 5)
	shaped, links, _ := inprocRun(t, b, broker, `
    - {src: sensor1, dst: mqtt-broker, latency_us: 50000}
    - {src: mqtt-broker, dst: gateway2, latency_us: 50000}`, "[]", 5)
	for _, c := range []struct {
		src, dst string
		lo, hi   float64
	}{
		{"sensor1", "gateway1", 45, 60},
		{"sensor2", "gateway2", 45, 60},
		{"sensor1", "gateway2", 90, 120},
		{"sensor2", "gateway1", -5, 5},
	} {
		p, np := routeMedianMS(t, perfect, c.src, c.dst)
		s, ns := routeMedianMS(t, shaped, c.src, c.dst)
		t.Logf("%s -> %s: median %.1f ms (%d messages), perfect %.1f ms (%d)", c.src, c.dst, s, ns, p, np)
		if np < 50 || ns < 50 {
			t.Errorf("%s -> %s: %d and %d messages; want at least 50", c.src, c.dst, np, ns)
		}
		if d := s - p; d < c.lo || d > c.hi {
			t.Errorf("%s -> %s: median raised by %.1f ms; want %.0f to %.0f", c.src, c.dst, d, c.lo, c.hi)
		}
	}
	// The helper counted what it held on both links.
	want := map[string]bool{"sensor1>mqtt-broker": false, "mqtt-broker>gateway2": false}
	for _, l := range links {
		k := l.Src + ">" + l.Dst
		if _, ok := want[k]; ok && l.Packets >= 50 && l.Link.LatencyUS == 50000 {
			want[k] = true
		}
	}
	for k, ok := range want {
		if !ok {
			t.Errorf("link %s: no packets shaped: %+v", k, links)
		}
	}
}

// TestShapeInProcessLinkDown: link_down for 4 s from a built-in sensor
// to a broker container stops the sensor's real packets in that window
// (the broker hears nothing of it, ±100 ms) and not the other sensor's;
// the sensor's client is heard again after it. link_down for the same 4 s
// from the broker to a built-in gateway holds what the broker sends that
// gateway until it is lifted, and not what it sends the other gateway. On
// the perfect network nothing is held.
func TestShapeInProcessLinkDown(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	b := newShapeBed(t)
	broker := buildNode(t, env, "broker")
	perfect, _, _ := inprocRun(t, b, broker, "[]", "[]", 9)
	res, links, logs := inprocRun(t, b, broker, "[]", `
  - {at_s: 2, kind: link_down, link: {src: sensor1, dst: mqtt-broker}, duration_s: 4}
  - {at_s: 2, kind: link_down, link: {src: mqtt-broker, dst: gateway2}, duration_s: 4}`, 9)

	from, until := faultWindow(t, filepath.Join(logs, "mqtt-broker.netshape.jsonl"), "link_down")
	if w := until.Sub(from); w < 3900*time.Millisecond || w > 4100*time.Millisecond {
		t.Fatalf("the helper logged the outage from %v to %v; want 4 s", from, until)
	}
	s1, s2 := observed(t, res, "s1"), observed(t, res, "s2")
	var before, in, after int
	for _, a := range s1.Arrivals {
		switch {
		case a.Before(from):
			before++
		case a.After(from.Add(100*time.Millisecond)) && a.Before(until.Add(-100*time.Millisecond)):
			in++
		case a.After(until):
			after++
		}
	}
	ps1 := observed(t, perfect, "s1")
	t.Logf("sensor1: %d messages before the outage, %d in it, %d after; longest silence %v (perfect %v); sensor2's %v",
		before, in, after, longestSilence(s1.Arrivals), longestSilence(ps1.Arrivals), longestSilence(s2.Arrivals))
	if in != 0 {
		t.Errorf("%d of sensor1's messages reached the broker during the outage", in)
	}
	if before < 10 || after < 20 {
		t.Errorf("sensor1: %d messages before the outage, %d after; want its traffic around it", before, after)
	}
	if g := longestSilence(s1.Arrivals); g < 3800*time.Millisecond || g > 8*time.Second {
		t.Errorf("sensor1's longest silence %v; want the 4 s outage", g)
	}
	if p, o := longestSilence(ps1.Arrivals), longestSilence(s2.Arrivals); p > time.Second || o > time.Second {
		t.Errorf("longest silence: sensor1 on the perfect network %v, sensor2 beside the outage %v; want under 1 s", p, o)
	}
	// The first message after the outage: the client is back within 3 s.
	if i := slices.IndexFunc(s1.Arrivals, func(a time.Time) bool { return a.After(until) }); i < 0 || s1.Arrivals[i].Sub(until) > 3*time.Second {
		t.Errorf("sensor1 was not heard within 3 s of the outage's end")
	}

	// What the broker sent gateway2 in the window waited for its end;
	// gateway1 got sensor2's readings at once throughout.
	worst := func(r *sim.Result, src, dst string) time.Duration {
		for _, rt := range r.MQTT.Routes {
			if rt.Src == src && rt.Dst == dst {
				return slices.Max(rt.Latencies)
			}
		}
		t.Fatalf("no route %s -> %s", src, dst)
		return 0
	}
	held, free, perf := worst(res, "sensor2", "gateway2"), worst(res, "sensor2", "gateway1"), worst(perfect, "sensor2", "gateway2")
	t.Logf("sensor2's readings: at most %v to gateway2, %v to gateway1; %v on the perfect network", held, free, perf)
	if held < 3*time.Second || free > time.Second || perf > time.Second {
		t.Errorf("longest delivery: %v to gateway2 behind the outage (want over 3 s), %v to gateway1, %v on the perfect network (want under 1 s)", held, free, perf)
	}
	// Both links dropped packets: what the sensor sent, where the broker
	// receives it, and what the broker sent gateway2, as it leaves.
	var dropped []string
	for _, l := range links {
		if l.Dropped > 0 {
			dropped = append(dropped, l.Src+">"+l.Dst)
		}
	}
	slices.Sort(dropped)
	if got := strings.Join(dropped, " "); got != "mqtt-broker>gateway2 sensor1>mqtt-broker" {
		t.Errorf("links that dropped packets: %q; want sensor1 -> mqtt-broker and mqtt-broker -> gateway2 (%+v)", got, links)
	}
}

// TestShapeEmbeddedBrokerUplink: a gateway container (nodes/gateway)
// publishes its aggregates to an embedded broker, "cloud", which it
// reaches by name on the run's network; link_down for 3 s between the two
// stops them in that window, where an observer at the cloud hears
// nothing, and they come back after it. On the perfect network the cloud
// hears the gateway all along.
func TestShapeEmbeddedBrokerUplink(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	b := newShapeBed(t)
	broker, gateway := buildNode(t, env, "broker"), buildNode(t, env, "gateway")
	run := func(faults string) (*sim.Result, []container.LinkCount, string) {
		sc := loadYAML(t, fmt.Sprintf(`
simulation: {duration_s: 9, seed: 3}
nodes:
  - id: mqtt-broker
    type: broker
    implementation: docker
    docker: {image: %s, health: {mqtt: 1883, timeout_s: 30}}
  - id: gateway1
    type: gateway
    implementation: docker
    docker:
      image: %s
      environment: {MQTT_BROKER_HOST: mqtt-broker, MQTT_UPLINK: "cloud:18830"}
      command: [-interval, 200ms]
      health: {http: 8080/healthz, timeout_s: 30}
  - {id: cloud, type: broker, port: 18830}
  - {id: sensor1, type: sensor, port: 5101, config: {dst: gateway1, sample_rate_hz: 10}}
observe:
  - {name: up, mqtt: {node: cloud, topic: "gateway/+/aggregate"}}
faults: %s
`, broker, gateway, faults))
		id := "t" + uniqueID(t)
		logs := t.TempDir()
		rt := newRuntime(t, container.WithLogDir(logs), container.WithNetwork(sc, 3, b.bin))
		res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(rt))
		if err != nil {
			t.Fatalf("Run() = %v", err)
		}
		if left := leftovers(t, b.env, id); left != "" {
			t.Errorf("containers left after the run: %s", left)
		}
		return res, rt.Links(), logs
	}
	perfect, _, _ := run("[]")
	res, links, logs := run(`
  - {at_s: 3, kind: link_down, link: {src: gateway1, dst: cloud}, duration_s: 3}
  - {at_s: 3, kind: link_down, link: {src: cloud, dst: gateway1}, duration_s: 3}`)
	from, until := faultWindow(t, filepath.Join(logs, "gateway1.netshape.jsonl"), "link_down")
	up, pup := observed(t, res, "up"), observed(t, perfect, "up")
	var before, in, after int
	for _, a := range up.Arrivals {
		switch {
		case a.Before(from):
			before++
		case a.After(from.Add(100*time.Millisecond)) && a.Before(until.Add(-100*time.Millisecond)):
			in++
		case a.After(until):
			after++
		}
	}
	t.Logf("the cloud heard %d aggregates before the outage, %d in it, %d after; longest silence %v (perfect %v, %d aggregates)",
		before, in, after, longestSilence(up.Arrivals), longestSilence(pup.Arrivals), len(pup.Arrivals))
	if in != 0 {
		t.Errorf("%d aggregates reached the cloud during the outage", in)
	}
	if before < 3 || after < 5 {
		t.Errorf("%d aggregates before the outage, %d after; want the uplink around it", before, after)
	}
	if g := longestSilence(up.Arrivals); g < 2800*time.Millisecond {
		t.Errorf("longest silence at the cloud %v; want the 3 s outage", g)
	}
	if len(pup.Arrivals) < 20 || longestSilence(pup.Arrivals) > time.Second {
		t.Errorf("perfect network: %d aggregates, longest silence %v", len(pup.Arrivals), longestSilence(pup.Arrivals))
	}
	var dropped []string
	for _, l := range links {
		if l.Dropped > 0 {
			dropped = append(dropped, l.Src+">"+l.Dst)
		}
	}
	if !slices.Contains(dropped, "gateway1>cloud") {
		t.Errorf("links that dropped packets: %q; want gateway1 -> cloud (%+v)", dropped, links)
	}
}

// TestShapeInProcessHTTP: a built-in sensor's config.http requests to a
// gateway container go through its link, both ways (bidirectional): the
// helper holds the requests where the gateway receives them and the
// answers as it sends them, and drops both while the link is down.
func TestShapeInProcessHTTP(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	b := newShapeBed(t)
	broker, gateway := buildNode(t, env, "broker"), buildNode(t, env, "gateway")
	sc := loadYAML(t, fmt.Sprintf(`
simulation: {duration_s: 8, seed: 3}
network:
  model: latency
  default_latency_us: 0
  links:
    - {src: sensor1, dst: gateway1, latency_us: 20000, bidirectional: true}
nodes:
  - id: mqtt-broker
    type: broker
    implementation: docker
    docker: {image: %s, health: {mqtt: 1883, timeout_s: 30}}
  - id: gateway1
    type: service
    implementation: docker
    docker: {image: %s, environment: {MQTT_BROKER_HOST: mqtt-broker}, health: {http: 8080/healthz, timeout_s: 30}}
  - {id: sensor1, type: sensor, port: 5101, config: {dst: gateway1, sample_rate_hz: 5, http: {url: "http://gateway1:8080/readings/{id}/{type}"}}}
faults:
  - {at_s: 3, kind: link_down, link: {src: sensor1, dst: gateway1}, duration_s: 2}
`, broker, gateway))
	id := "t" + uniqueID(t)
	rt := newRuntime(t, container.WithLogDir(t.TempDir()), container.WithNetwork(sc, 3, b.bin))
	res, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(rt))
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if left := leftovers(t, b.env, id); left != "" {
		t.Errorf("containers left after the run: %s", left)
	}
	if len(res.HTTP) != 1 || res.HTTP[0].OK < 20 {
		t.Fatalf("http %+v; want sensor1's requests answered", res.HTTP)
	}
	got := map[string]container.LinkCount{}
	for _, l := range rt.Links() {
		got[l.Src+">"+l.Dst] = l
	}
	t.Logf("http %+v; links %+v", res.HTTP[0], got)
	req, ans := got["sensor1>gateway1"], got["gateway1>sensor1"]
	if req.Packets < 20 || req.Dropped == 0 || req.Link.LatencyUS != 20000 {
		t.Errorf("sensor1 -> gateway1 %+v; want the requests held, and dropped in the outage", req)
	}
	if ans.Packets < 20 || ans.Link.LatencyUS != 20000 {
		t.Errorf("gateway1 -> sensor1 %+v; want the answers held", ans)
	}
}
