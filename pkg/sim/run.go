package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/xedgesim/simulate/internal/atomicfile"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/netmodel"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// Run simulates sc. It returns the measured Result, or an error when the
// scenario could not be run (a node failed, the context ended). Every node
// it starts is closed before it returns, on every path, and then the
// runtime (WithRuntime), which removes what it created beside them.
func Run(ctx context.Context, sc *scenario.Scenario, opts ...Option) (res *Result, err error) {
	o, err := makeOptions(opts)
	// The runtime is closed after the nodes, before the CSV files are kept,
	// so that a failure to clean up fails the run; this defer closes it
	// when the run ends before any node started.
	closeRuntime := func() error {
		rt := o.runtime
		if rt == nil {
			return nil
		}
		o.runtime = nil
		// Its errors name what could not be removed.
		return rt.Close()
	}
	defer func() {
		if cerr := closeRuntime(); cerr != nil && err == nil {
			res, err = nil, cerr
		}
	}()
	if err != nil {
		return nil, fmt.Errorf("configuring the run: %w", err)
	}
	sc = compat(sc, o)
	if len(spans(sc)) > 0 {
		o.sum = node.SumArrival // see node.SumArrival
	}
	upstream := o.upstream || sc.Simulation.Upstream()
	seed := sc.Simulation.Seed
	if o.seed != nil {
		seed = *o.seed
	}
	res = &Result{
		Scenario:   sc.Name,
		Seed:       seed,
		QuantumUS:  sc.Simulation.TimeQuantumUS,
		StepsTotal: ceilDiv(sc.Simulation.DurationUS, sc.Simulation.TimeQuantumUS),
		Upstream:   upstream,
	}

	nodes, warns, err := preflight(sc, o)
	res.Warnings = append(res.Warnings, warns...)
	if err != nil {
		return nil, err
	}

	if err := exposeObserved(sc, nodes); err != nil {
		return nil, err
	}
	if err := exposeHTTPTargets(sc, nodes); err != nil {
		return nil, err
	}
	csv, err := openCSV(o.csvDir, nodes)
	if err != nil {
		return nil, err
	}
	started := 0
	defer func() {
		var errs []error
		for _, n := range nodes[:started] {
			if cerr := n.Close(); cerr != nil {
				errs = append(errs, fmt.Errorf("closing node %q: %w", n.ID(), cerr))
			}
		}
		// The run's network and the images it loaded go with their
		// containers.
		if rerr := closeRuntime(); rerr != nil {
			errs = append(errs, rerr)
		}
		if err == nil {
			err = errors.Join(errs...)
		}
		if cerr := csv.finish(err == nil); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			res = nil
		}
	}()

	// Process nodes run in the run's own directory, so the files they write
	// (upstream's nodes write <id>_metrics.csv into their working directory)
	// are the run's, per seed, and not the scenario directory's.
	workDir := o.workDir
	if workDir == "" {
		workDir = o.csvDir
	}
	runID := o.runID
	if runID == "" {
		runID = newRunID()
	}
	for i, n := range nodes {
		env := node.Env{Seed: seed, Index: int32(i), Dir: sc.Dir, WorkDir: workDir, CSV: csv.writer(i), RunID: runID, Network: sc.Network}
		started = i + 1
		if err := n.Start(ctx, env); err != nil {
			return nil, fmt.Errorf("starting node %q: %w", n.ID(), err)
		}
	}
	if err := reachBrokers(ctx, o.runtime, nodes); err != nil {
		return nil, err
	}

	bus, warns, err := connectMQTT(ctx, sc, nodes)
	res.Warnings = append(res.Warnings, warns...)
	if err != nil {
		return nil, err
	}
	if bus != nil {
		defer bus.close()
	}
	obs, err := startObservers(ctx, sc, nodes)
	if err != nil {
		return nil, err
	}
	if obs != nil {
		defer obs.close()
		if bus != nil {
			bus.obs = obs
		}
	}
	hb := startHTTP(nodes)
	if hb != nil {
		hb.obs = obs
	}

	end := sc.Simulation.DurationUS
	net := netmodel.New(sc.Network, seed, sc.Faults, end)
	k := newKernel(nodes, net, sc.Simulation.TimeQuantumUS, end)
	k.crash = newCrashes(sc.Faults, k.index, len(nodes), end)
	if !o.perDevice {
		published := func(i int32) bool { return bus.publishes(i) || hb.sends(i) }
		k.cohorts = newCohorts(sc, nodes, net, sc.Simulation.TimeQuantumUS, k.crash, published)
	}
	workers := o.workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for _, f := range k.cohorts {
		// The kernel starts the generators when it runs. A sparse cohort
		// keeps its samples: handing one sample a quantum to another core
		// costs more than drawing it (withWorkers forces a generator).
		f.ahead = workers > 1 && (o.workers > 1 || f.dense()) &&
			(len(f.windows) == 0 || !k.anyExt && !cohortAddressed(sc, f.entry))
	}
	if o.onKernel != nil {
		o.onKernel(k)
	}
	k.everyQuantum = k.everyQuantum || o.noSkip
	var emit []func(context.Context, int32, []event.Event) error
	if bus != nil {
		emit = append(emit, bus.emitted)
	}
	if hb != nil {
		emit = append(emit, hb.emitted)
	}
	k.emitted = emitters(emit...)
	for _, n := range nodes {
		if p, ok := n.(node.Paced); ok && p.WallClock() {
			k.pace = true
		}
	}
	if k.pace {
		res.Statistical = true
		res.Warnings = append(res.Warnings, scenario.Diagnostic{Pos: sc.Simulation.Pos, Severity: scenario.SeverityWarning, Key: "nodes",
			Message: "the run is statistical, not bit-reproducible: a docker node with protocol none is a black-box service, so virtual time was paced to the wall clock",
			Hint:    "set docker.protocol: tcp on nodes that speak the node protocol to run them in lockstep"})
	} else if note, ok := faultPacing(sc, o.runtime); ok {
		k.pace = true
		res.Notes = append(res.Notes, note)
	}
	res.Paced = k.pace
	if k.pace {
		k.paceStart = time.Now()
		if cs, ok := o.runtime.(node.ClockStarter); ok {
			if k.paceStart, err = cs.StartClock(ctx); err != nil {
				return nil, err
			}
		}
	}
	if err := k.run(ctx); err != nil {
		return nil, err
	}
	clockEnd := time.Now()
	if bus != nil {
		m, err := bus.drain(ctx, mqttDrainTimeout)
		if err != nil {
			return nil, err
		}
		res.MQTT = m
		if m.TimedOut {
			res.Warnings = append(res.Warnings, scenario.Diagnostic{Pos: sc.Simulation.Pos, Severity: scenario.SeverityWarning, Key: "nodes",
				Message: fmt.Sprintf("MQTT: %d of %d published messages reached the gateways through the broker; the others were lost or later than %s", m.Received, m.Expected, mqttDrainTimeout)})
		}
	}
	if hb != nil {
		res.HTTP = hb.finish(mqttDrainTimeout)
	}
	if obs != nil {
		// After the drain, so outputs of the last readings count; the
		// window still ends with the clock.
		res.Observers = obs.finish(clockEnd, !k.pace)
	}

	res.VirtualTimeUS = k.now
	res.Steps = k.steps
	res.Network = net.Totals()
	res.InFlight = net.InFlight()
	res.Routes = net.Routes()
	res.Events = res.Network.Delivered
	rows := len(nodes)
	for _, f := range k.cohorts {
		rows -= int(f.end-f.first) - 1
	}
	res.Nodes = make([]NodeResult, 0, rows)
	result := func(i int) NodeResult {
		n := nodes[i]
		st := n.Stats()
		res.Events += st.Events
		nr := NodeResult{ID: n.ID(), Stats: st, Restarts: k.crash.restarts[i], Healthy: !k.crash.down[i]}
		for _, us := range k.crash.took[i] {
			nr.RecoveryS = append(nr.RecoveryS, float64(us)/1e6)
		}
		if r, ok := n.(node.Recoverer); ok && k.crash.crashed(int32(i)) { // #nosec G115 -- a node index, below the node count, which the loader bounds far under MaxInt32
			// A container comes back on its own (its restart policy) or
			// when restart_after_s starts it; it says when it is healthy.
			restarts, took, up := r.Recovery()
			nr.Restarts, nr.Healthy, nr.RecoveryS = restarts, up, nil
			for _, d := range took {
				nr.RecoveryS = append(nr.RecoveryS, d.Seconds())
			}
		}
		if im, ok := n.(node.Imaged); ok {
			nr.Image, nr.ImageDigest = im.Image()
		}
		if pl, ok := n.(node.Platformed); ok {
			nr.Platform, nr.PlatformDigest = pl.Platform()
		}
		if nt, ok := n.(node.Noted); ok {
			res.Warnings = append(res.Warnings, nt.Notes()...)
		}
		if p, ok := n.(node.Paced); ok && p.WallClock() {
			nr.BlackBox = true
		}
		if rs, ok := n.(node.Resourced); ok {
			if nr.Resources = rs.Resources(); nr.Resources != nil && nr.Resources.Restarts > nr.Restarts {
				// Restarts its policy made without a node_crash fault.
				nr.Restarts = nr.Resources.Restarts
			}
		}
		return nr
	}
	offenders := map[int][]Offender{}
	for i := 0; i < len(nodes); i++ {
		f := k.cohortAt(int32(i))
		if f == nil {
			res.Nodes = append(res.Nodes, result(i))
			continue
		}
		// A cohort's row is folded as it is made: a million rows would
		// cost ~200 MB.
		// What result gives a GroupSensor, added in slot order (the
		// devices' memory order) and, for the crash figures, node order.
		row := groupRow(f.entry, int(f.end-f.first), result(i))
		for p := range f.devs {
			if f.dev[p] == 0 {
				continue // the first device, counted above
			}
			st := f.devs[p].Stats()
			res.Events += st.Events
			row.add(NodeResult{Stats: st, Healthy: true})
		}
		for j := i + 1; j < int(f.end); j++ {
			row.Restarts += k.crash.restarts[j]
			row.Healthy = row.Healthy && !k.crash.down[j]
			for _, us := range k.crash.took[j] {
				row.RecoveryS = append(row.RecoveryS, float64(us)/1e6)
			}
		}
		res.Nodes = append(res.Nodes, row)
		offenders[i] = f.offenders(net.GroupDrops(f.first))
		i = int(f.end) - 1
	}
	res.Timeline, res.BucketUS = net.Timeline()
	res.FaultDrops = net.FaultDrops()
	foldGroups(res, spans(sc), offenders)
	return res, nil
}

