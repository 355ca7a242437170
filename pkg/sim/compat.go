package sim

import (
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// compat returns sc as the run sees it: under upstream compatibility
// (WithUpstream or simulation.compat: upstream) a copy whose nodes have
// their config dropped as upstream drops it; else sc itself.
func compat(sc *scenario.Scenario, o *options) *scenario.Scenario {
	if !o.upstream && !sc.Simulation.Upstream() {
		return sc
	}
	up := *sc
	up.Nodes = make([]scenario.Node, len(sc.Nodes))
	for i, n := range sc.Nodes {
		up.Nodes[i] = node.AsUpstream(n)
	}
	return &up
}

// UpstreamNote says, when sc's per-node config makes results differ from
// upstream's (which drops config), which keys do: one warning-level
// diagnostic at the first such key, listing them all. There is none under
// upstream compatibility, which drops them, nor when the file says
// simulation.compat: xedgesim, meaning ours on purpose. It is not one of Run's
// warnings: it describes a choice the file made on purpose, so
// --fail-on-warning must not fail a gate for it, and a sweep says it once.
func UpstreamNote(sc *scenario.Scenario, opts ...Option) (scenario.Diagnostic, bool) {
	o, err := makeOptions(opts)
	if err != nil || o.upstream || sc.Simulation.Compat != "" {
		return scenario.Diagnostic{}, false
	}
	var (
		list  []string
		first scenario.Pos
		key   string
	)
	for i, n := range sc.Nodes {
		if o.connect && connectable(n) {
			n = asConnected(n)
		}
		keys := node.UpstreamDifferences(n)
		if len(keys) == 0 {
			continue
		}
		if key == "" {
			first, key = n.ConfigPos[keys[0]], fmt.Sprintf("nodes[%d].config.%s", i, keys[0])
		}
		list = append(list, n.ID+": "+strings.Join(keys, ", "))
	}
	if key == "" {
		return scenario.Diagnostic{}, false
	}
	if first.File == "" {
		first.File = sc.Path
	}
	const most = 5
	if len(list) > most {
		list = append(list[:most], fmt.Sprintf("and %d more nodes", len(list)-most))
	}
	return scenario.Diagnostic{Pos: first, Severity: scenario.SeverityWarning, Key: key,
		Message: "per-node config changes what nodes do (" + strings.Join(list, "; ") + "), so results differ from upstream's, which ignores config",
		Hint:    "run with --upstream, or set simulation.compat: upstream, to ignore it as upstream does; compat: xedgesim says the file means it"}, true
}
