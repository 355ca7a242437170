package deploy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// A container deploy drives the host's Docker Engine some twenty times:
// inspect, load, create, start, stop, rename. Through the docker CLI each
// call is a process on the host (a Go binary's start and, over SSH, a
// session and a login shell first), 0.1-0.3 s each on a small or loaded
// device. So over SSH the engine's socket is forwarded through the
// connection that is open anyway (OpenSSH's direct-streamlocal, what
// `docker -H ssh://` reaches with `docker system dial-stdio`) and the
// Engine API is spoken there: each call is one request on a channel of the
// connection, and the image tarball streams into the engine's load without
// a file on the host. When the socket cannot be reached that way (sshd
// refuses streamlocal forwarding, the socket is elsewhere or not the
// login's to open), the deploy says why and runs the docker CLI on the
// host, as before.

// dockerEngine is the host's engine, the calls a container deploy makes.
// cliEngine runs the docker CLI on the host; apiEngine speaks the Engine
// API through the connection.
type dockerEngine interface {
	// platform is "OS/ARCH\nMACHINE", as parsePlatform reads it.
	platform(ctx context.Context) (string, error)
	// inspect returns the container of that name or ID, nil when none.
	inspect(ctx context.Context, nameOrID string) (*container, error)
	// ports are a container's published ports: CONTAINER/PROTO -> host port.
	ports(ctx context.Context, id string) (map[string]int, error)
	layers(ctx context.Context) (*engineLayers, error)
	imageID(ctx context.Context, ref string) (string, error)
	tag(ctx context.Context, src, ref string) error
	// load loads the docker-save tarball p; tag names its temporary file
	// where there is one. It returns the bytes sent, also on failure.
	load(ctx context.Context, tag string, p transport.Payload) (int64, error)
	create(ctx context.Context, s createSpec) (string, error)
	start(ctx context.Context, id string) error
	stop(ctx context.Context, id string) error
	rename(ctx context.Context, id, name string) error
	setRestart(ctx context.Context, id, policy string) error
	// remove removes a container, running or not.
	remove(ctx context.Context, id string) error
	// list returns the IDs of the containers that carry every label
	// (key=value), stopped ones too; created keeps only those never
	// started.
	list(ctx context.Context, created bool, labels ...string) ([]string, error)
	// pruneImages removes the images of repo whose references are not in
	// keep; an image a container uses stays.
	pruneImages(ctx context.Context, repo string, keep []string) error
	// reachesContainers and address: see candidate_addr.go.
	reachesContainers(ctx context.Context, network string) (bool, error)
	address(ctx context.Context, id, network string) (string, error)
	close()
}

// createSpec is a container to create: docker create's flags.
type createSpec struct {
	name, platform, restart, image string
	labels                         map[string]string
	ports, volumes, command        []string
	network, memory                string
	cpus                           float64
	env                            map[string]string
}

// stopTimeout is how long the old container gets to stop (docker stop -t).
const stopTimeout = 10 * time.Second

// engineConn is a host connection with the engine its deploy uses.
type engineConn struct {
	hostConn
	eng dockerEngine
}

func (e engineConn) Close() error {
	e.eng.close()
	return e.hostConn.Close()
}

// engineOf is c's engine: the one attached by withEngine, else the docker
// CLI through c.
func engineOf(c hostConn) dockerEngine {
	if e, ok := c.(engineConn); ok {
		return e.eng
	}
	return cliEngine{c}
}

// withEngine attaches the host's engine to c: the Engine API through the
// SSH connection when its socket answers there, else the docker CLI, with
// why in fellBack. dockerHost is the manifest's ssh.docker_host; empty
// asks the host for its DOCKER_HOST (sshd may set it), else
// /var/run/docker.sock, as the docker CLI on the host would.
func withEngine(ctx context.Context, c hostConn, name, dockerHost string) (conn hostConn, fellBack string) {
	tc, ok := c.(*transport.Client)
	if !ok {
		return c, "" // a local host runs the docker CLI of this machine
	}
	// The docker CLI that takes over must reach the engine the manifest
	// names, not the host's default one: another engine there would run a
	// second copy of the service beside the first.
	fallBack := func(why string) (hostConn, string) {
		if dockerHost == "" {
			return c, why
		}
		return engineConn{hostConn: c, eng: cliEngine{dockerHostConn{c, dockerHost}}}, why
	}
	host := dockerHost
	if host == "" {
		out, err := c.Run(ctx, `printf '%s' "${DOCKER_HOST-}"`, nil)
		if err != nil {
			return fallBack(fmt.Sprintf("asking the host for DOCKER_HOST: %v", err))
		}
		host = strings.TrimSpace(out)
	}
	if host == "" {
		host = engine.DefaultHost
	}
	network, addr, err := engineAddr(host)
	if err != nil {
		return fallBack(err.Error())
	}
	cl := engine.NewDialer(host+" on "+name, func(ctx context.Context) (net.Conn, error) {
		return tc.DialContext(ctx, network, addr)
	})
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cl.Ping(pctx); err != nil {
		_ = cl.Close()
		if ctx.Err() != nil {
			return fallBack("")
		}
		return fallBack(fmt.Sprintf("the engine's socket %s cannot be reached over SSH (%v)", host, err))
	}
	return engineConn{hostConn: c, eng: apiEngine{cl: cl, local: network == "unix", sys: &engineInfo{}}}, ""
}

// dockerHostConn runs every command with DOCKER_HOST set to host, so the
// docker CLI on the host reaches the engine the manifest names.
type dockerHostConn struct {
	hostConn
	host string
}

func (c dockerHostConn) env(cmd string) string {
	return "export DOCKER_HOST=" + transport.Quote(c.host) + "; " + cmd
}

func (c dockerHostConn) Run(ctx context.Context, cmd string, stdin io.Reader) (string, error) {
	return c.hostConn.Run(ctx, c.env(cmd), stdin)
}

func (c dockerHostConn) RunWithPayload(ctx context.Context, tag string, p transport.Payload, script string) (string, int64, error) {
	return c.hostConn.RunWithPayload(ctx, tag, p, c.env(script))
}

// engineAddr is where DOCKER_HOST host points, for a dial from the host:
// a unix socket, or a TCP address.
func engineAddr(host string) (network, addr string, err error) {
	u, err := url.Parse(host)
	if err != nil {
		return "", "", fmt.Errorf("the engine address (DOCKER_HOST) %q is not a URL", host)
	}
	switch u.Scheme {
	case "unix":
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		if !path.IsAbs(p) {
			return "", "", fmt.Errorf("the engine address (DOCKER_HOST) %q names no absolute socket path", host)
		}
		return "unix", p, nil
	case "tcp":
		if u.Host == "" {
			return "", "", fmt.Errorf("the engine address (DOCKER_HOST) %q names no address", host)
		}
		return "tcp", u.Host, nil
	}
	return "", "", fmt.Errorf("the engine address (DOCKER_HOST) %q is neither unix:// nor tcp:// (TLS and ssh:// stay with the docker CLI)", host)
}
