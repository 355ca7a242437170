package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// Labels on everything a run starts in the Docker Engine.
const (
	LabelRun  = "xedgesim.run"  // the run id
	LabelNode = "xedgesim.node" // the node id
	LabelPID  = "xedgesim.pid"  // the runner's process id, to find orphans
	LabelHost = "xedgesim.host" // the runner's host name
)

// ErrNoDocker means the scenario has docker nodes and no Docker Engine
// answers.
var ErrNoDocker = errors.New("docker nodes need a Docker Engine, and none answers: install Docker (https://docs.docker.com/engine/install/, or apt-get install docker.io) and start it, or point DOCKER_HOST or the docker context at a running engine")

// Runtime runs a simulation's docker nodes as containers in the Docker
// Engine the docker CLI would reach: DOCKER_HOST, else the current docker
// context, else the default socket. It connects when
// the first container starts, and then removes what runs killed before
// left behind. It owns what the run's nodes create beside their
// containers, the run's network and the images it loaded, and Close
// removes them; the run calls Close after closing its nodes, and the
// runtime can then serve another run. One run at a time.
type Runtime struct {
	images map[string]string
	logDir string

	mu      sync.Mutex
	cli     *engine.Client
	runID   string   // the run the nodes were started in
	network string   // the run's network, when a node of this run created it
	loaded  []string // images this run loaded into the engine

	net *netShaping // nil: the containers' network is left perfect

	// zero is the paced run's clock zero (StartClock); nodeFaults are the
	// node faults its containers went through (faulttimes.go).
	zero       time.Time
	nodeFaults []nodeFault
}

var _ node.Runtime = (*Runtime)(nil)

// Option configures a Runtime.
type Option func(*Runtime) error

// WithImage replaces the image of the docker nodes named by name (a node
// id, or an image name with or without its tag or digest) by ref: the image
// under test.
func WithImage(name, ref string) Option {
	return func(r *Runtime) error {
		if name == "" || ref == "" {
			return errors.New("image override needs a name and a reference")
		}
		if r.images == nil {
			r.images = map[string]string{}
		}
		r.images[name] = ref
		return nil
	}
}

// WithLogDir keeps each container's log as <dir>/<node id>.log.
func WithLogDir(dir string) Option {
	return func(r *Runtime) error { r.logDir = dir; return nil }
}

// New returns a runtime; nothing talks to the engine until a node starts.
func New(opts ...Option) (*Runtime, error) {
	r := &Runtime{}
	var errs []error
	for _, opt := range opts {
		errs = append(errs, opt(r))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("configuring the container runtime: %w", err)
	}
	return r, nil
}

// Node implements node.Runtime: it checks n's docker section, with the
// image under test in place of n's own.
func (r *Runtime) Node(n scenario.Node) (node.Node, error) {
	n = overrideImage(n, r.images)
	spec, err := parseDocker(n)
	if err != nil {
		return nil, err
	}
	return &Node{id: n.ID, pos: n.Pos, spec: spec, rt: r, stats: node.Stats{Model: "docker"}}, nil
}

// join records that a node starts in run runID (one of the runtime's own
// when "") and returns the run's id.
func (r *Runtime) join(runID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runID == "" {
		// A new run: the last one's clock and node faults are not its.
		r.zero, r.nodeFaults = time.Time{}, nil
	}
	switch {
	case runID != "":
		r.runID = runID
	case r.runID == "":
		r.runID = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	return r.runID
}

// client returns the engine client, connecting on first use: it checks
// that the engine answers and removes the orphans of crashed runs.
func (r *Runtime) client(ctx context.Context) (*engine.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cli != nil {
		return r.cli, nil
	}
	cli, err := engine.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrNoDocker, err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = cli.Ping(pctx)
	cancel()
	if err != nil {
		_ = cli.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w (%v)", ErrNoDocker, err)
	}
	if err := removeOrphans(ctx, cli); err != nil {
		_ = cli.Close()
		return nil, err
	}
	r.cli = cli
	return cli, nil
}

// loadedImage records an image the run loaded into the engine, to remove.
func (r *Runtime) loadedImage(ref string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.loaded, ref) {
		r.loaded = append(r.loaded, ref)
	}
}

// Close implements node.Runtime: the run's network and the images it
// loaded from oci:, tar: or a build context go after their containers;
// images that were in the engine before stay. It does not take the run's
// context: they must go also when the run was interrupted.
func (r *Runtime) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cli, runID, network, loaded := r.cli, r.runID, r.network, r.loaded
	r.cli, r.runID, r.network, r.loaded = nil, "", "", nil
	if cli == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	// The helpers first, so that their counters are kept.
	errs = append(errs, r.net.stop(ctx, r.logDir))
	// A container whose node could not remove it goes now, or the
	// network could not.
	if runID != "" {
		errs = append(errs, removeRun(ctx, cli, runID))
	}
	if network != "" {
		errs = append(errs, removeNetwork(ctx, cli, network))
	}
	errs = append(errs, removeImages(ctx, cli, loaded))
	errs = append(errs, cli.Close())
	return errors.Join(errs...)
}

// removeRun removes the containers of run id that are still there.
func removeRun(ctx context.Context, cli *engine.Client, id string) error {
	list, err := cli.ContainerList(ctx, true, LabelRun+"="+id)
	if err != nil {
		return fmt.Errorf("listing the run's containers: %w", err)
	}
	var errs []error
	for _, c := range list {
		if err := cli.ContainerRemove(ctx, c.ID, true, true); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("removing container %s of the run: %w", c.ID, err))
		}
	}
	return errors.Join(errs...)
}

// removeOrphans removes the containers and networks of runs whose runner
// is gone: same host, and no process with the labelled pid. Live runs are
// left alone.
func removeOrphans(ctx context.Context, cli *engine.Client) error {
	list, err := cli.ContainerList(ctx, true, LabelRun)
	if err != nil {
		return fmt.Errorf("listing leftover containers: %w", err)
	}
	for _, c := range list {
		if !orphan(c.Labels) {
			continue
		}
		if err := cli.ContainerRemove(ctx, c.ID, true, true); err != nil && !isNotFound(err) {
			return fmt.Errorf("removing leftover container %s of run %s: %w", c.ID, c.Labels[LabelRun], err)
		}
	}
	return removeOrphanNetworks(ctx, cli, orphan)
}

// orphan tells whether labels name a run on this host whose runner is gone.
func orphan(labels map[string]string) bool {
	if labels[LabelHost] != hostname() {
		return false
	}
	pid, err := strconv.Atoi(labels[LabelPID])
	return err == nil && pid > 0 && !processAlive(pid)
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}
