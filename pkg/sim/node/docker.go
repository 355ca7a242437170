package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
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
var ErrNoDocker = errors.New("docker nodes need a Docker Engine, and none answers: install Docker (https://docs.docker.com/engine/install/, or apt-get install docker.io) and start it, or point DOCKER_HOST at a running engine")

// Docker is an implementation: docker node: a real container run through
// the Docker Engine API. With docker.protocol tcp the container speaks
// upstream's TCP protocol on socket_port and runs in lockstep; with none
// (the default) it is a black-box service and the run is paced to the wall
// clock.
type Docker struct {
	id   string
	pos  scenario.Pos
	spec dockerSpec

	cli    *client.Client
	runID  string
	name   string
	cid    string
	logDir string
	// wire is the protocol connection (protocol tcp).
	wire *Process

	imageRef    string // what the container was created from
	imageDigest string // the image's repo digest, or its ID
	loaded      string // the image this run loaded into the engine, to remove
	network     string // the run's network, when this node created it
	stats       Stats
	lastCheck   time.Time

	crash crashState
}

var (
	_ External   = (*Docker)(nil)
	_ Paced      = (*Docker)(nil)
	_ MQTTBroker = (*Docker)(nil)
	_ Crasher    = (*Docker)(nil)
	_ Recoverer  = (*Docker)(nil)
)

// Paced is implemented by nodes that live in wall-clock time. When one
// says so, the kernel paces virtual time to the wall clock and the run is
// statistical rather than bit-reproducible.
type Paced interface {
	WallClock() bool
}

// NewDocker checks n's docker section; nothing is started until Start.
func NewDocker(n scenario.Node) (*Docker, error) {
	spec, err := parseDocker(n)
	if err != nil {
		return nil, err
	}
	return &Docker{id: n.ID, pos: n.Pos, spec: spec, stats: Stats{Model: "docker"}}, nil
}

// ID implements Node.
func (d *Docker) ID() string { return d.id }

// WallClock implements Paced.
func (d *Docker) WallClock() bool { return d.spec.protocol == ProtocolNone }

// Image returns the reference the container ran and the image's digest
// (repo digest when the engine knows one, else the image ID).
func (d *Docker) Image() (ref, digest string) { return d.imageRef, d.imageDigest }

// Start implements Node: connect to the engine, remove orphans of crashed
// runs, load the image if it is a file, create and start the container,
// wait for its health checks and, with protocol tcp, INIT it.
func (d *Docker) Start(ctx context.Context, env Env) error {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return d.at(fmt.Errorf("%w (%v)", ErrNoDocker, err))
	}
	d.cli = cli
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return d.at(fmt.Errorf("%w (%v)", ErrNoDocker, err))
	}
	if err := RemoveOrphans(ctx, cli); err != nil {
		return err
	}
	d.runID = env.RunID
	if d.runID == "" {
		d.runID = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	d.logDir = env.LogDir
	d.name = "xedgesim-" + d.runID + "-" + d.id
	if err := d.resolveImage(ctx, env.Dir); err != nil {
		return err
	}
	if err := d.create(ctx); err != nil {
		return err
	}
	if _, err := cli.ContainerStart(ctx, d.cid, client.ContainerStartOptions{}); err != nil {
		return d.errorf("starting container: %w", err)
	}
	if err := d.waitHealthy(ctx); err != nil {
		return err
	}
	switch d.spec.protocol {
	case ProtocolStdio:
		return d.startStdio(ctx, env)
	case ProtocolTCP:
	default:
		return nil
	}
	addr, err := d.hostAddr(ctx, d.spec.socketPort)
	if err != nil {
		return err
	}
	d.wire = &Process{id: d.id, address: addr, config: map[string]any{}, timeout: 30 * time.Second,
		connect: d.spec.health.timeout, output: &tail{max: 1}, stats: Stats{Model: "docker"},
		logs: func() string { return d.tailLogs(20) }}
	return d.wire.Start(ctx, env)
}

