package deploy

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// Event is one step of progress on a host.
type Event struct {
	Host    string
	Step    string // connect, platform, transfer, files, create, health, switch, rollback, done
	Message string
	// Bytes and Total are set during a transfer.
	Bytes, Total int64
}

// Progress receives events; it must be safe for concurrent use.
type Progress interface{ Report(Event) }

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Event)

// Report calls f.
func (f ProgressFunc) Report(e Event) { f(e) }

// Option configures NewPlan, Deploy and Verify.
type Option func(*options)

type options struct {
	progress Progress
	remote   []remote.Option
	names    []name.Option
	ssh      []transport.Option
	deployID string
	hosts    []string
	image    string
	// waveJobs is WithWaveJobs's; runners is set by NewRunnerPlan.
	waveJobs int
	runners  bool
}

// WithProgress reports progress to p.
func WithProgress(p Progress) Option { return func(o *options) { o.progress = p } }

// WithRemoteOptions are used to read the image from its registry.
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(o *options) { o.remote = append(o.remote, opts...) }
}

// WithNameOptions parse the image reference (name.Insecure for plain http).
func WithNameOptions(opts ...name.Option) Option {
	return func(o *options) { o.names = append(o.names, opts...) }
}

// WithSSH adds SSH options (keys, agent, jump host) for every host.
func WithSSH(opts ...transport.Option) Option {
	return func(o *options) { o.ssh = append(o.ssh, opts...) }
}

// WithDeployID sets the deploy id put on containers (random by default).
func WithDeployID(id string) Option { return func(o *options) { o.deployID = id } }

// WithHosts limits the deploy to the named hosts.
func WithHosts(names ...string) Option {
	return func(o *options) { o.hosts = append(o.hosts, names...) }
}

// WithImage overrides the manifest's image (REPO@sha256:...).
func WithImage(ref string) Option { return func(o *options) { o.image = ref } }

func newDeployID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func makeOptions(opts []Option) options {
	o := options{progress: ProgressFunc(func(Event) {})}
	for _, opt := range opts {
		opt(&o)
	}
	if o.deployID == "" {
		o.deployID = newDeployID()
	}
	return o
}
