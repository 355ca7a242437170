package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// A candidate with published ports costs the engine, on its start and
// again on its removal, a port allocation, firewall rules and a proxy
// process per port, and its removal then runs while the switch starts the
// service's container. Yet a container's unpublished ports on a bridge
// network are reachable from the engine's own host, as the engine
// documents, and the health check already runs from the host through the
// SSH connection. So, where that holds, the candidate publishes nothing
// and is probed at its address on the service's network: on the port the
// published one forwards to, the address the engine's proxy would connect
// to. Where it does not hold, or cannot be told (the docker CLI on the
// host, an engine reached over TCP, a rootless engine in its own network
// namespace, a network of another driver), the candidate gets ephemeral
// host ports as before.

// reachesContainers tells whether the host reaches the containers of
// network (the service's; "" for the engine's default) at their
// addresses: an engine on the host itself, not rootless, and a bridge
// network that is not internal.
func (e apiEngine) reachesContainers(ctx context.Context, network string) (bool, error) {
	if !e.local || network == "host" || network == "none" || strings.HasPrefix(network, "container:") {
		return false, nil
	}
	network = engineNetwork(network)
	info, err := e.info(ctx)
	if err != nil {
		return false, fmt.Errorf("asking the engine how it runs: %w", err)
	}
	if slices.ContainsFunc(info.SecurityOptions, func(o string) bool { return o == "name=rootless" }) {
		return false, nil
	}
	n, err := e.cl.NetworkInspect(ctx, network)
	if errors.Is(err, engine.ErrNotFound) {
		return false, nil // the create names the missing network
	}
	if err != nil {
		return false, fmt.Errorf("inspecting the network %s: %w", network, err)
	}
	return n.Driver == "bridge" && !n.Internal, nil
}

// engineNetwork is the engine's name for network: its default network
// is "bridge".
func engineNetwork(network string) string {
	if network == "" || network == "default" {
		return "bridge"
	}
	return network
}

// address is container id's address on network ("" for the engine's
// default), as a host in a host:port; "" when it has none there.
func (e apiEngine) address(ctx context.Context, id, network string) (string, error) {
	var c struct {
		NetworkSettings struct {
			Networks map[string]struct{ IPAddress, GlobalIPv6Address string }
		}
	}
	if err := e.cl.ContainerInspectInto(ctx, id, &c); err != nil {
		return "", fmt.Errorf("reading the candidate's address: %w", err)
	}
	n, ok := c.NetworkSettings.Networks[engineNetwork(network)]
	if !ok && len(c.NetworkSettings.Networks) == 1 {
		for _, only := range c.NetworkSettings.Networks { // a network named by ID
			n, ok = only, true
		}
	}
	switch {
	case !ok:
		return "", nil
	case n.IPAddress != "":
		return n.IPAddress, nil
	}
	return n.GlobalIPv6Address, nil
}

// The docker CLI on the host keeps ephemeral ports: its answers are not
// worth a command each.
func (cliEngine) reachesContainers(context.Context, string) (bool, error) { return false, nil }

func (cliEngine) address(context.Context, string, string) (string, error) { return "", nil }

// directHealth is the health check pointed at a candidate's own address:
// the check's host port is looked up among the published ports and its
// container port put in its place. ok is false when the check cannot be
// pointed there (as candidateHealth).
func directHealth(h manifest.Health, ports []string) (manifest.Health, bool) {
	bound := map[string]int{}
	for _, s := range ports {
		p := parsePortSpec(s)
		if n, err := strconv.Atoi(p.container); err == nil && p.proto == "tcp" {
			bound[p.container+"/tcp"] = n
		}
	}
	return candidateHealth(h, ports, bound)
}

// probeHost is where a check's ports are dialled: the host itself, or a
// candidate's address.
func probeHost(addr string) string {
	if addr == "" {
		return "127.0.0.1"
	}
	return addr
}

// checkPort is the port a TCP, HTTP or MQTT check dials; 0 for a cmd check.
func checkPort(h manifest.Health) int {
	switch {
	case h.TCP != 0:
		return h.TCP
	case h.HTTP != nil:
		return h.HTTP.Port
	case h.MQTT != nil:
		return h.MQTT.Port
	}
	return 0
}

// reachWithin bounds how long unreachable tries a candidate's address.
const reachWithin = 3 * time.Second

// unreachable tells why the host does not reach port at addr, or nil when
// it does. A dial that connects proves the route, and so does one the
// candidate's kernel refuses (its process does not listen yet); one the
// SSH server refuses, that finds no route, or that does not end within
// reachWithin (an engine in a VM behind its socket) does not.
func unreachable(ctx context.Context, c hostConn, addr string, port int) error {
	ctx, cancel := context.WithTimeout(ctx, reachWithin)
	defer cancel()
	target := net.JoinHostPort(addr, strconv.Itoa(port))
	for {
		dctx, dcancel := context.WithTimeout(ctx, time.Second)
		conn, err := c.DialContext(dctx, "tcp", target)
		dcancel()
		if err == nil {
			// Connected: the route is proved, whatever the close says (a
			// channel the other side closed first says EOF).
			_ = conn.Close()
			return nil
		}
		if refused(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// refused tells a connection the destination refused, dialled here or by
// the SSH server (which says "connect failed: Connection refused").
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(strings.ToLower(err.Error()), "connection refused")
}
