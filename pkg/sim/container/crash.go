package container

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// crashState follows a container through a node_crash fault.
type crashState struct {
	down      bool
	at        time.Time // when it was killed
	startedAt string    // the engine's start time of the killed run
	// selfStart: the engine will not restart the container (no policy, or
	// it was killed through the API, which Docker treats as a deliberate
	// stop), so Restart, or the policy we emulate, starts it.
	selfStart bool
	restarts  int64
	took      []time.Duration
	lastPoll  time.Time
	err       error // the first failure to kill or start, reported by Advance
}

// Crash implements Crasher: node_crash kills the container's main process
// with SIGKILL, as a crash would. Under a restart policy the engine starts
// it again; the time until it is healthy again is the recovery time. A
// container speaking the TCP or stdio protocol is killed too: its
// connection dies with it, and a new one INITs it when it is back.
func (d *Node) Crash(int64) {
	if d.cli == nil || d.cid == "" || d.crash.down {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &d.crash
	c.down, c.at, c.selfStart = true, time.Now(), true
	in, err := d.cli.ContainerInspect(ctx, d.cid)
	if err != nil {
		c.err = d.errorf("node_crash: inspecting container: %w", err)
		return
	}
	st := in.State
	if st == nil || !st.Running {
		return
	}
	c.startedAt = st.StartedAt
	if d.wire != nil {
		// After the kill (a SHUTDOWN first would let it exit cleanly):
		// what it counted stays, the connection goes with the process.
		defer func() {
			d.wireStats = addStats(d.wireStats, d.wire.Stats())
			_ = d.wire.Close() // the process is dead: its SHUTDOWN is not answered
		}()
	}
	// The engine restarts a container under its policy only when its
	// process dies by itself; a kill through the API counts as a stop.
	// Kill the process directly when it is ours to see (same host and PID
	// namespace: its cgroup names the container), else through the API.
	if d.spec.restart != "" && d.spec.restart != "no" && ownsProcess(st.Pid, d.cid) {
		if err := syscall.Kill(st.Pid, syscall.SIGKILL); err == nil {
			c.selfStart = false
			d.rt.nodeFaultApplied(d.id, scenario.FaultNodeCrash)
			return
		}
	}
	if err := d.cli.ContainerKill(ctx, d.cid, "KILL"); err != nil {
		c.err = d.errorf("node_crash: killing container: %w", err)
		return
	}
	d.rt.nodeFaultApplied(d.id, scenario.FaultNodeCrash)
}

// Restart implements Crasher: the fault's restart_after_s starts a
// container that is still down (no restart policy, or the engine could not
// apply it). A protocol node runs in lockstep: the run waits until it is
// healthy and INITed again, as long as its health timeout.
func (d *Node) Restart(int64) {
	if !d.crash.down {
		return
	}
	d.start()
	if d.wire == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.spec.health.timeout)
	defer cancel()
	for d.crash.down && d.crash.err == nil {
		if d.running(ctx) != nil {
			d.start() // it may still have been stopping the first time
		}
		if err := d.watchRecovery(ctx); err != nil && d.crash.err == nil {
			d.crash.err = err
		}
		select {
		case <-ctx.Done():
			if d.crash.down && d.crash.err == nil {
				d.crash.err = d.errorf("node_crash: not healthy again within %s of its restart", d.spec.health.timeout)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// start starts the killed container again, as the engine's policy would.
func (d *Node) start() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.running(ctx); err == nil {
		return
	}
	if err := d.cli.ContainerStart(ctx, d.cid); err != nil && d.crash.err == nil {
		d.crash.err = d.errorf("restarting container after node_crash: %w", err)
	}
	d.crash.selfStart = false
}

// watchRecovery checks a crashed container, ten times a second of wall
// time: once it runs again (a new start) and its health checks pass, it has
// recovered.
func (d *Node) watchRecovery(ctx context.Context) error {
	c := &d.crash
	if c.err != nil {
		return c.err
	}
	if time.Since(c.lastPoll) < 100*time.Millisecond {
		return nil
	}
	c.lastPoll = time.Now()
	in, err := d.cli.ContainerInspect(ctx, d.cid)
	if err != nil {
		return d.errorf("inspecting container: %w", err)
	}
	st := in.State
	if st == nil || !st.Running || st.StartedAt == c.startedAt {
		// A policy the engine would not apply to a container killed
		// through its API is applied here.
		if c.selfStart && d.spec.restart != "" && d.spec.restart != "no" && st != nil && !st.Running && !st.Restarting {
			d.start()
		}
		return nil
	}
	if d.checkHealth(ctx) != nil {
		return nil // not ready yet, or crashed again and the engine retries
	}
	if err := d.rt.net.restarted(ctx, d.cli, d); err != nil {
		return err
	}
	if err := d.reconnect(ctx); err != nil {
		return err
	}
	c.down = false
	c.restarts++
	c.took = append(c.took, time.Since(c.at))
	d.rt.nodeFaultLifted(d.id, scenario.FaultNodeCrash)
	d.lastCheck = time.Now()
	return nil
}

// Recovery implements Recoverer.
func (d *Node) Recovery() (int64, []time.Duration, bool) {
	return d.crash.restarts, append([]time.Duration(nil), d.crash.took...), !d.crash.down
}

// ownsProcess reports whether pid is the container's process in this PID
// namespace: its cgroup path names the container. A runner inside another
// container sees other processes under the same numbers.
func ownsProcess(pid int, cid string) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	return err == nil && strings.Contains(string(b), cid)
}

// reconnect gives a protocol node that started again a new connection,
// INITed as at the start of the run.
func (d *Node) reconnect(ctx context.Context) error {
	switch {
	case d.wire == nil:
		return nil
	case d.spec.protocol == ProtocolStdio:
		return d.startStdio(ctx, d.env)
	default:
		return d.connectTCP(ctx, d.env)
	}
}

// addStats adds b's counters to a's.
func addStats(a, b node.Stats) node.Stats {
	a.Model = b.Model
	a.Events += b.Events
	a.MessagesSent += b.MessagesSent
	a.MessagesReceived += b.MessagesReceived
	a.MessagesProcessed += b.MessagesProcessed
	return a
}
