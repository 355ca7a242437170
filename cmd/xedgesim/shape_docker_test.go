package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xedgesim/simulate/internal/testbed"
)

// shapedScenario writes a scenario of two nodes/netprobe containers (the
// image given with --image) on a 50 ms link, lasting seconds.
func shapedScenario(t *testing.T, seconds int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shaped.yaml")
	src := fmt.Sprintf(`simulation: {duration_s: %d, seed: 1}
network:
  model: latency
  default_latency_us: 0
  links:
    - {src: send, dst: recv, latency_us: 50000, bidirectional: true}
nodes:
  - id: recv
    type: service
    implementation: docker
    docker: {image: netprobe, command: [udprecv, "9000"]}
  - id: send
    type: service
    implementation: docker
    docker: {image: netprobe, command: [udpsend, "recv:9000", "20000"]}
`, seconds)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestShapedRunLeavesNothing interrupts `xedgesim simulate` while the
// shaping helpers of its containers run: SIGINT and SIGTERM remove them
// with the run; after a SIGKILL the next run does.
func TestShapedRunLeavesNothing(t *testing.T) {
	env := testbed.Need(t, testbed.PartDocker)
	probe := filepath.Join(t.TempDir(), "netprobe")
	if r := cli(t, "build", "--go", "../../nodes/netprobe", "--platform", "linux/"+runtime.GOARCH,
		"--label", "xedgesim.test=shape-"+strconv.Itoa(os.Getpid()), "--output", "oci:"+probe); r.code != 0 {
		t.Fatalf("build nodes/netprobe: exit %d\n%s", r.code, r.stderr)
	}
	// The helper image the runs load is tagged with the binary's digest:
	// this test's binary is its own.
	t.Cleanup(func() {
		b, err := os.ReadFile(xedgesim)
		if err == nil {
			sum := sha256.Sum256(b)
			_, _ = dockerCLI(t, env, "image", "rm", "xedgesim.local/netshape:"+hex.EncodeToString(sum[:8]))
		}
	})
	long := shapedScenario(t, 120)
	helpersOf := func(pid int) string {
		out, _ := dockerCLI(t, env, "ps", "-a", "-q", "--filter", "label=xedgesim.role=shaper",
			"--filter", "label=xedgesim.pid="+strconv.Itoa(pid))
		return out
	}
	started := func(t *testing.T) *simProcess {
		t.Helper()
		p := startSimulate(t, env, "--out", t.TempDir(), "--image", "netprobe=oci:"+probe, long)
		deadline := time.Now().Add(2 * time.Minute)
		for strings.Count(helpersOf(p.cmd.Process.Pid), "\n") < 1 { // both nodes' helpers
			if time.Now().After(deadline) {
				t.Fatalf("no shaping helpers started\n%s%s", p.out.String(), p.errOut.String())
			}
			select {
			case <-p.done:
				t.Fatalf("simulate ended before its helpers ran: exit %d\n%s%s", p.code, p.out.String(), p.errOut.String())
			case <-time.After(100 * time.Millisecond):
			}
		}
		return p
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			p := started(t)
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(t, time.Minute); code == 0 {
				t.Errorf("an interrupted run exited 0")
			}
			checkGone(t, env, p.cmd.Process.Pid, "")
		})
	}
	t.Run("a container on its own network fails the run", func(t *testing.T) {
		src, err := os.ReadFile(shapedScenario(t, 5))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "own.yaml")
		own := strings.Replace(string(src), `docker: {image: netprobe, command: [udprecv, "9000"]}`,
			`docker: {image: netprobe, command: [udprecv, "9000"], network: host}`, 1)
		if err := os.WriteFile(path, []byte(own), 0o644); err != nil {
			t.Fatal(err)
		}
		p := startSimulate(t, env, "--out", t.TempDir(), "--image", "netprobe=oci:"+probe, path)
		if code := p.wait(t, 2*time.Minute); code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		want := "own.yaml:6:7: cannot shape the real traffic of container node \"recv\": it is on docker.network host"
		if !strings.Contains(p.out.String()+p.errOut.String(), want) {
			t.Errorf("output lacks %q:\n%s%s", want, p.out.String(), p.errOut.String())
		}
		checkGone(t, env, p.cmd.Process.Pid, "")
	})
	t.Run("SIGKILL", func(t *testing.T) {
		p := started(t)
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		p.wait(t, time.Minute)
		if helpersOf(p.cmd.Process.Pid) == "" {
			t.Fatal("a killed runner left no helper; the orphan removal is not tested")
		}
		out := t.TempDir()
		next := startSimulate(t, env, "--out", out, "--image", "netprobe=oci:"+probe, shapedScenario(t, 2))
		if code := next.wait(t, 2*time.Minute); code != 0 {
			t.Fatalf("the next run: exit %d\n%s%s", code, next.out.String(), next.errOut.String())
		}
		// summary.json says per link what was configured and measured.
		b, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			RealNetwork []struct {
				Src, Dst  string
				LatencyUS int64 `json:"latency_us"`
				Packets   int64
			} `json:"real_network"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if len(s.RealNetwork) != 2 || s.RealNetwork[1].Src != "send" || s.RealNetwork[1].Dst != "recv" ||
			s.RealNetwork[1].LatencyUS != 50000 || s.RealNetwork[1].Packets < 20 {
			t.Errorf("summary.json real_network = %+v; want recv->send and send->recv at 50 ms, the latter with the probe's packets", s.RealNetwork)
		}
		checkGone(t, env, p.cmd.Process.Pid, "")
		checkGone(t, env, next.cmd.Process.Pid, "")
	})
}