// resolveImage loads oci:<dir> and tar:<file> images into the engine and
// records the digest of the image that runs.
func (d *Docker) resolveImage(ctx context.Context, dir string) error {
	ref := d.spec.image
	if d.spec.buildContext != "" {
		built, err := d.buildImage(ctx, dir)
		if err != nil {
			return err
		}
		ref = built
	} else if kind, path, ok := strings.Cut(ref, ":"); ok && (kind == "oci" || kind == "tar") {
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		loaded, existed, digest, err := loadImage(ctx, d.cli, kind, path)
		if err != nil {
			return fmt.Errorf("node %q: loading image %s: %w", d.id, ref, err)
		}
		ref = loaded
		if !existed {
			d.loaded = loaded
		}
		d.imageDigest = digest
	}
	d.imageRef = ref
	img, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		return d.at(fmt.Errorf("image %s is not in the Docker Engine (simulate never pulls; build it with `xedgesim build --output docker:` or `docker load` it): %w", ref, err))
	}
	if d.imageDigest != "" {
		// An OCI layout's digest is the one push sends and evidence names.
		return nil
	}
	d.imageDigest = img.ID
	_, want, byDigest := strings.Cut(ref, "@")
	for _, rd := range img.RepoDigests {
		if _, dg, ok := strings.Cut(rd, "@"); ok && (!byDigest || dg == want) {
			d.imageDigest = dg
			break
		}
	}
	return nil
}

func (d *Docker) create(ctx context.Context) error {
	s := d.spec
	cfg := &container.Config{
		Image:        d.imageRef,
		Env:          append([]string{"XEDGESIM_NODE_ID=" + d.id}, s.env...),
		Cmd:          s.command,
		Labels:       d.labels(),
		ExposedPorts: network.PortSet{},
	}
	hc := &container.HostConfig{
		Binds:        s.binds,
		PortBindings: network.PortMap{},
		Resources:    container.Resources{Memory: s.memory, NanoCPUs: s.nanoCPUs},
	}
	if s.restart != "" {
		hc.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyMode(s.restart), MaximumRetryCount: s.maxRetries}
	}
	var netCfg *network.NetworkingConfig
	if s.network != "" {
		hc.NetworkMode = container.NetworkMode(s.network)
	} else {
		name, err := d.joinRunNetwork(ctx)
		if err != nil {
			return err
		}
		hc.NetworkMode = container.NetworkMode(name)
		netCfg = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{name: {Aliases: []string{d.id}}}}
	}
	// The ports we reach (protocol, health, MQTT) are published on
	// loopback. A container on the host's network publishes nothing.
	var ports []portSpec
	if s.network != "host" {
		ports = append(ports, s.ports...)
		for _, p := range []int{s.health.tcp, s.health.httpPort, s.health.mqtt, s.mqttPort} {
			if p != 0 {
				ports = append(ports, portSpec{container: p, hostIP: "127.0.0.1"})
			}
		}
		if s.protocol == ProtocolTCP {
			ports = append(ports, portSpec{container: s.socketPort, hostIP: "127.0.0.1"})
		}
	}
	for _, p := range sortedPorts(ports) {
		cp, err := network.ParsePort(strconv.Itoa(p.container) + "/tcp")
		if err != nil {
			return fmt.Errorf("node %q: port %d: %w", d.id, p.container, err)
		}
		cfg.ExposedPorts[cp] = struct{}{}
		b := network.PortBinding{}
		if p.host != 0 {
			b.HostPort = strconv.Itoa(p.host)
		}
		if p.hostIP != "" {
			ip, err := netip.ParseAddr(p.hostIP)
			if err != nil {
				return fmt.Errorf("node %q: port %d: host address %q: %w", d.id, p.container, p.hostIP, err)
			}
			b.HostIP = ip
		}
		hc.PortBindings[cp] = append(hc.PortBindings[cp], b)
	}
	res, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Name: d.name, Config: cfg, HostConfig: hc, NetworkingConfig: netCfg})
	if err != nil {
		return fmt.Errorf("node %q: creating container from %s: %w", d.id, d.imageRef, err)
	}
	d.cid = res.ID
	return nil
}

// labels mark what the run creates in the engine: containers, networks.
func (d *Docker) labels() map[string]string {
	return map[string]string{LabelRun: d.runID, LabelNode: d.id, LabelPID: strconv.Itoa(os.Getpid()), LabelHost: hostname()}
}

// hostAddr returns the loopback address a container port is published on.
func (d *Docker) hostAddr(ctx context.Context, port int) (string, error) {
	if d.spec.network == "host" {
		// The container shares the host's network: nothing is published.
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
	}
	in, err := d.cli.ContainerInspect(ctx, d.cid, client.ContainerInspectOptions{})
	if err != nil {
		return "", d.errorf("inspecting container: %w", err)
	}
	if in.Container.NetworkSettings != nil {
		for p, bs := range in.Container.NetworkSettings.Ports {
			if int(p.Num()) != port {
				continue
			}
			for _, b := range bs {
				if b.HostPort != "" {
					host := "127.0.0.1"
					if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
						host = b.HostIP.String()
					}
					return net.JoinHostPort(host, b.HostPort), nil
				}
			}
		}
	}
	return "", d.errorf("container port %d is not published on the host", port)
}

