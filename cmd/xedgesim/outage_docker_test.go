package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

// buildNetprobe builds nodes/netprobe for this machine into an OCI layout
// and removes, when the test ends, the shaping helper image that runs of
// this test binary load (tagged with its digest, this test's own).
func buildNetprobe(t *testing.T, env *testbed.Env) string {
	t.Helper()
	probe := filepath.Join(t.TempDir(), "netprobe")
	if r := cli(t, "build", "--go", "../../nodes/netprobe", "--platform", "linux/"+runtime.GOARCH,
		"--label", "xedgesim.test=outage-"+strconv.Itoa(os.Getpid()), "--output", "oci:"+probe); r.code != 0 {
		t.Fatalf("build nodes/netprobe: exit %d\n%s", r.code, r.stderr)
	}
	t.Cleanup(func() {
		b, err := os.ReadFile(xedgesim)
		if err == nil {
			sum := sha256.Sum256(b)
			_, _ = dockerCLI(t, env, "image", "rm", "xedgesim.local/netshape:"+hex.EncodeToString(sum[:8]))
		}
	})
	return probe
}

// outageScenario is an MQTT publisher container (nodes/netprobe) on a
// link to a broker container (nodes/broker), watched by an observer on the
// broker: the gate bounds the longest silence in the publisher's output.
// faults is the scenario's faults list; noreconnect makes the publisher
// give up when its connection drops.
func outageScenario(t *testing.T, faults string, noreconnect bool) string {
	t.Helper()
	extra := ""
	if noreconnect {
		extra = `, noreconnect`
	}
	src := fmt.Sprintf(`simulation: {duration_s: 16, seed: 1}
network:
  model: latency
  default_latency_us: 0
  links:
    - {src: pub, dst: mqtt-broker, latency_us: 2000, bidirectional: true}
nodes:
  - id: mqtt-broker
    type: broker
    implementation: docker
    docker: {image: broker, health: {mqtt: 1883, timeout_s: 30}}
  - id: pub
    type: service
    implementation: docker
    docker: {image: netprobe, command: [mqttpub, "mqtt-broker:1883", "100000"%s]}
observe:
  - name: probes
    mqtt: {node: mqtt-broker, topic: "probe/#"}
faults: %s
validation:
  assertions:
    - {metric: observed_gap_max_s, operator: lte, value: 8, description: the publisher is back within 3 s of a 5 s uplink outage, where: {observe: probes}}
    - {metric: observed_messages, operator: gte, value: 40, where: {observe: probes}}
`, extra, faults)
	path := filepath.Join(t.TempDir(), "outage.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestUplinkOutageGate is issue 15's link_down on MQTT through a broker
// container: the uplink of a publisher container is down for 5 s in both
// directions, on its real packets. The publisher reconnects after it and
// the gate, through an observer on the broker, measures the gap and
// passes; the same scenario on a perfect link has no gap; a publisher
// that does not reconnect fails the gate (exit 2) on the same outage.
func TestUplinkOutageGate(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	broker, _ := buildBrokers(t)
	probe := buildNetprobe(t, env)
	outage := `
  - {at_s: 3, kind: link_down, link: {src: pub, dst: mqtt-broker}, duration_s: 5}
  - {at_s: 3, kind: link_down, link: {src: mqtt-broker, dst: pub}, duration_s: 5}`
	run := func(t *testing.T, faults string, noreconnect bool) (int, gateSummary, string, string) {
		t.Helper()
		out := t.TempDir()
		p := startSimulate(t, env, "--out", out, "--image", "broker=oci:"+broker, "--image", "netprobe=oci:"+probe,
			outageScenario(t, faults, noreconnect))
		code := p.wait(t, 3*time.Minute)
		checkGone(t, env, p.cmd.Process.Pid, "")
		pubLog, _ := os.ReadFile(filepath.Join(out, "logs", "pub.log"))
		if code != 0 && code != 2 {
			t.Fatalf("exit %d\n%s%s", code, p.out.String(), p.errOut.String())
		}
		return code, readGateSummary(t, out), string(pubLog), out
	}

	code, perfect, _, _ := run(t, "[]", false)
	if code != 0 {
		t.Fatalf("perfect link: exit %d, want 0", code)
	}
	code, shaped, pubLog, out := run(t, outage, false)
	if code != 0 {
		t.Errorf("5 s outage with a reconnecting publisher: exit %d, want 0 (%+v)", code, shaped.Assertions)
	}
	code, broken, brokenLog, _ := run(t, outage, true)
	if code != 2 {
		t.Errorf("5 s outage with a publisher that does not reconnect: exit %d, want 2 (%+v)", code, broken.Assertions)
	}
	p, s, b := perfect.observer(t, "probes"), shaped.observer(t, "probes"), broken.observer(t, "probes")
	t.Logf("observed gap: perfect %.3f s (%d messages), 5 s outage %.3f s (%d), no reconnect %.3f s (%d)",
		p.GapMaxS, p.Messages, s.GapMaxS, s.Messages, b.GapMaxS, b.Messages)
	if p.GapMaxS > 1 {
		t.Errorf("perfect link: longest gap %.3f s, want under 1 s", p.GapMaxS)
	}
	if s.GapMaxS < 4.8 || s.GapMaxS > 8 {
		t.Errorf("5 s outage: longest gap %.3f s, want 4.8 to 8 s", s.GapMaxS)
	}
	if b.GapMaxS < 10 {
		t.Errorf("no reconnect: longest gap %.3f s, want the rest of the run", b.GapMaxS)
	}
	// The publisher saw its connection drop and connected again.
	if strings.Count(pubLog, "probe-pub connected at") < 2 || !strings.Contains(pubLog, "lost its connection") {
		t.Errorf("the publisher did not lose its connection and reconnect:\n%s", pubLog)
	}
	if strings.Count(brokenLog, "probe-pub connected at") != 1 || !strings.Contains(brokenLog, "lost its connection") {
		t.Errorf("the publisher without reconnect:\n%s", brokenLog)
	}
	for _, a := range broken.Assertions {
		if a.Metric == "observed_gap_max_s" && a.Passed {
			t.Errorf("observed_gap_max_s passed without the reconnect: %+v", a)
		}
	}
	// The report says when each fault acted on the real packets: at 3 s
	// and 8 s of the run, as the scenario says.
	b2, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
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
	if err := json.Unmarshal(b2, &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Faults) != 2 {
		t.Fatalf("summary.json faults %+v; want the two link_down", sum.Faults)
	}
	for _, f := range sum.Faults {
		if r := f.RealTraffic; r == nil || r.AppliedS != 3 || r.LiftedS == nil || *r.LiftedS != 8 {
			t.Errorf("fault %s acted on real traffic %+v; want applied at 3 s, lifted at 8 s", f.Kind, r)
		}
	}
	if md, err := os.ReadFile(filepath.Join(out, "summary.md")); err != nil || !strings.Contains(string(md), "| 3 | 8 | 3–8 | `link_down` |") {
		t.Errorf("summary.md lacks the real-traffic window of the faults: %v\n%s", err, md)
	}
}
