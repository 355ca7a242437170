package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// Labels put on every container deploy creates.
const (
	LabelService  = "xedgesim.service"
	LabelDigest   = "xedgesim.digest"          // the manifest's digest (index or image)
	LabelPlatform = "xedgesim.platform-digest" // the host's platform manifest
	LabelImageID  = "xedgesim.image-id"        // the engine's image ID
	LabelDeployID = "xedgesim.deploy-id"
)

// Result is how one host ended.
type Result string

// The results.
const (
	ResultDeployed   Result = "deployed"
	ResultRolledBack Result = "rolled back"
	ResultFailed     Result = "failed"
	ResultSkipped    Result = "skipped"
)

// HostReport is what happened on one host.
type HostReport struct {
	Host       string        `json:"host"`
	Platform   string        `json:"platform"`
	OldDigest  string        `json:"old_digest,omitempty"`
	NewDigest  string        `json:"new_digest"`
	BytesSent  int64         `json:"bytes_sent"`
	Duration   time.Duration `json:"duration_ns"`
	Result     Result        `json:"result"`
	RolledBack bool          `json:"rolled_back"`
	Error      string        `json:"error,omitempty"`
	err        error
}

// Report is the outcome of a deploy.
type Report struct {
	DeployID string       `json:"deploy_id"`
	Image    string       `json:"image"`
	Hosts    []HostReport `json:"hosts"`
}

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

// Option configures Deploy and Verify.
type Option func(*options)

type options struct {
	progress   Progress
	remote     []remote.Option
	names      []name.Option
	ssh        []transport.Option
	deployID   string
	hosts      []string
	image      string
	sshTimeout time.Duration
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

// InputError is a mistake in what deploy was asked (exit code 3).
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode is 3.
func (e *InputError) ExitCode() int { return 3 }

// FailedError says some hosts did not end deployed (or did not verify).
// Its exit code is 2 when every failure was a failed health check (or
// verify check), and 1 otherwise.
type FailedError struct {
	Failed []string
	// Errs are the hosts' errors, in host order.
	Errs   []error
	health bool
}

func (e *FailedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d host(s) failed: %s", len(e.Failed), strings.Join(e.Failed, ", "))
	for _, err := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap gives the hosts' errors.
func (e *FailedError) Unwrap() []error { return e.Errs }

// ExitCode is 2 for health failures only, 1 otherwise.
func (e *FailedError) ExitCode() int {
	if e.health {
		return 2
	}
	return 1
}

// HealthError is a health check that did not pass in time.
type HealthError struct {
	Host string
	Err  error
}

func (e *HealthError) Error() string { return fmt.Sprintf("health-checking %s: %v", e.Host, e.Err) }
func (e *HealthError) Unwrap() error { return e.Err }

// PlatformError is an image without the host's platform.
type PlatformError struct {
	Host, Platform string
	Have           []string
}

func (e *PlatformError) Error() string {
	return fmt.Sprintf("picking the image for %s: the image has no %s (it has %s); nothing was changed on %s",
		e.Host, e.Platform, strings.Join(e.Have, ", "), e.Host)
}

// ExitCode is 3: the manifest names an image that cannot run there.
func (e *PlatformError) ExitCode() int { return 3 }

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

// selectHosts applies WithHosts.
func selectHosts(m *manifest.Manifest, o options) ([]manifest.Host, error) {
	if len(o.hosts) == 0 {
		return m.Hosts, nil
	}
	var out []manifest.Host
	for _, n := range o.hosts {
		found := false
		for _, h := range m.Hosts {
			if h.Name == n {
				out = append(out, h)
				found = true
			}
		}
		if !found {
			return nil, &InputError{fmt.Errorf("selecting hosts: %q is not in the manifest", n)}
		}
	}
	return out, nil
}

// image is the image to deploy, read once from its registry.
type image struct {
	ref    name.Digest
	digest string
	// platforms maps os/arch[/variant] to the platform manifest.
	platforms map[string]v1.Descriptor
	order     []string
	single    v1.Image // when the reference is one image, not an index
}

func resolveImage(ctx context.Context, ref string, o options) (*image, error) {
	d, err := name.NewDigest(ref, o.names...)
	if err != nil {
		return nil, &InputError{fmt.Errorf("parsing image %q: %w (want REPO@sha256:...)", ref, err)}
	}
	ropts := append([]remote.Option{remote.WithContext(ctx)}, o.remote...)
	desc, err := remote.Get(d, ropts...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, err)
	}
	im := &image{ref: d, digest: d.DigestStr(), platforms: map[string]v1.Descriptor{}}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", d, err)
		}
		mf, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading index %s: %w", d, err)
		}
		for _, m := range mf.Manifests {
			if m.Platform == nil || m.Platform.OS == "unknown" || m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
				continue
			}
			p := platformString(*m.Platform)
			if _, dup := im.platforms[p]; !dup {
				im.platforms[p] = m
				im.order = append(im.order, p)
			}
		}
		return im, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading config of %s: %w", d, err)
	}
	p := platformString(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})
	im.single = img
	im.platforms[p] = desc.Descriptor
	im.order = []string{p}
	return im, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// pick returns the platform manifest for platform; linux/arm64 also
