package container_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/container"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// stamped is one datagram a netprobe udprecv node logged.
type stamped struct{ sent, recv time.Time }

func (s stamped) latencyMS() float64 { return float64(s.recv.Sub(s.sent)) / 1e6 }

func readStamped(t *testing.T, log string) []stamped {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var ds []stamped
	for _, line := range strings.Split(string(b), "\n") {
		var seq, sent, got int64
		if n, _ := fmt.Sscanf(line, "%d %d %d", &seq, &sent, &got); n == 3 {
			ds = append(ds, stamped{time.Unix(0, sent), time.Unix(0, got)})
		}
	}
	return ds
}

func medianMS(ds []stamped) float64 {
	var ms []float64
	for _, d := range ds {
		ms = append(ms, d.latencyMS())
	}
	slices.Sort(ms)
	return quantile(ms, 0.5)
}

// TestShapePartitionAndDegrade runs four netprobe containers through
// sim.Run: s1 streams to r1 and s2 to r2, a datagram every 10 ms. A
// partition puts s2 apart from s1, r1 and r2, and a link_degrade turns
// s1 -> r1's 10 ms into 60 ms and 20 % loss, both from 0.5 s to 2.5 s of
// the run (early, where faults once came late). The same scenario on a
// perfect link and without faults is the reference. Nothing crosses between the groups in
// the window and everything does around it; traffic within the group
// carries on, degraded in the window and as before after it.
func TestShapePartitionAndDegrade(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	t.Setenv("DOCKER_HOST", env.DockerHost)
	b := newShapeBed(t)
	run := func(latency, faults string) (logs string) {
		t.Helper()
		sc := loadYAML(t, `
simulation: {duration_s: 5, seed: 7}
network:
  model: latency
  default_latency_us: 0
  links:
    - {src: s1, dst: r1, latency_us: `+latency+`}
nodes:
  - {id: r1, type: service, implementation: docker, docker: {image: `+b.probe+`, command: [udprecv, "9000"]}}
  - {id: r2, type: service, implementation: docker, docker: {image: `+b.probe+`, command: [udprecv, "9000"]}}
  - {id: s1, type: service, implementation: docker, docker: {image: `+b.probe+`, command: [udpsend, "r1:9000", "10000"]}}
  - {id: s2, type: service, implementation: docker, docker: {image: `+b.probe+`, command: [udpsend, "r2:9000", "10000"]}}
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
		return logs
	}
	perfect := run("0", "")
	faulted := run("10000", `faults:
  - {at_s: 0.5, kind: partition, groups: [[s1, r1, r2], [s2]], duration_s: 2}
  - {at_s: 0.5, kind: link_degrade, link: {src: s1, dst: r1}, latency_us: 60000, loss_rate: 0.2, duration_s: 2}
`)
	p1, p2 := readStamped(t, filepath.Join(perfect, "r1.log")), readStamped(t, filepath.Join(perfect, "r2.log"))
	f1, f2 := readStamped(t, filepath.Join(faulted, "r1.log")), readStamped(t, filepath.Join(faulted, "r2.log"))
	if len(p1) < 200 || len(p2) < 200 || len(f1) < 150 || len(f2) < 150 {
		t.Fatalf("too few datagrams: perfect %d, %d; faulted %d, %d", len(p1), len(p2), len(f1), len(f2))
	}

	// The helpers' logs say when each fault was applied and lifted, as an
	// offset from the run's zero: at 0.5 s and 2.5 s.
	for _, c := range []struct{ log, kind string }{{"r2.netshape.jsonl", "partition"}, {"r1.netshape.jsonl", "link_degrade"}} {
		applied, lifted := faultOffsets(t, filepath.Join(faulted, c.log), c.kind)
		if applied < 400_000 || applied > 600_000 || lifted < 2_400_000 || lifted > 2_600_000 {
			t.Errorf("%s: %s applied at %d us, lifted at %d us; want 0.5 s and 2.5 s", c.log, c.kind, applied, lifted)
		}
	}

	// Partition: s2 -> r2 crosses the groups. A datagram's fate follows
	// when it was sent, not when a starved receiver got to read it: on a
	// loaded runner datagrams sent before the partition were read 200 ms
	// into it.
	from, until := faultWindow(t, filepath.Join(faulted, "r2.netshape.jsonl"), "partition")
	var in, before, after int
	for _, d := range f2 {
		switch {
		case d.sent.After(from.Add(100*time.Millisecond)) && d.sent.Before(until.Add(-100*time.Millisecond)):
			in++
		case d.sent.Before(from):
			before++
		case d.sent.After(until):
			after++
		}
	}
	t.Logf("partition %v: s2 -> r2 %d datagrams before, %d in the window, %d after; longest silence %v (perfect %v)",
		until.Sub(from), before, in, after, longestSilence(recvTimes(f2)), longestSilence(recvTimes(p2)))
	if in != 0 {
		t.Errorf("%d datagrams crossed the partition; the helpers said:\n%s%s", in,
			helperEvents(t, filepath.Join(faulted, "r2.netshape.jsonl")), helperEvents(t, filepath.Join(faulted, "s2.netshape.jsonl")))
	}
	if before < 20 || after < 100 {
		t.Errorf("before %d, after %d: s2 -> r2 did not carry traffic around the partition", before, after)
	}
	// The silence on the wall clock, in what was sent and arrived, is
	// where the helper says the partition was.
	if a, z := silence(sentTimes(f2)); a.Sub(from).Abs() > 100*time.Millisecond || z.Sub(until).Abs() > 100*time.Millisecond {
		t.Errorf("nothing s2 sent from %v to %v after the partition's start reached r2; the helper logged it from %v to %v",
			a.Sub(from), z.Sub(from), time.Duration(0), until.Sub(from))
	}
	if g := longestSilence(recvTimes(p2)); g > 500*time.Millisecond {
		t.Errorf("the perfect run's s2 -> r2 was silent for %v", g)
	}

	// Degrade: s1 -> r1 stays within the group; its latency and loss
	// follow the window.
	from, until = faultWindow(t, filepath.Join(faulted, "r1.netshape.jsonl"), "link_degrade")
	var during, later []stamped
	for _, d := range f1 {
		switch {
		case d.sent.After(from.Add(50*time.Millisecond)) && d.recv.Before(until.Add(-50*time.Millisecond)):
			during = append(during, d)
		case d.sent.After(until.Add(100 * time.Millisecond)):
			later = append(later, d)
		}
	}
	// What s1 sent in the window, from the perfect run's rate: one every
	// 10 ms.
	sentDuring := int((until.Sub(from) - 150*time.Millisecond) / (10 * time.Millisecond))
	delivered := float64(len(during)) / float64(sentDuring)
	t.Logf("link_degrade %v: s1 -> r1 median %.1f ms in the window (%d datagrams, %.0f %% of about %d sent), %.1f ms after (%d); perfect run %.1f ms; longest silence %v",
		until.Sub(from), medianMS(during), len(during), 100*delivered, sentDuring, medianMS(later), len(later), medianMS(p1), longestSilence(recvTimes(f1)))
	if m := medianMS(during) - medianMS(p1); m < 55 || m > 70 {
		t.Errorf("link_degrade to 60 ms: median raised by %.1f ms in the window; want 55-70", m)
	}
	if m := medianMS(later) - medianMS(p1); m < 7 || m > 15 {
		t.Errorf("after link_degrade: median raised by %.1f ms; want the link's own 10 ms again", m)
	}
	if delivered < 0.65 || delivered > 0.92 {
		t.Errorf("link_degrade loss_rate 0.2 delivered %.0f %% in the window; want about 80 %%", 100*delivered)
	}
	if g := longestSilence(recvTimes(f1)); g > 500*time.Millisecond {
		t.Errorf("s1 -> r1, within a group, was silent for %v during the partition", g)
	}
}

// sentTimes are when the datagrams that arrived were sent, in order.
func sentTimes(ds []stamped) []time.Time {
	var ts []time.Time
	for _, d := range ds {
		ts = append(ts, d.sent)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts
}

func recvTimes(ds []stamped) []time.Time {
	var ts []time.Time
	for _, d := range ds {
		ts = append(ts, d.recv)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts
}

// faultOffsets reads when a helper applied and lifted fault kind, as
// offsets (µs) from the run's zero.
func faultOffsets(t *testing.T, log, kind string) (applied, lifted int64) {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	applied, lifted = -1, -1
	for _, line := range strings.Split(string(b), "\n") {
		var e shape.Event
		if json.Unmarshal([]byte(line), &e) != nil || e.Fault != kind {
			continue
		}
		switch e.Kind {
		case "applied":
			applied = e.OffsetUS
		case "lifted":
			lifted = e.OffsetUS
		}
	}
	return applied, lifted
}

// helperEvents is what a helper's log says of its timeline (the zero,
// each peer's address, the faults), for a failure's message.
func helperEvents(t *testing.T, log string) string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		return fmt.Sprintf("%s: %v\n", log, err)
	}
	var out strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		var e shape.Event
		if json.Unmarshal([]byte(line), &e) == nil && e.Kind != "" && e.Kind != "counters" {
			fmt.Fprintf(&out, "  %s: %s\n", filepath.Base(log), line)
		}
	}
	return out.String()
}

// silence returns the longest stretch without a receipt in ts (sorted).
func silence(ts []time.Time) (from, until time.Time) {
	for i := 1; i < len(ts); i++ {
		if ts[i].Sub(ts[i-1]) > until.Sub(from) {
			from, until = ts[i-1], ts[i]
		}
	}
	return from, until
}