// build makes the nodes in scenario order, collecting every config mistake.
func build(sc *scenario.Scenario, o *options) ([]node.Node, []scenario.Diagnostic, error) {
	var (
		nodes []node.Node
		warns []scenario.Diagnostic
		errs  []error
	)
	for _, sn := range sc.Nodes {
		if sn.IsGroup() {
			var (
				w   []scenario.Diagnostic
				err error
			)
			nodes, w, err = buildGroup(sn, o, nodes)
			warns = append(warns, w...)
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if n, ok := o.nodes[sn.ID]; ok {
			nodes = append(nodes, n)
			continue
		}
		if o.connect && connectable(sn) {
			sn = asConnected(sn)
		}
		n, w, err := node.New(sn, o.sum, o.runtime)
		warns = append(warns, w...)
		if err != nil {
			// A missing runtime is said once, at the first docker node.
			if !errors.Is(err, node.ErrNoRuntime) || !slices.ContainsFunc(errs, func(e error) bool { return errors.Is(e, node.ErrNoRuntime) }) {
				errs = append(errs, err)
			}
			continue
		}
		nodes = append(nodes, n)
	}
	return nodes, warns, errors.Join(errs...)
}

// destinationWarnings names the built-in senders whose destination is no
// node: upstream's sensor sends to a hard-coded "gateway", which scenarios
// with a gateway1 never have, so every reading is silently lost there.
func destinationWarnings(sc *scenario.Scenario) []scenario.Diagnostic {
	ids := map[string]bool{}
	for _, n := range sc.Nodes {
		ids[n.ID] = true
	}
	var warns []scenario.Diagnostic
	for _, n := range sc.Nodes {
		if n.Implementation == scenario.ImplDocker {
			continue // a container sends where its program says
		}
		var dst, key string
		switch node.ModelOf(n) {
		case node.ModelSensor:
			dst, key = "gateway", "dst"
			if d, ok := n.Config["dst"].(string); ok {
				dst = d
			}
		case node.ModelGateway:
			dst, key = "", "forward_to"
			if d, ok := n.Config["forward_to"].(string); ok {
				dst = d
			}
		}
		if dst == "" || ids[dst] || sc.HasNode(dst) {
			continue
		}
		pos := n.Pos
		if p, ok := n.ConfigPos[key]; ok {
			pos = p
		}
		warns = append(warns, scenario.Diagnostic{Pos: pos, Severity: scenario.SeverityWarning, Key: "config." + key,
			Message: fmt.Sprintf("node %q sends to %q, which is not a node of this scenario; its messages are counted as unroutable drops", n.ID, dst),
			Hint:    fmt.Sprintf("set config.%s to one of the node ids", key)})
	}
	return warns
}

func newRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ceilDiv is ceil(a/b) for a >= 0 and b > 0. Not (a+b-1)/b: with a
// quantum near the int64 limit that sum wraps, and a run of 10 s with
// time_quantum_us: 9223372036854775807 counted 0 steps and ran no event.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// csvFiles writes each built-in model's CSV into a temporary file in the
// target directory and renames them into place only when the run
// succeeded, so a failed run leaves no half-written CSV behind. Nodes that
// write no CSV rows (processes write their own in their working directory,
// containers and sinks none) get no file: an empty look-alike would hide
// where the real one is.
type csvFiles struct {
	dir   string
	files []*os.File // by node index; nil for nodes without a CSV
	names []string
}

func openCSV(dir string, nodes []node.Node) (*csvFiles, error) {
	c := &csvFiles{dir: dir}
	if dir == "" {
		return c, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- the results directory for the CSV files
		return nil, fmt.Errorf("creating CSV directory: %w", err)
	}
	for _, n := range nodes {
		c.names = append(c.names, n.ID()+"_metrics.csv")
	}
	if err := atomicfile.RemoveLeftovers(dir, c.names); err != nil {
		return nil, err
	}
	for i, n := range nodes {
		name := c.names[i]
		if w, ok := n.(node.CSVWriter); !ok || !w.WritesCSV() {
			c.files = append(c.files, nil)
			continue
		}
		f, err := atomicfile.CreateTemp(dir, "."+name+".*")
		if err != nil {
			_ = c.finish(false) // discards the files; the create error is the one to report
			return nil, fmt.Errorf("creating %s: %w", name, err)
		}
		c.files = append(c.files, f)
	}
	return c, nil
}

// writer returns node i's CSV file, or a nil interface when it has none.
func (c *csvFiles) writer(i int) io.Writer {
	if c.dir == "" || c.files[i] == nil {
		return nil
	}
	return c.files[i]
}

func (c *csvFiles) finish(keep bool) error {
	var errs []error
	for i, f := range c.files {
		if f == nil {
			continue
		}
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", c.names[i], err))
		}
	}
	keep = keep && len(errs) == 0
	for i, f := range c.files {
		if f == nil {
			continue
		}
		if keep {
			if err := os.Rename(f.Name(), filepath.Join(c.dir, c.names[i])); err != nil {
				errs = append(errs, fmt.Errorf("saving %s: %w", c.names[i], err))
			}
			continue
		}
		_ = os.Remove(f.Name()) // a temporary file not kept
	}
	return errors.Join(errs...)
}

