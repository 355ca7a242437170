package sim

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// Check runs every check Run makes before it starts anything, and starts
// nothing: it builds every node (config mistakes), checks that the files
// the scenario names exist (renode platform and firmware) and that process
// commands are on PATH, and warns about destinations that are no node and
// about nodes started by hand that a built-in model would shadow. The
// error, when there is one, has the exit code Run's would have (3 for a
// mistake in the file).
func Check(sc *scenario.Scenario, opts ...Option) ([]scenario.Diagnostic, error) {
	o, err := makeOptions(opts)
	if o.runtime != nil {
		// Nothing was started, but the runtime is Check's to close, as it
		// is Run's.
		defer o.runtime.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("configuring the run: %w", err)
	}
	_, warns, err := preflight(compat(sc, o), o)
	return warns, err
}

// preflight builds the nodes and runs the checks that need no node to be
// started. Run and Check share it, so a dry run refuses what a run would.
func preflight(sc *scenario.Scenario, o *options) ([]node.Node, []scenario.Diagnostic, error) {
	var errs []error
	for _, n := range sc.Nodes {
		if n.Implementation == scenario.ImplRenode {
			errs = append(errs, renodeFiles(sc, n)...)
		}
	}
	nodes, warns, err := build(sc, o)
	if err != nil {
		errs = append(errs, err)
	}
	for _, n := range nodes {
		if p, ok := n.(*node.Process); ok {
			if err := p.CheckCommand(sc.Dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	warns = append(warns, destinationWarnings(sc)...)
	if !o.connect {
		warns = append(warns, handStartedWarnings(sc, o)...)
	}
	return nodes, warns, errors.Join(errs...)
}

// renodeFiles checks what upstream's launcher checks before it starts a
// renode_inprocess node: its platform and firmware files exist.
func renodeFiles(sc *scenario.Scenario, n scenario.Node) []error {
	var errs []error
	for _, f := range []struct{ key, path string }{{"platform", n.Platform}, {"firmware", n.Firmware}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(sc.Resolve(f.path)); err == nil {
			continue
		}
		pos, ok := n.KeyPos[f.key]
		if !ok {
			pos = n.Pos
		}
		errs = append(errs, &node.ConfigError{Pos: pos, NodeID: n.ID, Key: f.key, Section: "node",
			Message: fmt.Sprintf("%s not found: %s (relative paths are relative to the scenario's directory)", f.key, sc.Resolve(f.path))})
	}
	return errs
}

// connectable tells whether --connect makes n a protocol node on its port:
// a node that upstream would connect to (it has a port) and that xedgesim
// would otherwise run itself with a built-in model.
func connectable(n scenario.Node) bool {
	if !n.HasPort || n.Implementation == scenario.ImplDocker || n.Implementation == scenario.ImplRenode {
		return false
	}
	_, cmd := n.Config["command"]
	_, addr := n.Config["address"]
	return !cmd && !addr
}

// asConnected returns n as a process node that connects to localhost:port,
// upstream's way.
func asConnected(n scenario.Node) scenario.Node {
	cfg := make(map[string]any, len(n.Config)+1)
	for k, v := range n.Config {
		cfg[k] = v
	}
	cfg["model"] = node.ModelProcess
	n.Config = cfg
	n.Implementation = scenario.ImplProcess
	return n
}

// handStartedWarnings names the nodes that run a built-in model while
// something already listens on their port on localhost: most likely the
// node a researcher started by hand, as upstream needs, which the run
// would silently ignore.
func handStartedWarnings(sc *scenario.Scenario, o *options) []scenario.Diagnostic {
	var warns []scenario.Diagnostic
	for _, n := range sc.Nodes {
		if _, replaced := o.nodes[n.ID]; replaced || !connectable(n) {
			continue
		}
		switch node.ModelOf(n) {
		case node.ModelSensor, node.ModelGateway, node.ModelSink:
		default:
			continue
		}
		if !listening(n.Port) {
			continue
		}
		warns = append(warns, scenario.Diagnostic{Pos: n.Pos, Severity: scenario.SeverityWarning, Key: "port",
			Message: fmt.Sprintf("node %q runs the built-in %s model, but something already listens on its port %d on localhost (a node started by hand, as upstream runs them?); it is not used",
				n.ID, node.ModelOf(n), n.Port),
			Hint: "set implementation: process on the node to connect to it on port " + strconv.Itoa(n.Port) + ", or run with --connect to connect every node with a port and no command"})
	}
	return warns
}

// listening tells whether something listens on port on localhost. It tries
// to listen there itself rather than connect: upstream's nodes accept one
// connection, and a probe would use it up.
func listening(port int) bool {
	// Another run's probe holds the port for a moment (parallel runs of one
	// scenario): only a port still taken after a few tries is a node's.
	for range 3 {
		if !listeningOnce(port) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
