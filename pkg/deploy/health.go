package deploy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xedgesim/simulate/internal/mqttcheck"
	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// waitHealthy probes until the check passes, the container stops, or the
// timeout passes. A container just started mostly answers within tens of
// milliseconds, so the first probes come after firstProbeWait and the wait
// doubles up to the check's interval.
func waitHealthy(ctx context.Context, c hostConn, ctr string, h manifest.Health) error {
	return waitHealthyAt(ctx, c, ctr, "", h)
}

// waitHealthyAt is waitHealthy with the check's ports dialled at addr,
// a candidate's address ("" for the host's own).
func waitHealthyAt(ctx context.Context, c hostConn, ctr, addr string, h manifest.Health) error {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	var last error
	wait := time.Duration(0)
	for {
		st, err := inspect(ctx, c, ctr)
		if err == nil && st != nil && !st.State.Running && st.State.Status != "created" {
			return fmt.Errorf("the container is %s (exit code %d)", st.State.Status, st.State.ExitCode)
		}
		err = probeAt(ctx, c, addr, h)
		if err == nil {
			return nil
		}
		// A probe cut short by the deadline says less than the answer
		// before it ("status 500, want 200").
		if ctx.Err() == nil || last == nil {
			last = err
		}
		wait = nextWait(wait, h.Interval)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s check did not pass within %s; the last answer: %w", h.Kind(), h.Timeout, last)
		case <-time.After(wait):
		}
	}
}

// firstProbeWait is the wait before the second probe of a new container.
const firstProbeWait = 25 * time.Millisecond

// nextWait is the wait after one of wait: doubling from firstProbeWait
// up to interval.
func nextWait(wait, interval time.Duration) time.Duration {
	if wait == 0 {
		return min(firstProbeWait, interval)
	}
	return min(2*wait, interval)
}

// waitServing waits until the container runs and its published TCP ports
// accept connections.
func waitServing(ctx context.Context, c hostConn, ctr *container, h manifest.Health) error {
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
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	for {
		st, err := inspect(ctx, c, ctr.ID)
		var last error = err
		if err == nil && st != nil && st.State.Running {
			last = nil
			for _, p := range ports {
				if last = serves(ctx, c, p); last != nil {
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

// servesWindow is how long a connection to a published port must stay
// open for the port to count as served.
const servesWindow = 200 * time.Millisecond

// serves tells whether the host's port is served: it accepts a connection
// that the other side does not close at once. The engine's userland proxy
// accepts on a published port as soon as the container starts and closes
// the connection when nothing listens inside yet, so an accepted
// connection alone does not say the program serves.
func serves(ctx context.Context, c hostConn, port int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := c.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("connecting to port %d: %w", port, err)
	}
	defer conn.Close()
	closed := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 1))
		closed <- err
	}()
	select {
	case err := <-closed:
		if err != nil {
			return fmt.Errorf("port %d closed the connection at once: %w", port, err)
		}
		return nil // it spoke first: served
	case <-time.After(servesWindow):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// probe runs the health check once, from the host itself: ports are dialled
// through the SSH connection, so a host behind a jump host or a firewall is
// checked the same way.
func probe(ctx context.Context, c hostConn, h manifest.Health) error {
	return probeAt(ctx, c, "", h)
}

// probeAt is probe with the ports dialled at addr ("" for the host's own).
func probeAt(ctx context.Context, c hostConn, addr string, h manifest.Health) error {
	host := probeHost(addr)
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		return c.DialContext(ctx, "tcp", addr)
	}
	switch {
	case h.TCP != 0:
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		conn, err := dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(h.TCP)))
		if err != nil {
			return fmt.Errorf("connecting to port %d: %w", h.TCP, err)
		}
		return conn.Close()
	case h.HTTP != nil:
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		client := &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
		url := "http://" + net.JoinHostPort(host, strconv.Itoa(h.HTTP.Port)) + h.HTTP.Path
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if addr != "" {
			// A candidate probed at its address is asked as the check
			// through a published port asks: a service that checks the
			// Host header against an allow-list (localhost, 127.0.0.1)
			// refuses a container's address.
			req.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(h.HTTP.Port))
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("getting %s: %w", h.HTTP.Path, err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // drained so the connection is reused; the status decides
		_ = resp.Body.Close()
		if resp.StatusCode != h.HTTP.Status {
			return fmt.Errorf("getting %s: status %d, want %d", h.HTTP.Path, resp.StatusCode, h.HTTP.Status)
		}
		return nil
	case h.MQTT != nil:
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		conn, err := dial(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(h.MQTT.Port)))
		if err != nil {
			return fmt.Errorf("connecting to port %d: %w", h.MQTT.Port, err)
		}
		if err := mqttcheck.Check(ctx, conn, h.MQTT.Topic); err != nil {
			return fmt.Errorf("MQTT on port %d: %w", h.MQTT.Port, err)
		}
		return nil
	case h.Cmd != "":
		_, err := c.Run(ctx, h.Cmd, nil)
		return err
	}
	return nil
}
