package scenario

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// simulation.compat: upstream asks for upstream's behaviour (config
// dropped); xedgesim, written or not, is ours. Anything else is a mistake
// pointed at by line and column.
func TestCompat(t *testing.T) {
	t.Parallel()
	const nodes = "nodes:\n  - {id: a, type: sensor, port: 5001}\n"
	for _, tc := range []struct {
		name, sim string
		want      string
		upstream  bool
	}{
		{"absent", "simulation: {duration_s: 1, seed: 1}\n", "", false},
		{"upstream", "simulation: {duration_s: 1, seed: 1, compat: upstream}\n", CompatUpstream, true},
		{"xedgesim written out", "simulation: {duration_s: 1, seed: 1, compat: xedgesim}\n", CompatXedgesim, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, warns := parse(t, tc.sim+nodes, WithStrict(true))
			if len(warns) > 0 {
				t.Errorf("warnings: %v", warns)
			}
			if s.Simulation.Compat != tc.want || s.Simulation.Upstream() != tc.upstream {
				t.Errorf("Compat = %q, Upstream() = %v; want %q, %v", s.Simulation.Compat, s.Simulation.Upstream(), tc.want, tc.upstream)
			}
		})
	}
	for _, tc := range []struct {
		name, src string
		want      []string
		msg       string
	}{{
		name: "typo",
		src:  "simulation:\n  duration_s: 1\n  seed: 1\n  compat: upstraem\n" + nodes,
		want: []string{"4:11 simulation.compat"},
		msg:  file + ":4:11: error: simulation.compat must be 'upstream' or 'xedgesim', got 'upstraem' (did you mean upstream?)",
	}, {
		name: "not a string",
		src:  "simulation:\n  duration_s: 1\n  seed: 1\n  compat: [upstream]\n" + nodes,
		want: []string{"4:11 simulation.compat"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			diags := errorsOf(t, tc.src)
			if diff := cmp.Diff(tc.want, where(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall: %v", diff, diags)
			}
			if tc.msg != "" && diags[0].String() != tc.msg {
				t.Errorf("first error:\n got %s\nwant %s", diags[0].String(), tc.msg)
			}
		})
	}
}
