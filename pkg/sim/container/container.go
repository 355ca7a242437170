package container

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// Node is an implementation: docker node: a real container run through
// the Docker Engine API. With docker.protocol tcp the container speaks
// upstream's TCP protocol on socket_port and runs in lockstep; with stdio
// it speaks the stdin/stdout protocol through docker exec -i; with none
// (the default) it is a black-box service and the run is paced to the
// wall clock.
type Node struct {
	id   string
	pos  scenario.Pos
	spec dockerSpec
	rt   *Runtime

	cli   *engine.Client // the runtime's, once started
	runID string
	name  string
	cid   string
	// wire is the protocol connection (protocol tcp or stdio); after a
	// node_crash a new one replaces it, and wireStats keeps what the old
	// ones counted. env is what INIT sends again then.
	wire      *node.Process
	wireStats node.Stats
	env       node.Env

	imageRef    string // what the container was created from
	imageDigest string // the image's repo digest, or its ID
	ran         ranImage
	stats       node.Stats
	lastCheck   time.Time

	crash crashState
	// sampler follows the container's resource use (resources.go).
	sampler *sampler
	// paused: node_pause froze the container; pauseErr is the first
	// failure to freeze or thaw it, which Advance reports.
	paused   bool
	pauseErr error
	// notes say how the node's paths and image were resolved (node.Noted).
	notes []scenario.Diagnostic
}

var (
	_ node.External   = (*Node)(nil)
	_ node.Paced      = (*Node)(nil)
	_ node.MQTTBroker = (*Node)(nil)
	_ node.Crasher    = (*Node)(nil)
	_ node.Recoverer  = (*Node)(nil)
	_ node.Imaged     = (*Node)(nil)
)

// ID implements node.Node.
func (d *Node) ID() string { return d.id }

// WallClock implements node.Paced.
func (d *Node) WallClock() bool { return d.spec.protocol == ProtocolNone }

// Image implements node.Imaged: the reference the container ran and the
// image's digest (repo digest when the engine knows one, else the image
// ID).
func (d *Node) Image() (ref, digest string) { return d.imageRef, d.imageDigest }

// Start implements node.Node: connect to the engine (the runtime removes
// orphans of crashed runs then), load the image if it is a file, create
// and start the container, wait for its health checks and, with protocol
// tcp or stdio, INIT it.
func (d *Node) Start(ctx context.Context, env node.Env) error {
	d.runID = d.rt.join(env.RunID)
	d.env = env
	cli, err := d.rt.client(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrNoDocker) {
			return d.at(err)
		}
		return err
	}
	d.cli = cli
	d.name = "xedgesim-" + d.runID + "-" + d.id
	if err := d.resolveImage(ctx, env.Dir); err != nil {
		return err
	}
	if err := d.create(ctx); err != nil {
		return err
	}
	if err := cli.ContainerStart(ctx, d.cid); err != nil {
		return d.errorf("starting container: %w", err)
	}
	d.startSampling()
	if err := d.waitHealthy(ctx); err != nil {
		return err
	}
	if err := d.rt.net.started(ctx, d); err != nil {
		return err
	}
	switch d.spec.protocol {
	case ProtocolStdio:
		return d.startStdio(ctx, env)
	case ProtocolTCP:
		return d.connectTCP(ctx, env)
	default:
		return nil
	}
}

// connectTCP connects to the container's socket_port, at the address the
// engine publishes it on now, and INITs it.
func (d *Node) connectTCP(ctx context.Context, env node.Env) error {
	addr, err := d.hostAddr(ctx, d.spec.socketPort)
	if err != nil {
		return err
	}
	d.wire = node.Connect(d.id, addr, node.WithModel("docker"), node.WithConnectTimeout(d.spec.health.timeout),
		node.WithLogs(func() string { return d.tailLogs(20) }))
	return d.wire.Start(ctx, env)
}

