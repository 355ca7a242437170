package container_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/container"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// The tests in this file shape real traffic between two containers of
// nodes/netprobe with the shaping helper, the xedgesim binary's
// __netshape verb in the sender's network namespace, and measure it
// against the same pair on a perfect link in the same test.

// shapeBed is what the shaping tests share: the bed, an engine client, the
// probe image and the helper image.
type shapeBed struct {
	env    *testbed.Env
	bin    string // a static xedgesim binary
	cli    *engine.Client
	probe  string
	helper string
}

func newShapeBed(t *testing.T) *shapeBed {
	t.Helper()
	env := testbed.Need(t, testbed.PartDocker)
	cli, err := engine.New(env.DockerHost, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	bin := filepath.Join(t.TempDir(), "xedgesim")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/xedgesim")
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	helper, err := container.ShaperImage(context.Background(), cli, bin)
	if err != nil {
		t.Fatal(err)
	}
	// The helper image is the runtime's cache, tagged by the binary's
	// digest; this test's binary is its own.
	t.Cleanup(func() { docker(t, env, "image", "rm", "-f", helper) })
	return &shapeBed{env: env, bin: bin, cli: cli, probe: buildNode(t, env, "netprobe"), helper: helper}
}

// pair is a sender and a receiver probe on a network of their own.
type pair struct {
	b          *shapeBed
	run        string
	send, recv string // container ids
	sendCtl    string // control addresses on loopback
	recvCtl    string
	zero       time.Time // the last helper's timeline zero
}

func (b *shapeBed) pair(t *testing.T) *pair {
	t.Helper()
	p := &pair{b: b, run: "t" + uniqueID(t)}
	netName := "xedgesim-" + p.run
	docker(t, b.env, "network", "create", "--label", container.LabelRun+"="+p.run, netName)
	t.Cleanup(func() {
		docker(t, b.env, "rm", "-f", p.send, p.recv)
		docker(t, b.env, "network", "rm", netName)
		if left := leftovers(t, b.env, p.run); left != "" {
			t.Errorf("containers of the run left: %s", left)
		}
	})
	start := func(alias string) (string, string) {
		id := docker(t, b.env, "run", "-d", "--label", container.LabelRun+"="+p.run, "--network", netName,
			"--network-alias", alias, "-p", "127.0.0.1::7000", b.probe)
		port := docker(t, b.env, "port", id, "7000/tcp")
		port = strings.Split(port, "\n")[0]
		return id, port
	}
	p.recv, p.recvCtl = start("recv")
	p.send, p.sendCtl = start("send")
	return p
}

// ctl sends one command to a probe and decodes its answer into out.
func ctl(t *testing.T, addr, cmd string, out any) {
	t.Helper()
	var c net.Conn
	var err error
	for range 50 { // the probe may still be starting
		if c, err = net.Dial("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	defer c.Close()
	fmt.Fprintln(c, cmd)
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	var e struct{ Error string }
	if json.Unmarshal(line, &e) == nil && e.Error != "" {
		t.Fatalf("%s: %s", cmd, e.Error)
	}
	if err := json.Unmarshal(line, out); err != nil {
		t.Fatalf("%s: %v: %s", cmd, err, line)
	}
}

type datagram struct {
	Seq    uint64 `json:"seq"`
	SentNS int64  `json:"sent_ns"`
	RecvNS int64  `json:"recv_ns"`
}

// udp sends n datagrams gap apart from sender to receiver and returns
// those that arrived.
func (p *pair) udp(t *testing.T, n int, gap time.Duration) []datagram {
	t.Helper()
	listen := time.Duration(n)*gap + 2*time.Second
	var got struct{ Datagrams []datagram }
	var wg sync.WaitGroup
	wg.Go(func() { ctl(t, p.recvCtl, fmt.Sprintf("udprecv 9000 %d", listen.Milliseconds()), &got) })
	time.Sleep(300 * time.Millisecond) // the receiver binds its port
	var sent struct{ Sent int }
	ctl(t, p.sendCtl, fmt.Sprintf("udpsend recv:9000 %d %d", n, gap.Microseconds()), &sent)
	wg.Wait()
	if sent.Sent != n {
		t.Fatalf("sent %d datagrams of %d", sent.Sent, n)
	}
	return got.Datagrams
}

// tcp sends for d and returns the receiver's rate in bit/s.
func (p *pair) tcp(t *testing.T, d time.Duration) (float64, int64) {
	t.Helper()
	var got struct {
		Bytes   int64
		FirstNS int64 `json:"first_ns"`
		LastNS  int64 `json:"last_ns"`
	}
	var wg sync.WaitGroup
	wg.Go(func() { ctl(t, p.recvCtl, fmt.Sprintf("tcprecv 9001 %d", (d+time.Second).Milliseconds()), &got) })
	time.Sleep(300 * time.Millisecond)
	var sent struct{ Bytes int64 }
	ctl(t, p.sendCtl, fmt.Sprintf("tcpsend recv:9001 %d", d.Milliseconds()), &sent)
	wg.Wait()
	if got.Bytes == 0 || got.LastNS <= got.FirstNS {
		t.Fatalf("nothing measured: %+v", got)
	}
	return float64(got.Bytes*8) / (float64(got.LastNS-got.FirstNS) / 1e9), got.Bytes
}

// shape starts a helper on the receiver shaping what it gets from the
// sender.
func (p *pair) shape(t *testing.T, l shape.Params, windows ...shape.Window) *container.Shaper {
	t.Helper()
	p.zero = time.Now()
	c := shape.Config{Node: "recv", Queue: 7, Seed: 42, StartUnixNano: p.zero.UnixNano(),
		Peers: []shape.Peer{{Node: "send", Link: l, Windows: windows}}}
	s, err := container.StartShaper(context.Background(), p.b.cli, p.b.helper, p.recv, c,
		map[string]string{container.LabelRun: p.run, container.LabelNode: "recv"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func stopShaper(t *testing.T, s *container.Shaper) shape.Counters {
	t.Helper()
	if err := s.Stop(context.Background()); err != nil {
		t.Error(err)
	}
	return s.Links["send"]
}

func latencies(ds []datagram) []float64 {
	var ms []float64
	for _, d := range ds {
		ms = append(ms, float64(d.RecvNS-d.SentNS)/1e6)
	}
	slices.Sort(ms)
	return ms
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

func TestShapeRealTraffic(t *testing.T) {
	b := newShapeBed(t)

	t.Run("latency and jitter", func(t *testing.T) {
		t.Parallel()
		p := b.pair(t)
		base := latencies(p.udp(t, 300, 5*time.Millisecond))
		s := p.shape(t, shape.Params{LatencyUS: 50000})
		slow := latencies(p.udp(t, 300, 5*time.Millisecond))
		c := stopShaper(t, s)
		s = p.shape(t, shape.Params{LatencyUS: 50000, JitterUS: 20000})
		jit := latencies(p.udp(t, 300, 5*time.Millisecond))
		stopShaper(t, s)
		raise := quantile(slow, 0.5) - quantile(base, 0.5)
		t.Logf("median one-way latency: perfect %.2f ms, 50 ms link %.2f ms (+%.2f ms); p95-p5: perfect %.2f ms, jitter 20 ms %.2f ms; shaped %d packets",
			quantile(base, 0.5), quantile(slow, 0.5), raise, quantile(base, 0.95)-quantile(base, 0.05), quantile(jit, 0.95)-quantile(jit, 0.05), c.Packets)
		if raise < 45 || raise > 60 {
			t.Errorf("a 50 ms link raised the median one-way latency by %.2f ms; want 45-60", raise)
		}
		if w := quantile(jit, 0.95) - quantile(jit, 0.05); w < 30 {
			t.Errorf("jitter_us 20000 widened p95-p5 to %.2f ms; want at least 30", w)
		}
		if len(slow) < 290 || c.Packets < int64(len(slow)) {
			t.Errorf("50 ms link: %d of 300 datagrams arrived, the helper shaped %d", len(slow), c.Packets)
		}
	})

	t.Run("loss", func(t *testing.T) {
		t.Parallel()
		p := b.pair(t)
		const n = 600
		base := p.udp(t, n, 2*time.Millisecond)
		s := p.shape(t, shape.Params{LossRate: 0.2})
		lossy := p.udp(t, n, 2*time.Millisecond)
		c := stopShaper(t, s)
		t.Logf("delivered: perfect %d/%d, loss_rate 0.2 %d/%d (helper dropped %d)", len(base), n, len(lossy), n, c.Dropped)
		if len(base) < n*99/100 {
			t.Errorf("the perfect link delivered %d of %d", len(base), n)
		}
		if r := float64(len(lossy)) / n; r < 0.7 || r > 0.9 {
			t.Errorf("loss_rate 0.2 delivered %.1f %%; want 70-90 %%", 100*r)
		}
		if c.Dropped == 0 || c.Dropped+c.Packets < n {
			t.Errorf("helper counters %+v; want %d packets seen, some dropped", c, n)
		}
	})

	t.Run("bandwidth", func(t *testing.T) {
		t.Parallel()
		p := b.pair(t)
		base, _ := p.tcp(t, time.Second)
		s := p.shape(t, shape.Params{BandwidthBPS: 64000})
		rate, bytes := p.tcp(t, 5*time.Second)
		c := stopShaper(t, s)
		t.Logf("bulk TCP: perfect %.0f kbit/s, 64000 bps link %.1f kbit/s (%d bytes; helper %+v)", base/1000, rate/1000, bytes, c)
		if rate < 50000 || rate > 75000 {
			t.Errorf("bandwidth_bps 64000 gave %.1f kbit/s; want 50-75", rate/1000)
		}
		if base < 10*rate {
			t.Errorf("the perfect link gave %.0f kbit/s, not far above the shaped one", base/1000)
		}
	})

	t.Run("link_down", func(t *testing.T) {
		t.Parallel()
		p := b.pair(t)
		// A window from 4 s to 9 s after the helper's zero (it may take a
		// second or two to start on a loaded machine); datagrams every
		// 10 ms for 10 s from when it is ready.
		s := p.shape(t, shape.Params{}, shape.Window{Kind: "link_down", FromUS: 4_000_000, UntilUS: 9_000_000, Down: true})
		got := p.udp(t, 1000, 10*time.Millisecond)
		c := stopShaper(t, s)
		from, until := p.zero.Add(4*time.Second), p.zero.Add(9*time.Second)
		var before, in, after int
		for _, d := range got {
			r := time.Unix(0, d.RecvNS)
			switch {
			case r.Before(from.Add(-100 * time.Millisecond)):
				before++
			case r.After(until.Add(100*time.Millisecond)) && time.Unix(0, d.SentNS).After(until):
				after++
			case r.After(from.Add(100*time.Millisecond)) && r.Before(until.Add(-100*time.Millisecond)):
				in++
			}
		}
		t.Logf("link_down 5 s: %d datagrams before, %d in the window, %d after; helper %+v; events %+v", before, in, after, c, s.Events)
		if in != 0 {
			t.Errorf("%d datagrams crossed a link that was down", in)
		}
		if before < 50 || after < 50 {
			t.Errorf("before %d, after %d: the link did not carry traffic around the window", before, after)
		}
		var kinds []string
		for _, e := range s.Events {
			if e.Fault != "" {
				kinds = append(kinds, e.Kind+" "+e.Fault)
			}
		}
		if !slices.Equal(kinds, []string{"applied link_down", "lifted link_down"}) {
			t.Errorf("fault events %v; want applied and lifted link_down", kinds)
		}
	})
}

// streamLatencies reads nodes/netprobe's udprecv lines from a node's log:
// each datagram's one-way latency (ms) and receive time.
func streamLatencies(t *testing.T, log string) (lat []float64, recv []time.Time) {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		var seq, sent, got int64
		if n, _ := fmt.Sscanf(line, "%d %d %d", &seq, &sent, &got); n == 3 {
			lat = append(lat, float64(got-sent)/1e6)
			recv = append(recv, time.Unix(0, got))
		}
	}
	return lat, recv
}

func longestSilence(recv []time.Time) time.Duration {
	var gap time.Duration
	for i := 1; i < len(recv); i++ {
		gap = max(gap, recv[i].Sub(recv[i-1]))
	}
	return gap
}

// TestShapeScenario runs a scenario of two netprobe containers through
// sim.Run and the runtime, once on a perfect link and once with
// latency_us: 50000 and a link_down fault: the receiver's log measures both.
// The first run also pauses the sender (node_pause).
// Nothing of the run stays behind.
func TestShapeScenario(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	b := newShapeBed(t)
	bin := b.bin
	var nodeFaults map[int]container.FaultTime
	run := func(link, faults string) (lat []float64, recv []time.Time, logs string) {
		t.Helper()
		sc := loadYAML(t, `
simulation: {duration_s: 6, seed: 7}
network:
  model: latency
  default_latency_us: 0
  links:
    - {src: send, dst: recv, `+link+`}
nodes:
  - id: recv
    type: service
    implementation: docker
    docker: {image: `+b.probe+`, command: [udprecv, "9000"]}
  - id: send
    type: service
    implementation: docker
    docker: {image: `+b.probe+`, command: [udpsend, "recv:9000", "10000"]}
`+faults)
		id := "t" + uniqueID(t)
		logs = t.TempDir()
		rt := newRuntime(t, container.WithLogDir(logs), container.WithNetwork(sc, 7, bin))
		if _, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(rt)); err != nil {
			t.Fatalf("Run() = %v", err)
		}
		nodeFaults = rt.NodeFaultTimes(sc.Faults)
		if left := leftovers(t, env, id); left != "" {
			t.Errorf("containers left after the run: %s", left)
		}
		lat, recv = streamLatencies(t, filepath.Join(logs, "recv.log"))
		slices.Sort(lat)
		return lat, recv, logs
	}
	// The perfect run carries a node_pause of the sender: docker pause
	// freezes it for 2 s, and the receiver hears nothing meanwhile.
	base, baseRecv, _ := run("latency_us: 0", "faults:\n  - {at_s: 2, kind: node_pause, node: send, duration_s: 2}\n")
	if g := longestSilence(baseRecv); g < 1800*time.Millisecond || g > 2400*time.Millisecond {
		t.Errorf("node_pause for 2 s: the longest silence at the receiver was %v", g)
	}
	// The runtime says when it froze and thawed the sender, from the run's
	// zero: 2 s and 4 s, and the time docker pause takes.
	if ft, ok := nodeFaults[0]; !ok || ft.AppliedUS < 1_950_000 || ft.AppliedUS > 2_500_000 || ft.LiftedUS < 3_950_000 || ft.LiftedUS > 4_500_000 {
		t.Errorf("node_pause acted %+v (found %v); want applied at about 2 s, lifted at about 4 s", ft, ok)
	}
	slow, recv, logs := run("latency_us: 50000", "faults:\n  - {at_s: 2, kind: link_down, link: {src: send, dst: recv}, duration_s: 2}\n")
	raise := quantile(slow, 0.5) - quantile(base, 0.5)
	t.Logf("median one-way latency: perfect %.2f ms (%d datagrams), 50 ms link %.2f ms (%d datagrams): +%.2f ms",
		quantile(base, 0.5), len(base), quantile(slow, 0.5), len(slow), raise)
	if len(base) < 100 || len(slow) < 100 {
		t.Fatalf("too few datagrams: %d, %d", len(base), len(slow))
	}
	if raise < 45 || raise > 60 {
		t.Errorf("latency_us: 50000 raised the median one-way latency by %.2f ms; want 45-60", raise)
	}
	// The helper's log says when the fault was applied and lifted; no
	// datagram arrives between (±100 ms, and the link's 50 ms).
	ev, err := os.ReadFile(filepath.Join(logs, "recv.netshape.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var applied, lifted int64 = -1, -1
	for _, line := range strings.Split(string(ev), "\n") {
		var e shape.Event
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		switch {
		case e.Kind == "applied" && e.Fault == "link_down":
			applied = e.OffsetUS
		case e.Kind == "lifted" && e.Fault == "link_down":
			lifted = e.OffsetUS
		}
	}
	t.Logf("helper log:\n%s", ev)
	if applied < 1_900_000 || applied > 2_100_000 || lifted < 3_900_000 || lifted > 4_100_000 {
		t.Fatalf("link_down applied at %d us, lifted at %d us; want about 2 s and 4 s", applied, lifted)
	}
	// The receive times on the wall clock: the window is where nothing
	// arrives for two seconds.
	gap := longestSilence(recv)
	if gap < 1900*time.Millisecond || gap > 2200*time.Millisecond {
		t.Errorf("the longest silence at the receiver was %v; want the 2 s link_down", gap)
	}
}

// TestShaperNeedsNetAdmin runs the helper image as a user without
// NET_ADMIN would get it: it fails at once, naming the part, and leaves
// the node's network alone.
func TestShaperNeedsNetAdmin(t *testing.T) {
	b := newShapeBed(t)
	c, _ := json.Marshal(shape.Config{Node: "send", Queue: 7, Peers: []shape.Peer{{Node: "recv", Addr: "10.0.0.1", Link: shape.Params{LatencyUS: 1000}}}})
	run := "t" + uniqueID(t)
	cmd := exec.Command(b.env.Docker, "run", "--rm", "--label", container.LabelRun+"="+run, "--cap-drop", "NET_ADMIN",
		"-e", "XEDGESIM_SHAPE_CONFIG="+string(c), b.helper)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+b.env.DockerHost)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("helper without NET_ADMIN: %v, want exit code 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "nftables") || !strings.Contains(string(out), "NET_ADMIN") {
		t.Errorf("helper without NET_ADMIN said %q; want it to name nftables and NET_ADMIN", out)
	}
	if left := leftovers(t, b.env, run); left != "" {
		t.Errorf("containers left: %s", left)
	}
}

// faultWindow reads when a helper applied and lifted fault kind, from its
// log beside the run's container logs.
func faultWindow(t *testing.T, log, kind string) (applied, lifted time.Time) {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		var e shape.Event
		if json.Unmarshal([]byte(line), &e) != nil || e.Fault != kind {
			continue
		}
		switch e.Kind {
		case "applied":
			applied = time.Unix(0, e.UnixNano)
		case "lifted":
			lifted = time.Unix(0, e.UnixNano)
		}
	}
	if applied.IsZero() || lifted.IsZero() {
		t.Fatalf("%s has no applied and lifted %s:\n%s", log, kind, b)
	}
	return applied, lifted
}

// TestShapeMQTT runs MQTT through a broker container built from
// nodes/broker: a netprobe publisher on a 50 ms link to the broker, a
// netprobe subscriber, against the same scenario on a perfect link. The
// shaped run takes the publisher's link down for 5 s: nothing crosses,
// and the clients carry on after it.
func TestShapeMQTT(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	b := newShapeBed(t)
	broker := buildNode(t, env, "broker")
	run := func(latency, faults string) (lat []float64, recv []time.Time, logs string) {
		t.Helper()
		sc := loadYAML(t, `
simulation: {duration_s: 12, seed: 7}
network:
  model: latency
  default_latency_us: 0
  links:
    - {src: pub, dst: mqtt-broker, latency_us: `+latency+`}
nodes:
  - id: mqtt-broker
    type: broker
    implementation: docker
    docker: {image: `+broker+`, health: {mqtt: {port: 1883, topic: health/xedgesim}, timeout_s: 30}}
  - id: sub
    type: service
    implementation: docker
    docker: {image: `+b.probe+`, command: [mqttsub, "mqtt-broker:1883"]}
  - id: pub
    type: service
    implementation: docker
    docker: {image: `+b.probe+`, command: [mqttpub, "mqtt-broker:1883", "20000"]}
`+faults)
		id := "t" + uniqueID(t)
		logs = t.TempDir()
		rt := newRuntime(t, container.WithLogDir(logs), container.WithNetwork(sc, 7, b.bin))
		if _, err := sim.Run(context.Background(), sc, sim.WithRunID(id), sim.WithRuntime(rt)); err != nil {
			t.Fatalf("Run() = %v", err)
		}
		if left := leftovers(t, env, id); left != "" {
			t.Errorf("containers left after the run: %s", left)
		}
		lat, recv = streamLatencies(t, filepath.Join(logs, "sub.log"))
		slices.Sort(lat)
		return lat, recv, logs
	}
	base, _, _ := run("0", "")
	slow, recv, logs := run("50000", "faults:\n  - {at_s: 3, kind: link_down, link: {src: pub, dst: mqtt-broker}, duration_s: 5}\n")
	raise := quantile(slow, 0.5) - quantile(base, 0.5)
	t.Logf("MQTT median one-way latency: perfect %.2f ms (%d messages), 50 ms link %.2f ms (%d messages): +%.2f ms",
		quantile(base, 0.5), len(base), quantile(slow, 0.5), len(slow), raise)
	if len(base) < 100 || len(slow) < 100 {
		t.Fatalf("too few messages: %d, %d", len(base), len(slow))
	}
	if raise < 45 || raise > 60 {
		t.Errorf("latency_us: 50000 to the broker raised the median MQTT latency by %.2f ms; want 45-60", raise)
	}
	from, until := faultWindow(t, filepath.Join(logs, "mqtt-broker.netshape.jsonl"), "link_down")
	if d := until.Sub(from); d < 4900*time.Millisecond || d > 5100*time.Millisecond {
		t.Errorf("link_down lasted %v on the wall clock; want 5 s", d)
	}
	var in, after int
	for _, r := range recv {
		switch {
		case r.After(from.Add(100*time.Millisecond)) && r.Before(until.Add(-100*time.Millisecond)):
			in++
		case r.After(until):
			after++
		}
	}
	pubLog, _ := os.ReadFile(filepath.Join(logs, "pub.log"))
	t.Logf("link_down %v: %d messages in the window, %d after it; longest silence at the subscriber %v; publisher:\n%s",
		until.Sub(from), in, after, longestSilence(recv), pubLog)
	if in != 0 {
		t.Errorf("%d MQTT messages crossed a link that was down", in)
	}
	if after < 50 {
		t.Errorf("only %d messages after the link came back", after)
	}
}
