package sim

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/xedgesim/simulate/pkg/sim/node"
)

// Option configures Run.
type Option func(*options) error

type options struct {
	seed     *int64
	csvDir   string
	sum      node.SumMode
	nodes    map[string]node.Node
	noSkip   bool
	runID    string
	runtime  node.Runtime
	workDir  string
	connect  bool
	upstream bool
	// perDevice runs every device group as per-device nodes, without
	// fleets (a test seam: the per-device path is the fleets' oracle).
	perDevice bool
	// workers is how many goroutines a run uses: with more than one, the
	// cohorts draw their samples ahead on their own (0: GOMAXPROCS).
	workers int
	// onKernel, when set, sees the kernel before it runs (a test seam).
	onKernel func(*kernel)
}

// WithUpstream runs every scenario as upstream does, whatever its
// simulation.compat: per-node config is dropped (node.AsUpstream), so an
// upstream file gives upstream's results (simulate --upstream).
func WithUpstream() Option {
	return func(o *options) error { o.upstream = true; return nil }
}

// WithConnect makes every node with a port and no command a protocol node
// that connects to localhost:<port>, as upstream's coordinator does with
// nodes started by hand (upstream's --connect-style run).
func WithConnect() Option {
	return func(o *options) error { o.connect = true; return nil }
}

// WithWorkDir runs process nodes in dir (created when missing), the run's
// results directory, and makes it {out} in their commands. Without it they
// run in the CSV directory (WithCSVDir), else in the scenario's directory.
func WithWorkDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("work directory must not be empty")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("work directory: %w", err)
		}
		o.workDir = abs
		return nil
	}
}

// WithRuntime runs the scenario's docker nodes with rt (a
// container.Runtime). The run closes rt when it ends, on every path, after
// its nodes. Without a runtime a docker node fails the run with
// node.ErrNoRuntime.
func WithRuntime(rt node.Runtime) Option {
	return func(o *options) error {
		if rt == nil {
			return errors.New("runtime must not be nil")
		}
		o.runtime = rt
		return nil
	}
}

// WithRunID sets the id containers are labelled with (default: random).
func WithRunID(id string) Option {
	return func(o *options) error { o.runID = id; return nil }
}

// WithSeed overrides the scenario's seed (upstream's --seed).
func WithSeed(seed int64) Option {
	return func(o *options) error { o.seed = &seed; return nil }
}

// WithCSVDir writes upstream's <node_id>_metrics.csv files into dir. They
// appear only when the run succeeds.
func WithCSVDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("CSV directory must not be empty")
		}
		o.csvDir = dir
		return nil
	}
}

// WithSumMode selects the CPython sum() the gateway model reproduces. The
// default is SumPlain, which gives upstream's published m0 hash.
func WithSumMode(m node.SumMode) Option {
	return func(o *options) error { o.sum = m; return nil }
}

// withNode replaces the node with id by n. A test seam.
func withNode(id string, n node.Node) Option {
	return func(o *options) error {
		if o.nodes == nil {
			o.nodes = map[string]node.Node{}
		}
		o.nodes[id] = n
		return nil
	}
}

// withoutSkipping executes every quantum, as upstream does. A test seam:
// skipping must not change any result.
func withoutSkipping() Option {
	return func(o *options) error { o.noSkip = true; return nil }
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{sum: node.SumPlain}
	var errs []error
	for _, opt := range opts {
		errs = append(errs, opt(o))
	}
	return o, errors.Join(errs...)
}

// withPerDevice runs device groups as one node per device, the path
// fleets must match. A test seam.
func withPerDevice() Option {
	return func(o *options) error { o.perDevice = true; return nil }
}

// withWorkers sets how many goroutines a run uses (0: GOMAXPROCS); more
// than one gives every cohort that can have one a generator, sparse or
// not. A test seam: the result must not depend on it.
func withWorkers(n int) Option {
	return func(o *options) error { o.workers = n; return nil }
}