// matches linux/arm64/v8.
func (im *image) pick(platform string) (v1.Descriptor, bool) {
	if d, ok := im.platforms[platform]; ok {
		return d, true
	}
	if strings.Count(platform, "/") == 1 {
		for p, d := range im.platforms {
			if strings.HasPrefix(p, platform+"/") {
				return d, true
			}
		}
	}
	d, ok := im.platforms[strings.TrimSuffix(platform, "/v8")]
	return d, ok
}

// Deploy deploys m's image to its hosts. The report lists every host even
// when err is not nil; err is a *FailedError when hosts failed.
func Deploy(ctx context.Context, m *manifest.Manifest, opts ...Option) (*Report, error) {
	o := makeOptions(opts)
	ref := m.Image
	if o.image != "" {
		ref = o.image
	}
	if ref == "" {
		return nil, &InputError{errors.New("deploying: no image; set image: in the manifest or give --image REPO@sha256:...")}
	}
	hosts, err := selectHosts(m, o)
	if err != nil {
		return nil, err
	}
	im, err := resolveImage(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	rep := &Report{DeployID: o.deployID, Image: im.ref.String(), Hosts: make([]HostReport, len(hosts))}
	for i, h := range hosts {
		rep.Hosts[i] = HostReport{Host: h.Name, NewDigest: im.digest, Result: ResultSkipped}
	}
	// The canary goes first, alone; then batches in parallel. A rollout
	// stops once more than max_failures hosts failed.
	var waves [][]int
	canary := min(m.Rollout.Canary, len(hosts))
	for i := 0; i < canary; i++ {
		waves = append(waves, []int{i})
	}
	batch := max(m.Rollout.Batch, 1)
	for i := canary; i < len(hosts); i += batch {
		var w []int
		for j := i; j < min(i+batch, len(hosts)); j++ {
			w = append(w, j)
		}
		waves = append(waves, w)
	}
	failures := 0
	for _, w := range waves {
		if failures > m.Rollout.MaxFailures {
			break
		}
		var wg sync.WaitGroup
		for _, i := range w {
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := time.Now()
				d := &hostDeploy{m: m, h: hosts[i], im: im, o: o, rep: &rep.Hosts[i]}
				d.rep.err = d.run(ctx)
				d.rep.Duration = time.Since(start)
				if d.rep.err != nil {
					d.rep.Error = d.rep.err.Error()
					if d.rep.Result == ResultSkipped {
						d.rep.Result = ResultFailed
					}
				}
				o.progress.Report(Event{Host: hosts[i].Name, Step: "done", Message: string(d.rep.Result)})
			}()
		}
		wg.Wait()
		for _, i := range w {
			if rep.Hosts[i].err != nil {
				failures++
			}
		}
	}
	return rep, rep.failure()
}

func (r *Report) failure() error {
	fe := &FailedError{health: true}
	for _, h := range r.Hosts {
		if h.err == nil {
			continue
		}
		// A host key problem is configuration: it wins, with exit 3.
		var hk *transport.HostKeyError
		if errors.As(h.err, &hk) {
			return h.err
		}
		var he *HealthError
		if !errors.As(h.err, &he) {
			fe.health = false
		}
		fe.Failed = append(fe.Failed, h.Host)
		fe.Errs = append(fe.Errs, fmt.Errorf("%s: %w", h.Host, h.err))
	}
	if len(fe.Failed) == 0 {
		return nil
	}
	return fe
}

