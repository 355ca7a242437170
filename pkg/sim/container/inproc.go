package container

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// The in-process participants of a run (built-in devices that speak MQTT
// or HTTP to a container) share one address on the run's network, the
// host's: its bridge's gateway. They reach a container at its own address
// there, not through a port published on loopback (no proxy, no NAT), and
// each from ports of its own (netPlan.ports), so that the helper in the
// container's namespace tells their packets apart by address and port:
// what a participant sends arrives from its source ports, what the
// container sends it leaves to them.

var _ node.FromDialer = (*Node)(nil)

// hostAddress finds the host's address on the run's network once: the
// gateway of the network d is on, when this host owns it. A host that
// does not (a remote engine, Docker Desktop's VM, rootless Docker's
// namespace) cannot reach containers directly: a run whose shaped links
// join a built-in node to a container then fails, naming the link, rather
// than run it on a perfect network.
func (s *netShaping) hostAddress(ctx context.Context, d *Node) error {
	if s == nil || d.spec.network != "" {
		return nil
	}
	s.shaperMu.Lock()
	defer s.shaperMu.Unlock()
	if s.looked {
		return nil
	}
	s.looked = true
	name := runNetworkName(d.runID)
	var gw net.IP
	info, err := d.cli.NetworkInspect(ctx, name)
	if err == nil {
		for _, c := range info.IPAM.Config {
			if ip := net.ParseIP(c.Gateway).To4(); ip != nil {
				gw = ip
				break
			}
		}
	} else {
		err = fmt.Errorf("inspecting network %s: %w", name, err)
	}
	host, err := s.plan.checkHost(d.id, name, gw, err, local)
	if err != nil {
		return err
	}
	if host != nil {
		s.host, s.next = host, map[string]int{}
	}
	return nil
}

// checkHost decides on gw, the gateway of the run's network (nil when
// inspectErr says why it is not known): the host's address there when
// this host owns it; else nothing, and an error naming the first shaped
// link of a built-in node when the plan has one.
func (p netPlan) checkHost(node, network string, gw net.IP, inspectErr error, isLocal func(net.IP) bool) (net.IP, error) {
	who, pos := p.firstParticipant()
	fail := func(err error) (net.IP, error) {
		if len(p.inproc) == 0 {
			return nil, nil // nothing needs it: containers only miss the embedded broker
		}
		return nil, at(pos, fmt.Errorf("%w %q: the link to built-in node %q needs the xedgesim process to reach the run's network directly: %w", ErrShaping, node, who, err))
	}
	switch {
	case len(p.ports)*minSpan > portTop-portBase+1:
		return fail(fmt.Errorf("%d built-in nodes are on shaped links to containers, more than the %d the port space holds", len(p.ports), (portTop-portBase+1)/minSpan))
	case inspectErr != nil:
		return fail(inspectErr)
	case gw == nil:
		return fail(fmt.Errorf("network %s has no IPv4 gateway", network))
	case !isLocal(gw):
		return fail(fmt.Errorf("the network's gateway %s is no address of this host (a remote engine, Docker Desktop or rootless Docker); run where the Docker Engine is local, or make %q a docker node", gw, who))
	}
	return gw, nil
}

// extraHosts names the embedded brokers at the host's address, for a
// container's /etc/hosts: a container reaches broker "cloud" as
// cloud:1883.
func (s *netShaping) extraHosts() []string {
	if s == nil {
		return nil
	}
	s.shaperMu.Lock()
	defer s.shaperMu.Unlock()
	if s.host == nil {
		return nil
	}
	var out []string
	for _, id := range s.plan.brokers {
		out = append(out, id+":"+s.host.String())
	}
	return out
}

// HostAddr implements node.RunNetwork.
func (r *Runtime) HostAddr(context.Context) net.IP {
	r.mu.Lock()
	s := r.net
	r.mu.Unlock()
	if s == nil {
		return nil
	}
	s.shaperMu.Lock()
	defer s.shaperMu.Unlock()
	return s.host
}