// faultPacing tells whether the runtime applies link faults to real
// packets by the wall clock, so that the run must be paced for them to
// act at their virtual time, and gives the note that says so. Lockstep
// nodes still give the same events, so the run stays reproducible; a
// note, not a warning: the faults are what the scenario asks for.
func faultPacing(sc *scenario.Scenario, rt node.Runtime) (scenario.Diagnostic, bool) {
	wc, ok := rt.(node.WallClockNeeder)
	if !ok {
		return scenario.Diagnostic{}, false
	}
	i, need := wc.NeedsWallClock()
	if !need {
		return scenario.Diagnostic{}, false
	}
	note := scenario.Diagnostic{Pos: sc.Simulation.Pos, Severity: scenario.SeverityWarning, Key: "faults"}
	first := ""
	if i >= 0 && i < len(sc.Faults) {
		f := sc.Faults[i]
		if f.AtUS >= sc.Simulation.DurationUS {
			// The earliest fault that needs it never acts, nor do those
			// after it.
			return scenario.Diagnostic{}, false
		}
		note.Pos, first = f.Pos, fmt.Sprintf(" (the first: %s at %gs)", f.Kind, float64(f.AtUS)/1e6)
	}
	note.Message = "virtual time was paced to the wall clock: link faults" + first + " act on the containers' real packets at their time"
	return note, true
}
