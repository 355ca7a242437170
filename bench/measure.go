package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// measureArg, as the bench binary's first argument, makes it the small
// parent of one measured command: `bench -measure-child NAME ARGS...`.
//
// Linux counts into a process's peak RSS the memory of the process that
// started it: exec records the old address space's peak, and a Go child
// shares its parent's until it execs. Every command the bench started
// itself was reported at least as large as the bench (163 MiB for a push
// that uploads nothing). This parent is a few MiB when it starts the
// command, and reports what wait4 says of it.
const measureArg = "-measure-child"

// usage is what the measuring parent reports of its child.
type usage struct {
	WallNS   int64 `json:"wall_ns"`
	MaxRSSKB int64 `json:"maxrss_kib"`
	CPUNS    int64 `json:"cpu_ns"`
	// MachineCPUNS is the CPU time every process on the machine spent
	// while the command ran (from /proc/stat): with a command that makes
	// other processes work (an engine, sshd, a shell on an edge of the
	// bed), what the run cost the machine; -1 when it cannot be read.
	MachineCPUNS int64 `json:"machine_cpu_ns"`
}

// machineCPU is the busy CPU time of the whole machine since boot, from
// /proc/stat's first line (user, nice, system, irq, softirq, steal; in
// USER_HZ ticks of 10 ms), or -1.
func machineCPU() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return -1
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return -1
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // not idle (4) nor iowait (5)
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return -1
		}
		busy += v
	}
	return busy * int64(10*time.Millisecond)
}

// cpuSpan is the machine's CPU time between two machineCPU readings, or
// -1 when either failed.
func cpuSpan(cpu0, cpu1 int64) int64 {
	if cpu0 < 0 || cpu1 < 0 {
		return -1
	}
	return cpu1 - cpu0
}

// measureChild runs args and writes its usage as JSON to file descriptor 3.
// It exits as the child did; 127 when it could not start it.
func measureChild(args []string) int {
	// The report pipe is for this parent alone: a descendant that kept it
	// open past the command would hold the bench's read of it.
	syscall.CloseOnExec(3)
	report := os.NewFile(3, "usage")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The child must not outlive a parent the bench killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// An interrupt goes on to the command, which winds down as it would
	// without this parent (a deploy cleans up its hosts); dying of it here
	// would SIGKILL the command through Pdeathsig.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	start, cpu0 := time.Now(), machineCPU()
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 127
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	for done := false; !done; {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s) // it may have exited already
		case err = <-waited:
			done = true
		}
	}
	wall, cpu1 := time.Since(start), machineCPU()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 127
	}
	u := usage{WallNS: wall.Nanoseconds(), MachineCPUNS: cpuSpan(cpu0, cpu1)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.MaxRSSKB = ru.Maxrss // kilobytes on Linux
		u.CPUNS = ru.Utime.Nano() + ru.Stime.Nano()
	}
	if err := json.NewEncoder(report).Encode(u); err != nil {
		fmt.Fprintln(os.Stderr, "bench: reporting the usage:", err)
		return 127
	}
	if code := cmd.ProcessState.ExitCode(); code >= 0 {
		return code
	}
	return 128 + int(cmd.ProcessState.Sys().(syscall.WaitStatus).Signal())
}

// measured is a command that runs name with args under the measuring
// parent. After its Wait (or a failed Start), done returns the child's
// usage and closes the pipe it came through; its wall time excludes the
// parent's own start.
func measured(name string, args ...string) (cmd *exec.Cmd, done func() (usage, error), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd = exec.Command(self, append([]string{measureArg, name}, args...)...)
	cmd.ExtraFiles = []*os.File{w}
	done = func() (usage, error) {
		// The parent has exited: what it wrote waits in the pipe, and
		// closing our write end lets the read end.
		w.Close()
		defer r.Close()
		var u usage
		b, err := io.ReadAll(io.LimitReader(r, 4096))
		if err != nil {
			return u, err
		}
		if err := json.Unmarshal(b, &u); err != nil {
			return u, fmt.Errorf("the measuring parent reported %q: %w", b, err)
		}
		return u, nil
	}
	return cmd, done, nil
}

func (u usage) sample() Sample {
	sm := Sample{Wall: time.Duration(u.WallNS), MaxRSS: u.MaxRSSKB * 1024, CPU: time.Duration(u.CPUNS), Values: map[string]float64{}}
	if u.MachineCPUNS >= 0 {
		sm.Values["machine_cpu_s"] = time.Duration(u.MachineCPUNS).Seconds()
	}
	return sm
}