var _ node.RunNetwork = (*Runtime)(nil)

// firstParticipant is the in-process participant written first in the
// scenario, and where its shaped link is.
func (p netPlan) firstParticipant() (string, scenario.Pos) {
	ids := make([]string, 0, len(p.inproc))
	for id := range p.inproc {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		pa, pb := p.inproc[a], p.inproc[b]
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Col, pb.Col), cmp.Compare(a, b))
	})
	if len(ids) == 0 {
		return "", scenario.Pos{}
	}
	return ids[0], p.inproc[ids[0]]
}

// local tells whether ip is an address of this host.
func local(ip net.IP) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// source returns the next local address for participant from, and how
// many ports it has; ok is false when no shaped link names it.
func (s *netShaping) source(from string) (addr *net.TCPAddr, span int, ok bool) {
	if s == nil || from == "" {
		return nil, 0, false
	}
	s.shaperMu.Lock()
	defer s.shaperMu.Unlock()
	pr, ok := s.plan.ports[from]
	if !ok || s.host == nil {
		return nil, 0, false
	}
	i := s.next[from]
	s.next[from] = i + 1
	span = int(pr.To-pr.From) + 1
	return &net.TCPAddr{IP: s.host, Port: int(pr.From) + i%span}, span, true
}

// DialFrom implements node.FromDialer: a participant that a shaped link
// names dials the container's address on the run's network from one of
// its ports (the next free one); any other dials the published port.
func (d *Node) DialFrom(ctx context.Context, from string, port int) (net.Conn, error) {
	if _, _, ok := d.rt.net.source(from); !ok || d.spec.network != "" {
		addr, err := d.hostAddr(ctx, port)
		if err != nil {
			return nil, err
		}
		var dl net.Dialer
		return dl.DialContext(ctx, "tcp", addr)
	}
	ip, err := d.address(ctx)
	if err != nil {
		return nil, err
	}
	target := net.JoinHostPort(ip, strconv.Itoa(port))
	var last error
	for try := 0; ; try++ {
		la, span, _ := d.rt.net.source(from)
		if try >= span {
			return nil, fmt.Errorf("node %q: connecting %s from %s's ports %d and on: every one is taken: %w", d.id, target, from, la.Port, last)
		}
		dl := net.Dialer{LocalAddr: la, Timeout: 5 * time.Second, Control: reuseAddr}
		c, err := dl.DialContext(ctx, "tcp", target)
		if err == nil {
			return c, nil
		}
		// A port bound by another socket, or whose last connection to
		// this container is in TIME_WAIT: the next one.
		if !errors.Is(err, syscall.EADDRINUSE) && !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return nil, err
		}
		last = err
	}
}

// DialMQTTFrom implements node.FromDialer.
func (d *Node) DialMQTTFrom(ctx context.Context, from string) (net.Conn, error) {
	if d.spec.mqttPort == 0 {
		return nil, fmt.Errorf("node %q is no MQTT broker", d.id)
	}
	return d.DialFrom(ctx, from, d.spec.mqttPort)
}

// address is the container's address on the run's network now (a
// restarted container may have another).
func (d *Node) address(ctx context.Context) (string, error) {
	in, err := d.cli.ContainerInspect(ctx, d.cid)
	if err != nil {
		return "", d.errorf("inspecting container: %w", err)
	}
	if in.NetworkSettings != nil {
		if n, ok := in.NetworkSettings.Networks[runNetworkName(d.runID)]; ok && n.IPAddress != "" {
			return n.IPAddress, nil
		}
	}
	return "", d.errorf("the container has no address on the run's network %s (is it running?)", runNetworkName(d.runID))
}

// reuseAddr lets a participant bind a port whose last connection is in
// TIME_WAIT towards another container.
func reuseAddr(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1) // #nosec G115 -- a socket descriptor
	})
	return errors.Join(err, serr)
}