// connect dials a host with the manifest's SSH settings.
func connect(ctx context.Context, m *manifest.Manifest, h manifest.Host, o options) (*transport.Client, error) {
	t := transport.Target{Name: h.Name, Address: h.Address, Port: h.Port, User: h.User, KnownHosts: h.KnownHosts, Fingerprints: h.Fingerprints}
	sopts := []transport.Option{transport.WithTimeout(m.SSH.Timeout)}
	if m.SSH.Key != "" {
		key := m.SSH.Key
		if !filepath.IsAbs(key) {
			key = filepath.Join(m.Dir, key)
		}
		sopts = append(sopts, transport.WithKeyFile(key, m.SSH.PassphraseValue()))
	} else if len(o.ssh) == 0 {
		sopts = append(sopts, transport.WithAgent())
	}
	if j := m.SSH.Jump; j != nil {
		sopts = append(sopts, transport.WithJump(transport.Target{Name: "jump host " + j.Address, Address: j.Address, Port: j.Port, User: j.User, KnownHosts: j.KnownHosts, Fingerprints: j.Fingerprints}))
	}
	return transport.Dial(ctx, t, append(sopts, o.ssh...)...)
}

type hostDeploy struct {
	m   *manifest.Manifest
	h   manifest.Host
	im  *image
	o   options
	rep *HostReport
	c   *transport.Client

	// A strategy that can be undone after it succeeded sets commit and
	// undo (with rollout.rollback: true): once the whole rollout succeeded
	// commit drops what undo would need; when the rollout stopped, undo
	// puts back what the host ran before. Both run on d.c.
	commit, undo func(context.Context) error
}

func (d *hostDeploy) event(step, format string, args ...any) {
	d.o.progress.Report(Event{Host: d.h.Name, Step: step, Message: fmt.Sprintf(format, args...)})
}

func (d *hostDeploy) run(ctx context.Context) error {
	d.event("connect", "connecting to %s", d.h.Address)
	c, err := connect(ctx, d.m, d.h, d.o)
	if err != nil {
		return err
	}
	defer c.Close()
	d.c = c
	platform := d.h.Platform
	if platform == "" {
		out, err := c.Run(ctx, "docker version --format '{{.Server.Os}}/{{.Server.Arch}}'", nil)
		if err != nil {
			return fmt.Errorf("detecting the platform: %w", err)
		}
		platform = strings.TrimSpace(out)
	}
	d.rep.Platform = platform
	desc, ok := d.im.pick(platform)
	if !ok {
		return &PlatformError{Host: d.h.Name, Platform: platform, Have: d.im.order}
	}
	d.event("platform", "%s: %s", platform, desc.Digest)
	if done, err := d.strategy(ctx, platform, desc); done {
		return err
	}

	old, err := inspect(ctx, c, d.m.Service.Name)
	if err != nil {
		return err
	}
	if old != nil {
		d.rep.OldDigest = old.Config.Labels[LabelDigest]
	}

	imageRef, err := d.transfer(ctx, platform, desc)
	if err != nil {
		return err
	}
	imageID, err := c.Run(ctx, "docker image inspect --format '{{.Id}}' "+transport.Quote(imageRef), nil)
	if err != nil {
		return fmt.Errorf("inspecting the image: %w", err)
	}
	imageID = strings.TrimSpace(imageID)
	if err := d.files(ctx); err != nil {
		return err
	}
	return d.replace(ctx, old, platform, imageRef, imageID, desc.Digest.String())
}

