package scenario

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParse checks that no input panics, that the same input always gives
// the same result, and that whatever loads satisfies the format's rules. The
// seed corpus (testdata/fuzz/FuzzParse) holds upstream's scenarios, broken
// variants and what earlier fuzzing found. Run with
//
//	go test -fuzz FuzzParse ./pkg/scenario/
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.yaml"
		s, warnings, err := Parse(data, name)
		s2, warnings2, err2 := Parse(data, name)
		if diff := cmp.Diff(s, s2, cmpopts.EquateNaNs()); diff != "" {
			t.Fatalf("two parses differ:\n%s", diff)
		}
		if !cmp.Equal(warnings, warnings2) || (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("two parses give different diagnostics")
		}
		for _, w := range warnings {
			if w.Severity != SeverityWarning || w.Message == "" || w.Pos.File != name {
				t.Fatalf("bad warning %#v", w)
			}
		}
		if err != nil {
			var serr *Error
			if !errors.As(err, &serr) || len(serr.Diagnostics) == 0 || s != nil {
				t.Fatalf("error %T %v with scenario %v", err, err, s)
			}
			for _, d := range serr.Diagnostics {
				if d.Severity != SeverityError || d.Message == "" || d.Pos.File != name || d.Pos.Line < 0 || d.Pos.Col < 0 {
					t.Fatalf("bad error %#v", d)
				}
			}
			return
		}
		checkInvariants(t, s)
	})
}

// checkInvariants is what a loaded scenario guarantees its users.
func checkInvariants(t *testing.T, s *Scenario) {
	t.Helper()
	sim := s.Simulation
	if !(sim.DurationS > 0) || math.IsInf(sim.DurationS, 0) || sim.DurationUS != int64(sim.DurationS*1_000_000) || sim.TimeQuantumUS <= 0 {
		t.Fatalf("bad simulation %+v", sim)
	}
	if len(s.Nodes) == 0 {
		t.Fatal("no nodes")
	}
	ids := map[string]bool{}
	for _, n := range s.Nodes {
		if n.ID == "" || ids[n.ID] {
			t.Fatalf("empty or duplicate id %q", n.ID)
		}
		ids[n.ID] = true
		if !contains(implementations, n.Implementation) {
			t.Fatalf("implementation %q", n.Implementation)
		}
		if n.HasPort && (n.Port < 1 || n.Port > 65535) || !n.HasPort && n.Port != 0 {
			t.Fatalf("port %d (HasPort %t)", n.Port, n.HasPort)
		}
		if n.Implementation == ImplRenode && (n.Platform == "" || n.Firmware == "") {
			t.Fatalf("renode node without platform or firmware: %+v", n)
		}
		if n.Implementation != ImplDocker && n.Docker != nil {
			t.Fatalf("docker section on a %s node", n.Implementation)
		}
	}
	net := s.Network
	if net.Model != ModelDirect && net.Model != ModelLatency || net.DefaultLatencyUS < 0 || !(net.DefaultLossRate >= 0 && net.DefaultLossRate <= 1) {
		t.Fatalf("bad network %+v", net)
	}
	for _, l := range net.Links {
		if !ids[l.Src] || !ids[l.Dst] {
			t.Fatalf("link %s->%s names an unknown node", l.Src, l.Dst)
		}
		if l.LatencyUS < 0 || l.JitterUS < 0 || l.BandwidthBPS < 0 || !(l.LossRate >= 0 && l.LossRate <= 1) {
			t.Fatalf("bad link %+v", l)
		}
	}
}