// waitHealthy waits until the container is running and every health check
// passes, or the health timeout.
func (d *Docker) waitHealthy(ctx context.Context) error {
	h := d.spec.health
	deadline := time.Now().Add(h.timeout)
	var last error
	for {
		last = d.checkHealth(ctx)
		if last == nil {
			return nil
		}
		var exited *exitedError
		if errors.As(last, &exited) {
			return d.unhealthy(d.errorf("%w", last))
		}
		if time.Now().After(deadline) {
			return d.unhealthy(d.errorf("not healthy within %s: %w", h.timeout, last))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// UnhealthyError is a container that exited or failed its health check:
// the image under test is broken, which is a gate failure (exit 2), not a
// fault of the run. Err names the node and quotes the container's last log
// lines.
type UnhealthyError struct {
	NodeID string
	Pos    scenario.Pos
	Err    error
}

func (e *UnhealthyError) Error() string { return e.Err.Error() }
func (e *UnhealthyError) Unwrap() error { return e.Err }

// ExitCode marks a broken container as a failed gate.
func (e *UnhealthyError) ExitCode() int { return 2 }

func (d *Docker) unhealthy(err error) error {
	return &UnhealthyError{NodeID: d.id, Pos: d.pos, Err: err}
}

type exitedError struct{ code int }

func (e *exitedError) Error() string { return fmt.Sprintf("container exited with code %d", e.code) }

func (d *Docker) running(ctx context.Context) error {
	in, err := d.cli.ContainerInspect(ctx, d.cid, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("inspecting container: %w", err)
	}
	if st := in.Container.State; st == nil || !st.Running {
		code := 0
		if st != nil {
			code = st.ExitCode
		}
		return &exitedError{code: code}
	}
	return nil
}

func (d *Docker) checkHealth(ctx context.Context) error {
	if err := d.running(ctx); err != nil {
		return err
	}
	h := d.spec.health
	if h.tcp != 0 {
		addr, err := d.hostAddr(ctx, h.tcp)
		if err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return fmt.Errorf("tcp %d: %w", h.tcp, err)
		}
		// A published port accepts even when nothing listens behind it
		// (docker-proxy); a connection closed at once means nothing does.
		_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, rerr := c.Read(make([]byte, 1))
		c.Close()
		if rerr != nil && !isTimeout(rerr) {
			return fmt.Errorf("tcp %d: connection closed at once", h.tcp)
		}
	}
	if h.httpPort != 0 {
		addr, err := d.hostAddr(ctx, h.httpPort)
		if err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(rctx, http.MethodGet, "http://"+addr+h.httpPath, nil)
		if err != nil {
			return fmt.Errorf("http: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("http %d%s: %w", h.httpPort, h.httpPath, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			return fmt.Errorf("http %d%s: status %s", h.httpPort, h.httpPath, resp.Status)
		}
	}
	if h.mqtt != 0 {
		addr, err := d.hostAddr(ctx, h.mqtt)
		if err != nil {
			return err
		}
		if err := checkMQTT(ctx, addr, h.mqttTopic); err != nil {
			return fmt.Errorf("mqtt %d: %w", h.mqtt, err)
		}
	}
	if len(h.cmd) > 0 {
		ex, err := d.cli.ExecCreate(ctx, d.cid, client.ExecCreateOptions{Cmd: h.cmd})
		if err != nil {
			return fmt.Errorf("cmd: %w", err)
		}
		if _, err := d.cli.ExecStart(ctx, ex.ID, client.ExecStartOptions{Detach: true}); err != nil {
			return fmt.Errorf("cmd: %w", err)
		}
		for {
			in, err := d.cli.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
			if err != nil {
				return fmt.Errorf("cmd: %w", err)
			}
			if !in.Running {
				if in.ExitCode != 0 {
					return fmt.Errorf("cmd %q exited with code %d", strings.Join(h.cmd, " "), in.ExitCode)
				}
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Send implements External.
func (d *Docker) Send(ctx context.Context, target int64, in []event.Event) error {
	if d.wire != nil {
		return d.wire.Send(ctx, target, in)
	}
	d.stats.MessagesReceived += int64(len(in))
	return nil
}

// Advance implements Node. A black-box container is checked to be still
// running, at most twice a second of wall time.
func (d *Docker) Advance(ctx context.Context, target int64, in []event.Event, out []event.Event) ([]event.Event, error) {
	if d.wire != nil {
		return d.wire.Advance(ctx, target, in, out)
	}
	if d.crash.down {
		return out, d.watchRecovery(ctx)
	}
	if time.Since(d.lastCheck) >= 500*time.Millisecond {
		d.lastCheck = time.Now()
		if err := d.running(ctx); err != nil {
			var exited *exitedError
			if errors.As(err, &exited) {
				return out, d.unhealthy(d.errorf("%w", err))
			}
			return out, d.errorf("%w", err)
		}
	}
	return out, nil
}

// Next implements Node.
func (d *Docker) Next() int64 { return Never }

// Stats implements Node.
func (d *Docker) Stats() Stats {
	if d.wire != nil {
		return d.wire.Stats()
	}
	return d.stats
}

// Close implements Node: SHUTDOWN (protocol tcp), save the container's
// logs, and remove it. It does not use the run's context: the container
// must go also when the run was interrupted.
func (d *Docker) Close() error {
	if d.cli == nil {
		return nil
	}
	defer d.cli.Close()
	var errs []error
	if d.wire != nil {
		errs = append(errs, d.wire.Close())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	target := d.cid
	if target == "" {
		// Creating may have succeeded while its answer was lost.
		target = d.name
	}
	if d.cid != "" && d.logDir != "" {
		errs = append(errs, d.saveLogs(ctx))
	}
	if d.name == "" {
		return errors.Join(errs...)
	}
	_, err := d.cli.ContainerRemove(ctx, target, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !(d.cid == "" && isNotFound(err)) {
		errs = append(errs, fmt.Errorf("removing container %s: %w", target, err))
	}
	return errors.Join(errs...)
}

func isNotFound(err error) bool {
	return strings.Contains(strings.ToLower(err.Error()), "no such container")
}

// saveLogs writes the container's stdout and stderr to <logDir>/<id>.log.
func (d *Docker) saveLogs(ctx context.Context) error {
	if err := os.MkdirAll(d.logDir, 0o755); err != nil {
		return fmt.Errorf("creating log directory: %w", err)
	}
	logs, err := d.logs(ctx, "all")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d.logDir, d.id+".log"), logs, 0o644); err != nil {
		return fmt.Errorf("saving logs of node %q: %w", d.id, err)
	}
	return nil
}

func (d *Docker) logs(ctx context.Context, tail string) ([]byte, error) {
	rc, err := d.cli.ContainerLogs(ctx, d.cid, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: tail})
	if err != nil {
		return nil, fmt.Errorf("reading logs of node %q: %w", d.id, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := stdcopy.StdCopy(&buf, &buf, rc); err != nil {
		return nil, fmt.Errorf("reading logs of node %q: %w", d.id, err)
	}
	return buf.Bytes(), nil
}

// tailLogs returns the container's last n log lines, or "".
func (d *Docker) tailLogs(n int) string {
	if d.cli == nil || d.cid == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := d.logs(ctx, strconv.Itoa(n))
	if err != nil {
		return ""
	}
	return string(b)
}

// at places err at the node's line in the scenario.
func (d *Docker) at(err error) error {
	return fmt.Errorf("%s:%d:%d: node %q: %w", d.pos.File, d.pos.Line, d.pos.Col, d.id, err)
}

// errorf names the node and quotes the container's last log lines.
func (d *Docker) errorf(format string, args ...any) error {
	err := fmt.Errorf("node %q: "+format, append([]any{d.id}, args...)...)
	if out := strings.TrimSpace(d.tailLogs(20)); out != "" {
		err = fmt.Errorf("%w\nlast log lines of container %s:\n%s", err, d.name, out)
	}
	return err
}

// RemoveOrphans removes the containers and networks of runs whose runner
// is gone: same host, and no process with the labelled pid. Live runs are
// left alone.
func RemoveOrphans(ctx context.Context, cli *client.Client) error {
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", LabelRun)})
	if err != nil {
		return fmt.Errorf("listing leftover containers: %w", err)
	}
	for _, c := range list.Items {
		if !orphan(c.Labels) {
			continue
		}
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
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

// loadImage loads an oci:<dir> layout or a tar:<file> archive into the
// engine and returns a reference to the loaded image, and whether the
// engine had that reference already (then it is not this run's to remove).
// For a layout, digest is what pushing the layout would publish: the
// build's index, or the image when the layout holds a single image.
func loadImage(ctx context.Context, cli *client.Client, kind, path string) (ref string, existed bool, digest string, err error) {
	var r io.Reader
	switch kind {
	case "tar":
		tags, err := tarTags(path)
		if err != nil {
			return "", false, "", err
		}
		// An archive without tags loads by ID, which is not worth the risk
		// of removing an image someone else uses.
		existed = len(tags) == 0
		for _, t := range tags {
			if _, err := cli.ImageInspect(ctx, t); err == nil {
				existed = true
			}
		}
		f, err := os.Open(path)
		if err != nil {
			return "", false, "", err
		}
		defer f.Close()
		r = f
	case "oci":
		img, tag, subject, err := ociImage(path)
		if err != nil {
			return "", false, "", err
		}
		digest = subject.String()
		_, err = cli.ImageInspect(ctx, tag.String())
		existed = err == nil
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(tarball.Write(tag, img, pw)) }()
		defer pr.Close()
		r = pr
	}
	ref, err = imageLoad(ctx, cli, r)
	return ref, existed, digest, err
}

// tarTags returns the tags a docker-save archive carries.
func tarTags(path string) ([]string, error) {
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		return nil, fmt.Errorf("reading the archive's manifest: %w", err)
	}
	var tags []string
	for _, d := range m {
		tags = append(tags, d.RepoTags...)
	}
	return tags, nil
}

func imageLoad(ctx context.Context, cli *client.Client, r io.Reader) (string, error) {
	res, err := cli.ImageLoad(ctx, r, client.ImageLoadWithQuiet(true))
	if err != nil {
		return "", err
	}
	defer res.Close()
	// The answer is a stream of JSON messages; the last names the image.
	var ref string
	sc := bufio.NewScanner(res)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m struct {
			Stream string `json:"stream"`
			Error  string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		if m.Error != "" {
			return "", errors.New(m.Error)
		}
		for _, line := range strings.Split(m.Stream, "\n") {
			if v, ok := strings.CutPrefix(line, "Loaded image: "); ok {
				ref = strings.TrimSpace(v)
			} else if v, ok := strings.CutPrefix(line, "Loaded image ID: "); ok && ref == "" {
				ref = strings.TrimSpace(v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	if ref == "" {
		return "", errors.New("the engine loaded no image")
	}
	return ref, nil
}

// ociImage finds the image for this machine's platform (linux and GOARCH)
// in the OCI layout at dir, the tag it is loaded as
// (xedgesim.local/oci:<digest prefix>), and the digest pushing the layout
// publishes (see loadImage).
func ociImage(dir string) (v1.Image, name.Tag, v1.Hash, error) {
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, name.Tag{}, v1.Hash{}, fmt.Errorf("reading OCI layout: %w", err)
	}
	img, subject, err := pickImage(idx, v1.Hash{})
	if err != nil {
		return nil, name.Tag{}, v1.Hash{}, err
	}
	dg, err := img.Digest()
	if err != nil {
		return nil, name.Tag{}, v1.Hash{}, fmt.Errorf("reading image digest: %w", err)
	}
	tag, err := name.NewTag("xedgesim.local/oci:" + dg.Hex[:16])
	return img, tag, subject, err
}

// pickImage finds the image for linux/GOARCH in idx, descending into nested
// indexes (a layout's index holds the build's index). subject is the digest
// of the nested index being searched (zero at the layout's root); the
// returned hash is that index's digest, or the image's own when the image
// sits at the root.
func pickImage(idx v1.ImageIndex, subject v1.Hash) (v1.Image, v1.Hash, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("reading index: %w", err)
	}
	for _, desc := range m.Manifests {
		switch {
		case desc.MediaType.IsIndex():
			child, err := idx.ImageIndex(desc.Digest)
			if err != nil {
				return nil, v1.Hash{}, fmt.Errorf("reading index %s: %w", desc.Digest, err)
			}
			if img, dg, err := pickImage(child, desc.Digest); err == nil {
				return img, dg, nil
			}
		case desc.MediaType.IsImage():
			if desc.Platform == nil || desc.Platform.OS == "linux" && desc.Platform.Architecture == runtime.GOARCH {
				img, err := idx.Image(desc.Digest)
				if subject == (v1.Hash{}) {
					subject = desc.Digest
				}
				return img, subject, err
			}
		}
	}
	return nil, v1.Hash{}, fmt.Errorf("the layout has no image for linux/%s", runtime.GOARCH)
}