// transfer gets the platform image onto the host and returns the reference
// to create the container from.
func (d *hostDeploy) transfer(ctx context.Context, platform string, desc v1.Descriptor) (string, error) {
	c := d.c
	if d.m.Transfer == manifest.TransferPull {
		ref := d.im.ref.String()
		d.event("transfer", "pulling %s", ref)
		if _, err := c.Run(ctx, "docker pull -q --platform "+transport.Quote(platform)+" "+transport.Quote(ref), nil); err != nil {
			return "", fmt.Errorf("pulling on the host: %w", err)
		}
		return ref, nil
	}
	img := d.im.single
	if img == nil {
		var err error
		img, err = remote.Image(d.im.ref.Context().Digest(desc.Digest.String()), append([]remote.Option{remote.WithContext(ctx)}, d.o.remote...)...)
		if err != nil {
			return "", fmt.Errorf("reading the %s image: %w", platform, err)
		}
	}
	tag, err := name.NewTag("xedgesim.local/"+d.m.Service.Name+":"+strings.TrimPrefix(desc.Digest.String(), "sha256:")[:20], name.StrictValidation)
	if err != nil {
		return "", &InputError{fmt.Errorf("naming the image: %w", err)}
	}
	f, err := os.CreateTemp("", "xedgesim-image-*.tar")
	if err != nil {
		return "", fmt.Errorf("writing the image tarball: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := tarball.Write(tag, img, f); err != nil {
		return "", fmt.Errorf("writing the image tarball: %w", err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", fmt.Errorf("writing the image tarball: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("writing the image tarball: %w", err)
	}
	dst := "/tmp/xedgesim-" + d.o.deployID + "-" + d.h.Name + "-" + d.m.Service.Name + ".tar"
	d.event("transfer", "sending %d bytes", size)
	err = c.Upload(ctx, f, size, dst, "0600", func(n int64) {
		d.o.progress.Report(Event{Host: d.h.Name, Step: "transfer", Bytes: n, Total: size})
	})
	if err != nil {
		return "", err
	}
	d.rep.BytesSent += size
	_, err = c.Run(ctx, "docker load -q -i "+transport.Quote(dst)+"; rc=$?; rm -f "+transport.Quote(dst)+"; exit $rc", nil)
	if err != nil {
		return "", fmt.Errorf("loading the image: %w", err)
	}
	return tag.String(), nil
}

// files copies the service's files, each atomically.
func (d *hostDeploy) files(ctx context.Context) error {
	for _, f := range d.m.Service.Files {
		src := f.Src
		if !filepath.IsAbs(src) {
			src = filepath.Join(d.m.Dir, src)
		}
		fh, err := os.Open(src)
		if err != nil {
			return &InputError{fmt.Errorf("reading %s (%s): %w", f.Src, f.Pos, err)}
		}
		st, err := fh.Stat()
		if err == nil {
			d.event("files", "copying %s to %s", f.Src, f.Dst)
			if _, err = d.c.Run(ctx, "mkdir -p "+transport.Quote(filepath.Dir(f.Dst)), nil); err == nil {
				err = d.c.Upload(ctx, fh, st.Size(), f.Dst, f.Mode, nil)
			}
		}
		fh.Close()
		if err != nil {
			return fmt.Errorf("copying %s: %w", f.Src, err)
		}
		d.rep.BytesSent += st.Size()
	}
	return nil
}

// replace creates the new container beside the old one, switches over, and
// health-checks; on failure it puts the old one back.
func (d *hostDeploy) replace(ctx context.Context, old *container, platform, imageRef, imageID, platformDigest string) error {
	c, s := d.c, d.m.Service
	newName := s.Name + "-xedgesim-" + d.o.deployID
	args := []string{"docker", "create", "--name", newName, "--platform", platform, "--restart", s.Restart,
		"--label", LabelService + "=" + s.Name, "--label", LabelDigest + "=" + d.im.digest,
		"--label", LabelPlatform + "=" + platformDigest, "--label", LabelImageID + "=" + imageID,
		"--label", LabelDeployID + "=" + d.o.deployID}
	for _, p := range s.Ports {
		args = append(args, "-p", p)
	}
	for _, v := range s.Volumes {
		args = append(args, "-v", v)
	}
	for _, k := range sortedKeys(s.Env) {
		args = append(args, "-e", k+"="+s.Env[k])
	}
	if s.Memory != "" {
		args = append(args, "--memory", s.Memory)
	}
	if s.CPUs > 0 {
		args = append(args, "--cpus", strconv.FormatFloat(s.CPUs, 'f', -1, 64))
	}
	args = append(args, imageRef)
	args = append(args, s.Command...)
	d.event("create", "creating %s", newName)
	if _, err := c.Run(ctx, shell(args...), nil); err != nil {
		return fmt.Errorf("creating the container: %w", err)
	}
	// From here on, any failure puts the old container back. The clean-up
	// must run even when ctx is cancelled.
	bg := context.WithoutCancel(ctx)
	rollback := func(cause error) error {
		d.event("rollback", "%v", cause)
		c.Run(bg, "docker rm -f "+transport.Quote(newName), nil)
		if old != nil {
			if _, err := c.Run(bg, "docker start "+transport.Quote(old.ID), nil); err != nil {
				return errors.Join(cause, fmt.Errorf("restarting the old container: %w", err))
			}
			// The old container serves again once its published ports
			// answer (its own health check is not known here: the
			// manifest's may be the one that failed).
			if err := waitServing(bg, c, old, s.Health); err != nil {
				return errors.Join(cause, fmt.Errorf("health-checking the old container after the rollback: %w", err))
			}
			d.rep.RolledBack = true
			d.rep.Result = ResultRolledBack
		}
		return cause
	}
	if old != nil && old.State.Running {
		d.event("switch", "stopping the old container %s", old.Name)
		if _, err := c.Run(ctx, "docker stop -t 10 "+transport.Quote(old.ID), nil); err != nil {
			return rollback(fmt.Errorf("stopping the old container: %w", err))
		}
	}
	if _, err := c.Run(ctx, "docker start "+transport.Quote(newName), nil); err != nil {
		return rollback(fmt.Errorf("starting the container: %w", err))
	}
	d.event("health", "waiting up to %s for %s", s.Health.Timeout, s.Health.Kind())
	if err := waitHealthy(ctx, c, newName, s.Health); err != nil {
		return rollback(&HealthError{Host: d.h.Name, Err: err})
	}
	if old != nil {
		if _, err := c.Run(ctx, "docker rm -f "+transport.Quote(old.ID), nil); err != nil {
			return fmt.Errorf("removing the old container: %w", err)
		}
	}
	if _, err := c.Run(ctx, "docker rename "+transport.Quote(newName)+" "+transport.Quote(s.Name), nil); err != nil {
		return fmt.Errorf("renaming the container: %w", err)
	}
	d.rep.Result = ResultDeployed
	return nil
}

// waitHealthy probes until the check passes, the container stops, or the
// timeout passes.
func waitHealthy(ctx context.Context, c *transport.Client, ctr string, h manifest.Health) error {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	var last error
	for {
		st, err := inspect(ctx, c, ctr)
		if err == nil && st != nil && !st.State.Running && st.State.Status != "created" {
			return fmt.Errorf("the container is %s (exit code %d)", st.State.Status, st.State.ExitCode)
		}
		if last = probe(ctx, c, h); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s check did not pass within %s: %w", h.Kind(), h.Timeout, last)
		case <-time.After(h.Interval):
		}
	}
}

// waitServing waits until the container runs and its published TCP ports
// accept connections.
func waitServing(ctx context.Context, c *transport.Client, ctr *container, h manifest.Health) error {
	var ports []int
	for spec, binds := range ctr.HostConfig.PortBindings {
		if strings.HasSuffix(spec, "/udp") {
			continue
		}
		for _, b := range binds {
			if p, err := strconv.Atoi(b.HostPort); err == nil {
				ports = append(ports, p)
			}
		}
	}
	check := h
	check.HTTP, check.Cmd, check.TCP = nil, "", 0
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	for {
		st, err := inspect(ctx, c, ctr.ID)
		var last error = err
		if err == nil && st != nil && st.State.Running {
			last = nil
			for _, p := range ports {
				check.TCP = p
				if last = probe(ctx, c, check); last != nil {
					break
				}
			}
			if last == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the old container is not serving after %s: %v", h.Timeout, last)
		case <-time.After(h.Interval):
		}
	}
}

// probe runs the health check once, from the host itself: ports are dialled
// through the SSH connection, so a host behind a jump host or a firewall is
// checked the same way.
func probe(ctx context.Context, c *transport.Client, h manifest.Health) error {
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		return c.SSH().DialContext(ctx, "tcp", addr)
	}
	switch {
	case h.TCP != 0:
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		conn, err := dial(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(h.TCP)))
		if err != nil {
			return fmt.Errorf("connecting to port %d: %w", h.TCP, err)
		}
		return conn.Close()
	case h.HTTP != nil:
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		client := &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
		url := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(h.HTTP.Port)) + h.HTTP.Path
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("getting %s: %w", h.HTTP.Path, err)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		if resp.StatusCode != h.HTTP.Status {
			return fmt.Errorf("getting %s: status %d, want %d", h.HTTP.Path, resp.StatusCode, h.HTTP.Status)
		}
		return nil
	case h.Cmd != "":
		_, err := c.Run(ctx, h.Cmd, nil)
		return err
	}
	return nil
}
