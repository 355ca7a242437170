package deploy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

func TestPortSpecEphemeral(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want portSpec
		eph  string
	}{
		{"8080:80", portSpec{host: "8080", container: "80", proto: "tcp"}, "80/tcp"},
		{"1883:1883/udp", portSpec{host: "1883", container: "1883", proto: "udp"}, "1883/udp"},
		{"127.0.0.1:8080:80", portSpec{ip: "127.0.0.1", host: "8080", container: "80", proto: "tcp"}, "127.0.0.1::80/tcp"},
		{"127.0.0.1::80", portSpec{ip: "127.0.0.1", container: "80", proto: "tcp"}, "127.0.0.1::80/tcp"},
		{"[::1]:8080:80/tcp", portSpec{ip: "[::1]", host: "8080", container: "80", proto: "tcp"}, "[::1]::80/tcp"},
		{"80", portSpec{container: "80", proto: "tcp"}, "80/tcp"},
	} {
		got := parsePortSpec(tc.in)
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(portSpec{})); diff != "" {
			t.Errorf("parsePortSpec(%q) (-want +got):\n%s", tc.in, diff)
		}
		if e := got.ephemeral(); e != tc.eph {
			t.Errorf("parsePortSpec(%q).ephemeral() = %q, want %q", tc.in, e, tc.eph)
		}
	}
}

func TestCandidateHealth(t *testing.T) {
	t.Parallel()
	ports := []string{"8080:80", "1883:1883", "5353:53/udp"}
	bound := map[string]int{"80/tcp": 32768, "1883/tcp": 32769, "53/udp": 32770}
	for _, tc := range []struct {
		name string
		h    manifest.Health
		want int // the candidate's port, 0 for none
	}{
		{"http", manifest.Health{HTTP: &manifest.HTTPHealth{Port: 8080, Path: "/", Status: 200}}, 32768},
		{"tcp", manifest.Health{TCP: 1883}, 32769},
		{"mqtt", manifest.Health{MQTT: &manifest.MQTTHealth{Port: 1883}}, 32769},
		{"udp only", manifest.Health{TCP: 5353}, 0},
		{"not published", manifest.Health{TCP: 9999}, 0},
		{"cmd", manifest.Health{Cmd: "true"}, 0},
	} {
		h, ok := candidateHealth(tc.h, ports, bound)
		got := 0
		if ok {
			got = h.TCP
			if h.HTTP != nil {
				got = h.HTTP.Port
			}
			if h.MQTT != nil {
				got = h.MQTT.Port
			}
		}
		if got != tc.want {
			t.Errorf("%s: candidate port %d, want %d", tc.name, got, tc.want)
		}
		if tc.h.HTTP != nil && tc.h.HTTP.Port != 8080 {
			t.Errorf("%s: the manifest's check was changed", tc.name)
		}
		s := manifest.Service{Ports: ports, Health: tc.h}
		if can := canCheckFirst(s); can != (tc.want != 0) {
			t.Errorf("%s: canCheckFirst = %v", tc.name, can)
		}
		s.Network = "host"
		if canCheckFirst(s) {
			t.Errorf("%s: canCheckFirst on the host's network", tc.name)
		}
	}
}

func TestOutage(t *testing.T) {
	t.Parallel()
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	// probes 50 ms apart, each taking 10 ms; pattern says which passed.
	probes := func(pattern string) []probeResult {
		var ps []probeResult
		for i, c := range pattern {
			ps = append(ps, probeResult{start: at(50 * i), end: at(50*i + 10), ok: c == '+'})
		}
		return ps
	}
	for _, tc := range []struct {
		name    string
		pattern string
		passed  int
		want    time.Duration
	}{
		// from the start of probe 1 (50) to the end of probe 5 (260)
		{"down three probes", "++---++", 1000, 210 * time.Millisecond},
		// the new container's own check passed first, at 180
		{"the check passed first", "++---++", 180, 130 * time.Millisecond},
		// no failure seen: the longest span from a start to the next end
		{"no failure", "+++", 1000, 60 * time.Millisecond},
		{"down at the start", "--+", 1000, 110 * time.Millisecond},
		{"still down", "+--", 400, 400 * time.Millisecond},
	} {
		if got := outage(probes(tc.pattern), at(tc.passed)); got != tc.want {
			t.Errorf("%s: outage = %s, want %s", tc.name, got, tc.want)
		}
	}
	// A watch started while the candidate was checked: a slow probe of the
	// old container long before the switch (0 to 400 ms) is not the outage.
	ps := []probeResult{{start: at(0), end: at(400), ok: true}, {start: at(400), end: at(410), ok: true}}
	for _, p := range probes("+++--+") {
		p.start, p.end = p.start.Add(450*time.Millisecond), p.end.Add(450*time.Millisecond)
		ps = append(ps, p)
	}
	// from the start of the probe at 550 to the end of the one at 710
	if got := outage(sinceLast(ps, at(560)), at(2000)); got != 160*time.Millisecond {
		t.Errorf("a watch started early: outage = %s, want 160ms", got)
	}
	if got := outage(sinceLast(ps[:5], at(460)), at(2000)); got != 60*time.Millisecond {
		t.Errorf("a watch started early, no failure since the switch: outage = %s, want 60ms", got)
	}
}