// resolveImage loads oci:<dir> and tar:<file> images into the engine,
// builds build_context when the engine lacks the image, and records the
// digest of the image that runs.
func (d *Node) resolveImage(ctx context.Context, dir string) error {
	d.resolvePaths(dir)
	ref := d.spec.image
	if d.spec.buildContext != "" && ref != "" {
		if _, err := d.cli.ImageInspect(ctx, ref); err == nil {
			d.note("docker.image", "image %s is in the engine: it runs as it is, and build_context %s is not built (remove the image to build it again)", ref, d.spec.buildContext)
			d.spec.buildContext = ""
		}
	}
	if d.spec.buildContext != "" {
		built, err := d.buildImage(ctx)
		if err != nil {
			return err
		}
		ref = built
	} else if kind, path, ok := strings.Cut(ref, ":"); ok && (kind == "oci" || kind == "tar") {
		loaded, existed, digest, ran, err := loadImage(ctx, d.cli, kind, path, d.spec.wantPlatform())
		if err != nil {
			return fmt.Errorf("node %q: loading image %s: %w", d.id, ref, err)
		}
		ref = loaded
		if !existed {
			d.rt.loadedImage(loaded)
		}
		d.imageDigest, d.ran = digest, ran
	}
	d.imageRef = ref
	img, err := d.cli.ImageInspect(ctx, ref)
	if err != nil {
		return d.at(fmt.Errorf("image %s is not in the Docker Engine (simulate never pulls; build it with `xedgesim build --output docker:` or `docker load` it): %w", ref, err))
	}
	d.ran.platform = platformOf(img)
	if err := d.checkPlatform(img); err != nil {
		return err
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

func (d *Node) create(ctx context.Context) error {
	s := d.spec
	cfg := engine.ContainerConfig{
		Image:        d.imageRef,
		Env:          append([]string{"XEDGESIM_NODE_ID=" + d.id}, s.env...),
		Cmd:          s.command,
		Labels:       d.labels(),
		ExposedPorts: map[string]struct{}{},
		Platform:     s.platform,
	}
	hc := &cfg.HostConfig
	hc.Binds = s.binds
	hc.PortBindings = map[string][]engine.PortBinding{}
	hc.Memory, hc.NanoCPUs = s.memory, s.nanoCPUs
	if s.restart != "" {
		hc.RestartPolicy = &engine.RestartPolicy{Name: s.restart, MaximumRetryCount: s.maxRetries}
	}
	if s.network != "" {
		hc.NetworkMode = s.network
	} else {
		name, err := d.rt.joinNetwork(ctx, d.cli, runNetworkName(d.runID), d.labels())
		if err != nil {
			return err
		}
		hc.NetworkMode = name
		cfg.NetworkingConfig = &engine.NetworkingConfig{EndpointsConfig: map[string]engine.EndpointSettings{name: {Aliases: []string{d.id}}}}
		// The embedded brokers answer at the host's address on the
		// network (inproc.go).
		if err := d.rt.net.hostAddress(ctx, d); err != nil {
			return err
		}
		hc.ExtraHosts = d.rt.net.extraHosts()
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
		if p.container < 1 || p.container > 65535 {
			return fmt.Errorf("node %q: port %d: out of range", d.id, p.container)
		}
		cp := strconv.Itoa(p.container) + "/tcp"
		cfg.ExposedPorts[cp] = struct{}{}
		b := engine.PortBinding{}
		if p.host != 0 {
			b.HostPort = strconv.Itoa(p.host)
		}
		if p.hostIP != "" {
			ip, err := netip.ParseAddr(p.hostIP)
			if err != nil {
				return fmt.Errorf("node %q: port %d: host address %q: %w", d.id, p.container, p.hostIP, err)
			}
			b.HostIP = ip.String()
		}
		hc.PortBindings[cp] = append(hc.PortBindings[cp], b)
	}
	cid, err := d.cli.ContainerCreate(ctx, d.name, cfg)
	if err != nil {
		return fmt.Errorf("node %q: creating container from %s: %w", d.id, d.imageRef, err)
	}
	d.cid = cid
	return nil
}

// labels mark what the run creates in the engine: containers, networks.
func (d *Node) labels() map[string]string {
	return map[string]string{LabelRun: d.runID, LabelNode: d.id, LabelPID: strconv.Itoa(os.Getpid()), LabelHost: hostname()}
}

// hostAddr returns the loopback address a container port is published on.
func (d *Node) hostAddr(ctx context.Context, port int) (string, error) {
	if d.spec.network == "host" {
		// The container shares the host's network: nothing is published.
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
	}
	in, err := d.cli.ContainerInspect(ctx, d.cid)
	if err != nil {
		return "", d.errorf("inspecting container: %w", err)
	}
	if in.NetworkSettings != nil {
		for p, bs := range in.NetworkSettings.Ports {
			if num, _, _ := strings.Cut(p, "/"); num != strconv.Itoa(port) {
				continue
			}
			for _, b := range bs {
				if b.HostPort != "" {
					host := "127.0.0.1"
					if ip, err := netip.ParseAddr(b.HostIP); err == nil && !ip.IsUnspecified() {
						host = ip.String()
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
func (d *Node) waitHealthy(ctx context.Context) error {
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

func (d *Node) unhealthy(err error) error {
	return &UnhealthyError{NodeID: d.id, Pos: d.pos, Err: err}
}

type exitedError struct{ code int }

func (e *exitedError) Error() string { return fmt.Sprintf("container exited with code %d", e.code) }

func (d *Node) running(ctx context.Context) error {
	in, err := d.cli.ContainerInspect(ctx, d.cid)
	if err != nil {
		return fmt.Errorf("inspecting container: %w", err)
	}
	if st := in.State; st == nil || !st.Running {
		code := 0
		if st != nil {
			code = st.ExitCode
		}
		return &exitedError{code: code}
	}
	return nil
}

func (d *Node) checkHealth(ctx context.Context) error {
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
		_ = c.Close() // only a probe; rerr tells
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
		_ = resp.Body.Close() // only the status matters
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
		exID, err := d.cli.ExecCreate(ctx, d.cid, engine.ExecConfig{Cmd: h.cmd})
		if err != nil {
			return fmt.Errorf("cmd: %w", err)
		}
		if err := d.cli.ExecStart(ctx, exID); err != nil {
			return fmt.Errorf("cmd: %w", err)
		}
		for {
			in, err := d.cli.ExecInspect(ctx, exID)
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

// Send implements node.External.
func (d *Node) Send(ctx context.Context, target int64, in []event.Event) error {
	if d.wire != nil {
		if d.crash.down {
			return nil // killed by node_crash: nothing to speak to
		}
		return d.wire.Send(ctx, target, in)
	}
	// A black-box container never sees the simulated messages addressed
	// to it: counting them as received would measure nothing.
	return nil
}

// Advance implements node.Node. A black-box container is checked to be still
// running, at most twice a second of wall time.
func (d *Node) Advance(ctx context.Context, target int64, in []event.Event, out []event.Event) ([]event.Event, error) {
	if err := d.rt.net.begin(ctx, target); err != nil {
		return out, err
	}
	if d.pauseErr != nil {
		return out, d.pauseErr
	}
	if d.wire != nil && !d.crash.down {
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

// Next implements node.Node.
func (d *Node) Next() int64 { return node.Never }

// Stats implements node.Node.
func (d *Node) Stats() node.Stats {
	if d.wire != nil {
		return addStats(d.wireStats, d.wire.Stats())
	}
	return d.stats
}

// Close implements node.Node: SHUTDOWN (protocol tcp or stdio), save the
// container's logs, and remove it. It does not use the run's context: the
// container must go also when the run was interrupted. The engine client
// is the runtime's, which closes it.
func (d *Node) Close() error {
	if d.cli == nil {
		return nil
	}
	var errs []error
	if d.wire != nil {
		errs = append(errs, d.wire.Close())
	}
	d.stopSampling()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	target := d.cid
	if target == "" {
		// Creating may have succeeded while its answer was lost.
		target = d.name
	}
	if d.cid != "" && d.rt.logDir != "" {
		errs = append(errs, d.saveLogs(ctx))
	}
	if d.name == "" {
		return errors.Join(errs...)
	}
	err := d.cli.ContainerRemove(ctx, target, true, true)
	if err != nil && !(d.cid == "" && isNotFound(err)) {
		errs = append(errs, fmt.Errorf("removing container %s: %w", target, err))
	}
	return errors.Join(errs...)
}

func isNotFound(err error) bool {
	return errors.Is(err, engine.ErrNotFound)
}

// saveLogs writes the container's stdout and stderr to <logDir>/<id>.log.
func (d *Node) saveLogs(ctx context.Context) error {
	if err := os.MkdirAll(d.rt.logDir, 0o755); err != nil { // #nosec G301 -- the run's log directory, for CI uploaders
		return fmt.Errorf("creating log directory: %w", err)
	}
	logs, err := d.logs(ctx, "all")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d.rt.logDir, d.id+".log"), logs, 0o644); err != nil { // #nosec G306 -- the node's log, like the run's other logs
		return fmt.Errorf("saving logs of node %q: %w", d.id, err)
	}
	return nil
}

func (d *Node) logs(ctx context.Context, tail string) ([]byte, error) {
	rc, err := d.cli.ContainerLogs(ctx, d.cid, engine.LogsOptions{Stdout: true, Stderr: true, Tail: tail})
	if err != nil {
		return nil, fmt.Errorf("reading logs of node %q: %w", d.id, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := engine.Demux(&buf, &buf, rc); err != nil {
		return nil, fmt.Errorf("reading logs of node %q: %w", d.id, err)
	}
	return buf.Bytes(), nil
}

// tailLogs returns the container's last n log lines, or "".
func (d *Node) tailLogs(n int) string {
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
func (d *Node) at(err error) error {
	return fmt.Errorf("%s:%d:%d: node %q: %w", d.pos.File, d.pos.Line, d.pos.Col, d.id, err)
}

// errorf names the node and quotes the container's last log lines.
func (d *Node) errorf(format string, args ...any) error {
	err := fmt.Errorf("node %q: "+format, append([]any{d.id}, args...)...)
	if out := strings.TrimSpace(d.tailLogs(20)); out != "" {
		err = fmt.Errorf("%w\nlast log lines of container %s:\n%s", err, d.name, out)
	}
	return err
}
