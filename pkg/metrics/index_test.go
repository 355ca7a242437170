package metrics

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
)

// fleet is a Result of n devices "dev000001".. each with one route to gw
// that sent one message, and a row each.
func fleet(n int) *sim.Result {
	res := &sim.Result{VirtualTimeUS: 1e6}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("dev%06d", i)
		r := &netmodel.Route{Src: id, Dst: "gw", Sent: 1, Delivered: 1}
		r.Latency.Add(int64(i))
		res.Routes = append(res.Routes, r)
		nr := sim.NodeResult{ID: id}
		nr.MessagesSent = 1
		res.Nodes = append(res.Nodes, nr)
	}
	res.Routes = append(res.Routes, &netmodel.Route{Src: "gw", Dst: "cloud", Sent: 7})
	res.Nodes = append(res.Nodes, sim.NodeResult{ID: "gw"})
	return res
}

// TestScopeCostIsWhatItSelects: 200,000 assertions over 200,000 routes
// and nodes look at the rows they select, not at every row for each
// assertion (4e10 glob matches before). Counted in rows looked at, not
// timed.
func TestScopeCostIsWhatItSelects(t *testing.T) {
	t.Parallel()
	const devices = 200_000
	s := New(fleet(devices))
	var selected float64
	for i := 1; i <= 100_000; i++ {
		// An exact name, and a glob of ten devices.
		for _, w := range []scenario.Scope{{Src: fmt.Sprintf("dev%06d", i)}, {Src: fmt.Sprintf("dev%05d*", i%20_000)}} {
			v, err := s.Value("packets_sent", w)
			if err != nil && i%20_000 != 0 {
				t.Fatalf("%+v: %v", w, err)
			}
			selected += v
		}
	}
	for i := range 1_000 {
		v, err := s.Value("messages_sent", scenario.Scope{Node: fmt.Sprintf("dev00%02d*", i%100)})
		if err != nil {
			t.Fatal(err)
		}
		selected += v // one message a device: the count of devices
	}
	// Every row looked at was selected: the literal prefixes are exact.
	if got := float64(s.visited.Load()); got != selected {
		t.Errorf("looked at %g rows to select %g (all routes for each assertion would be 4e10)", got, selected)
	}
	if selected < 200_000 {
		t.Errorf("selected %g rows; the scopes select at least 200,000", selected)
	}
}

// TestIndexSelectsAsAWalkDoes: every kind of pattern selects what
// matching each row selects.
func TestIndexSelectsAsAWalkDoes(t *testing.T) {
	t.Parallel()
	res := fleet(120)
	res.Routes = append(res.Routes, &netmodel.Route{Src: "a*b", Dst: "gw", Sent: 3}, &netmodel.Route{Src: "dev[1]", Dst: "x", Sent: 5})
	res.Nodes = append(res.Nodes, sim.NodeResult{ID: "a*b"})
	patterns := []string{"", "dev000001", "dev0001*", "dev00011?", "*", "*1", "?ev000002", "[d]ev00010*", "dev0000[1-3]*",
		`a\*b`, "a*b", "dev[1]", `dev\[1]`, "[", "dev00", "gw", "g*", "nothing", "dev000120", "dev000121"}
	s := New(res)
	for _, src := range patterns {
		for _, dst := range []string{"", "gw", "g?", "cloud", "x", "[", "*"} {
			w := scenario.Scope{Src: src, Dst: dst}
			got, gerr := s.Value("packets_sent", w)
			var want float64
			for _, r := range res.Routes {
				if match(src, r.Src) && match(dst, r.Dst) {
					want += float64(r.Sent)
				}
			}
			if got != want || gerr != nil {
				t.Errorf("%+v: %g, %v; a walk gives %g", w, got, gerr, want)
			}
			lgot, _ := s.Value("latency_max_ms", w)
			lwant, _ := walkLatencyMax(res, src, dst)
			if diff := cmp.Diff(lwant, lgot); diff != "" {
				t.Errorf("%+v latency_max_ms (-walk +index):\n%s", w, diff)
			}
		}
		got, gerr := s.Value("messages_sent", scenario.Scope{Node: src})
		var want float64
		matched := false
		for _, n := range res.Nodes {
			if match(src, n.ID) {
				want += float64(n.MessagesSent)
				matched = true
			}
		}
		if got != want || (gerr == nil) != matched {
			t.Errorf("node %q: %g, %v; a walk gives %g (matched %v)", src, got, gerr, want, matched)
		}
	}
}

func walkLatencyMax(res *sim.Result, src, dst string) (float64, bool) {
	var h netmodel.Histogram
	for _, r := range res.Routes {
		if match(src, r.Src) && match(dst, r.Dst) {
			h.Merge(&r.Latency)
		}
	}
	return float64(h.Max) / 1000, h.Count > 0
}
