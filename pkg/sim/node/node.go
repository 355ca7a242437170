package node

import (
	"context"
	"io"
	"math"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// Never is the Next time of a node with nothing scheduled.
const Never int64 = math.MaxInt64

// Env is what the kernel hands a node when it starts.
type Env struct {
	// Seed is the scenario seed (upstream sends it as INIT {"seed": N}).
	Seed int64
	// Index is the node's position in the scenario's node list.
	Index int32
	// CSV receives upstream's <id>_metrics.csv rows; nil when CSV output is
	// off.
	CSV io.Writer
	// Dir is the directory relative paths resolve against (the scenario's).
	Dir string
	// WorkDir is where nodes that write their own files run: the run's
	// results directory, so what upstream's nodes write into their working
	// directory lands beside summary.json. Empty means Dir.
	WorkDir string
	// RunID labels what the run starts outside the process (containers).
	RunID string
	// Network is the scenario's network, for the metadata upstream's
	// coordinator sends with delivered events (the link's loss_rate).
	Network scenario.Network
}

// Node is one simulated node, driven in lockstep by the kernel.
type Node interface {
	// ID returns the node id from the scenario.
	ID() string
	// Start prepares the node; it is called once, in node order.
	Start(ctx context.Context, env Env) error
	// Advance delivers in, processes every internal event earlier than
	// target, and appends the events the node emits to out.
	Advance(ctx context.Context, target int64, in []event.Event, out []event.Event) ([]event.Event, error)
	// Next returns the time of the earliest internal event, or Never. The
	// kernel skips quanta in which no node has anything to do.
	Next() int64
	// Stats returns the node's counters.
	Stats() Stats
	// Close releases what Start acquired. It is called once, also after a
	// failed run.
	Close() error
}

// External is implemented by nodes whose schedule the kernel cannot see
// (processes speaking the protocol). They are advanced at every quantum,
// as upstream does, and split Advance in two so that all of them compute
// concurrently: Send for all, then Advance (which waits) in node order.
type External interface {
	Node
	// Send starts the step towards target with the delivered events.
	Send(ctx context.Context, target int64, in []event.Event) error
}

// CSVWriter is implemented by the built-in models that write upstream's
// <id>_metrics.csv through Env.CSV. Only they get a file: a process writes
// its own, and an empty look-alike would hide that it is elsewhere.
type CSVWriter interface {
	WritesCSV() bool
}

// Crasher is implemented by nodes that model a crash (the node_crash
// fault): nothing at or after at runs until Restart, and what was queued
// inside the node is lost.
type Crasher interface {
	Crash(at int64)
	Restart(at int64)
}

// Stats are the counters every node keeps.
type Stats struct {
	// Model names what ran the node: sensor, gateway, sink, mqtt_broker or
	// process.
	Model string `json:"model"`
	// Events is the number of internal events the node handled.
	Events            int64 `json:"events"`
	MessagesSent      int64 `json:"messages_sent"`
	MessagesReceived  int64 `json:"messages_received"`
	MessagesProcessed int64 `json:"messages_processed"`
}

// Recoverer is implemented by nodes that come back from a crash by
// themselves, such as a container under a restart policy: the kernel does
// not know when, so the node says.
type Recoverer interface {
	// Recovery returns how many times the node came back after a crash,
	// how long each recovery took (wall clock, crash to healthy), and
	// whether the node is up.
	Recovery() (restarts int64, took []time.Duration, up bool)
}

// Paced is implemented by nodes that live in wall-clock time. When one
// says so, the kernel paces virtual time to the wall clock and the run is
// statistical rather than bit-reproducible.
type Paced interface {
	WallClock() bool
}

// Imaged is implemented by nodes that run an image (containers): the
// result names the image by the digest that ran, for promotion.
type Imaged interface {
	// Image returns the reference the node ran and the image's digest.
	Image() (ref, digest string)
}

// PlatformImaged is an Imaged node whose image digest is an index: it
// also names the platform manifest that ran, which evidence lists beside
// the index (a host running that platform checks for it).
type PlatformImaged interface {
	PlatformManifest() string
}
