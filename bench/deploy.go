package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/xedgesim/simulate/internal/testbed"
)

// deploy is the deploy section: a redeploy after a one-layer change by
// `xedgesim deploy` against the seed project's path, `docker save IMAGE |
// ssh HOST docker load` followed by replacing the container, on the test
// bed's edges: one host, then three in parallel. Every SSH connection of
// both goes through a counting TCP proxy in the bench, so "bytes sent" is
// what went over the wire, SSH framing included, whatever either reports.
func deploy(env *Env) (*Section, error) {
	bed, err := testbed.Load()
	if err == nil && (len(bed.Edges) < 3 || bed.Registry.Host == "") {
		err = errors.New("the env file lists fewer than three edges or no registry")
	}
	if err != nil {
		return nil, fmt.Errorf("the deploy section needs the test bed (make test, or make testbed-up, brings it up): %w", err)
	}
	if _, err := exec.LookPath("ssh"); err != nil {
		return nil, fmt.Errorf("the deploy section's baseline needs the OpenSSH client: %w", err)
	}
	s := &Section{Title: "Deploy"}
	d := &deployBench{env: env, bed: bed, edges: bed.Edges[:3], id: randHex()}
	defer d.cleanup()
	defer onInterrupt(d.cleanup)()
	if err := d.prepare(); err != nil {
		return nil, err
	}
	cpu, err := openEdgeCPUs(bed, d.edges)
	if err != nil {
		return nil, err
	}
	d.onCleanup(func() {
		if err := cpu.restore(); err != nil {
			fmt.Fprintf(os.Stderr, "bench: putting the edges' CPU shares back: %v\n", err)
		}
	})
	// Each edge a device with a third of the machine: three deploying at
	// once then need no more CPU than the machine has.
	share := float64(runtime.NumCPU()) / float64(len(d.edges))

	type scenario struct {
		key, what string
		hosts     []testbed.Edge
		target    bool    // a target of its own against the seed's path
		order     string  // rollout.order; empty: the default, start-first
		cpus      float64 // each edge's CPU share in cores; 0: unbounded
	}
	// edge3 alone shows the share of the host whose container runs
	// through qemu: three hosts in parallel wait for it. stop-first
	// starts no candidate: one container start per host, as the seed's
	// path. The last two rows are edges sharing the machine's cores.
	scenarios := []scenario{
		{"1host", "one host (edge1)", d.edges[:1], true, "", share},
		{"edge3", "one host (edge3, arm64 through qemu)", d.edges[2:3], false, "", share},
		{"3hosts", "three hosts in parallel (edge1..3)", d.edges, true, "", share},
		{"1host_stopfirst", "one host (edge1), order: stop-first", d.edges[:1], false, "stop-first", share},
		{"3hosts_stopfirst", "three hosts in parallel (edge1..3), order: stop-first", d.edges, false, "stop-first", share},
		{"1host_shared", "one host (edge1), edges sharing the machine's cores", d.edges[:1], false, "", 0},
		{"3hosts_shared", "three hosts in parallel (edge1..3), edges sharing the machine's cores", d.edges, false, "", 0},
	}
	var rows strings.Builder
	rows.WriteString("| redeploy | xedgesim deploy (s) | docker save \\| ssh docker load (s) | ratio | sent by xedgesim deploy | sent by docker save \\| ssh | bytes ratio | machine CPU, xedgesim deploy (s) | machine CPU, docker save \\| ssh (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	walls, cpus := map[string]float64{}, map[string]float64{}
	var steps strings.Builder
	steps.WriteString("| xedgesim deploy: step reached after (s, median) |")
	for _, st := range deploySteps {
		steps.WriteString(" " + st + " |")
	}
	steps.WriteString(" exit |\n|---|" + strings.Repeat("---:|", len(deploySteps)+1) + "\n")
	var oneHostBytes float64
	for _, sc := range scenarios {
		if err := cpu.set(sc.cpus); err != nil {
			return nil, err
		}
		m, err := d.manifest(sc.key, sc.hosts, sc.order)
		if err != nil {
			return nil, err
		}
		ours := Contender{Name: "xedgesim deploy, " + sc.what, Run: func() (Sample, error) { return d.runOurs(m, sc.hosts) }}
		base := Contender{Name: "docker save | ssh, " + sc.what, Run: func() (Sample, error) { return d.runBaseline(m, sc.hosts) }}
		ss, err := alternate(env.Runs, ours, base)
		if err != nil {
			return nil, err
		}
		x := s.figure("deploy_"+sc.key+"_xedgesim_s", "xedgesim deploy redeploy, "+sc.what, "s", field(ss[ours.Name], wallS))
		k := s.figure("deploy_"+sc.key+"_baseline_s", "docker save piped to ssh docker load, redeploy, "+sc.what, "s", field(ss[base.Name], wallS))
		xb := s.figure("deploy_"+sc.key+"_xedgesim_bytes", "bytes xedgesim deploy sent over SSH, "+sc.what, "B", field(ss[ours.Name], value("up")))
		kb := s.figure("deploy_"+sc.key+"_baseline_bytes", "bytes docker save piped to ssh sent over SSH, "+sc.what, "B", field(ss[base.Name], value("up")))
		s.figure("deploy_"+sc.key+"_xedgesim_reported_bytes", "bytes xedgesim deploy reported sending (--report bytes_sent), "+sc.what, "B", field(ss[ours.Name], value("reported")))
		s.figure("deploy_"+sc.key+"_xedgesim_received_bytes", "bytes xedgesim deploy received over SSH, "+sc.what, "B", field(ss[ours.Name], value("down")))
		s.figure("deploy_"+sc.key+"_baseline_received_bytes", "bytes docker save piped to ssh received over SSH, "+sc.what, "B", field(ss[base.Name], value("down")))
		xc := s.figure("deploy_"+sc.key+"_xedgesim_machine_cpu_s", "CPU time of the whole machine during xedgesim deploy (engines, sshd, shells, the tool), "+sc.what, "s", field(ss[ours.Name], value("machine_cpu_s")))
		kc := s.figure("deploy_"+sc.key+"_baseline_machine_cpu_s", "CPU time of the whole machine during docker save piped to ssh, "+sc.what, "s", field(ss[base.Name], value("machine_cpu_s")))
		ratio, bratio := x.Median/k.Median, xb.Median/kb.Median
		s.figure("deploy_"+sc.key+"_ratio", "xedgesim/baseline wall time, "+sc.what+" (of medians)", "ratio", Stats{Median: ratio, Min: ratio, Max: ratio, N: 1})
		s.figure("deploy_"+sc.key+"_bytes_ratio", "xedgesim/baseline bytes sent, "+sc.what+" (of medians)", "ratio", Stats{Median: bratio, Min: bratio, Max: bratio, N: 1})
		fmt.Fprintf(&rows, "| %s | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.2f | %s | %s | %.2f | %.2f | %.2f |\n", sc.what, x.Median, x.Min, x.Max, k.Median, k.Min, k.Max, ratio,
			mib(xb.Median), mib(kb.Median), bratio, xc.Median, kc.Median)
		if sc.target {
			s.target("redeploy, "+sc.what+": xedgesim deploy against docker save piped to ssh docker load", "no slower (ratio ≤ 1)",
				fmt.Sprintf("%.2f× (%.2f s against %.2f s)", ratio, x.Median, k.Median), ratio <= 1)
		}
		walls["xedgesim "+sc.key], walls["baseline "+sc.key] = x.Median, k.Median
		cpus["xedgesim "+sc.key] = xc.Median
		fmt.Fprintf(&steps, "| %s |", sc.what)
		for _, st := range deploySteps {
			if f := field(ss[ours.Name], value("step_"+st)); f.Max > 0 {
				s.figure("deploy_"+sc.key+"_step_"+st+"_s", "xedgesim deploy, "+sc.what+": "+hosts0(sc.hosts)+" reached "+st+" after", "s", f)
				fmt.Fprintf(&steps, " %.2f |", f.Median)
			} else {
				steps.WriteString(" - |")
			}
		}
		fmt.Fprintf(&steps, " %.2f |\n", x.Median)
		if sc.key == "1host" {
			oneHostBytes = xb.Median
		}
	}
	changed := float64(d.changed)
	s.figure("deploy_changed_layer_bytes", "the changed layer (compressed, amd64)", "B", Stats{Median: changed, Min: changed, Max: changed, N: 1})
	s.figure("deploy_image_bytes", "the whole amd64 image (compressed)", "B", Stats{Median: float64(d.imageSize), Min: float64(d.imageSize), Max: float64(d.imageSize), N: 1})
	s.figure("deploy_docker_save_bytes", "docker save of the amd64 image", "B", Stats{Median: float64(d.saveSize), Min: float64(d.saveSize), Max: float64(d.saveSize), N: 1})
	s.target("redeploy after a one-layer change, one host", "about the changed layer's bytes (at most twice them)",
		fmt.Sprintf("%s sent for a %s layer of a %s image", mib(oneHostBytes), mib(changed), mib(float64(d.imageSize))), oneHostBytes <= 2*changed)
	par := walls["xedgesim 3hosts"] / walls["xedgesim 1host"]
	bpar := walls["baseline 3hosts"] / walls["baseline 1host"]
	s.figure("deploy_xedgesim_parallel_ratio", "xedgesim deploy, three hosts against one (of medians)", "ratio", Stats{Median: par, Min: par, Max: par, N: 1})
	s.figure("deploy_baseline_parallel_ratio", "docker save piped to ssh docker load, three hosts against one (of medians)", "ratio", Stats{Median: bpar, Min: bpar, Max: bpar, N: 1})
	sf := walls["xedgesim 3hosts_stopfirst"] / walls["xedgesim 1host_stopfirst"]
	s.figure("deploy_xedgesim_stopfirst_parallel_ratio", "xedgesim deploy with order: stop-first, three hosts against one (of medians)", "ratio", Stats{Median: sf, Min: sf, Max: sf, N: 1})
	e3, be3 := walls["xedgesim edge3"]/walls["xedgesim 1host"], walls["baseline edge3"]/walls["baseline 1host"]
	s.figure("deploy_xedgesim_edge3_ratio", "xedgesim deploy, edge3 alone (arm64 through qemu) against edge1 alone (of medians)", "ratio", Stats{Median: e3, Min: e3, Max: e3, N: 1})
	s.figure("deploy_baseline_edge3_ratio", "docker save piped to ssh docker load, edge3 alone against edge1 alone (of medians)", "ratio", Stats{Median: be3, Min: be3, Max: be3, N: 1})
	p3 := walls["xedgesim 3hosts"] / walls["xedgesim edge3"]
	s.figure("deploy_xedgesim_parallel_edge3_ratio", "xedgesim deploy, three hosts against edge3 alone, the slowest (of medians)", "ratio", Stats{Median: p3, Min: p3, Max: p3, N: 1})
	// Edges sharing this machine's cores: three hosts cannot take less
	// wall time than their machine CPU spread over every core.
	cores := float64(runtime.NumCPU())
	spar := walls["xedgesim 3hosts_shared"] / walls["xedgesim 1host_shared"]
	s.figure("deploy_xedgesim_shared_parallel_ratio", "xedgesim deploy, edges sharing the machine's cores, three hosts against one (of medians)", "ratio", Stats{Median: spar, Min: spar, Max: spar, N: 1})
	floor := cpus["xedgesim 3hosts_shared"] / cores / walls["xedgesim 1host_shared"]
	s.figure("deploy_xedgesim_shared_parallel_cpu_floor", "xedgesim deploy, edges sharing the machine's cores, three hosts against one: the least their machine CPU allows on this machine's cores (of medians)", "ratio", Stats{Median: floor, Min: floor, Max: floor, N: 1})
	s.target("three hosts in parallel against one (xedgesim deploy)", "about as long (ratio ≤ 1.5)",
		fmt.Sprintf("%.2f× with each edge given %.2f cores (docker save piped to ssh: %.2f×; against edge3 alone, the slowest host: %.2f×; with order: stop-first: %.2f×); "+
			"edges sharing the machine's cores: %.2f×, where their machine CPU, %.2f s on %.0f cores, allows no less than %.2f×",
			par, share, bpar, p3, sf, spar, cpus["xedgesim 3hosts_shared"], cores, floor), par <= 1.5)

	var body strings.Builder
	fmt.Fprintf(&body, "The image: `%s` built by `xedgesim build --go` for %s, each platform with a further layer of %s of random bytes (a stand-in for a base image) "+
		"and on top an application layer of %s of random bytes; the second version differs from the first in that top layer only. "+
		"The amd64 image is %s compressed, %s as `docker save` writes it (uncompressed); the changed layer is %s compressed.\n\n"+
		"Each run starts from the first version running on each host under both services and the second version absent from the host, "+
		"then redeploys the second version and is timed from start to exit:\n\n"+
		"- **xedgesim deploy**: `bin/xedgesim deploy -f deploy.yaml --image REPO@sha256:... --insecure --report FILE`, transfer `scp` (the default), "+
		"rollout `{canary: 0, batch: 3}` (and `order: stop-first` in the rows that say so), health check an HTTP GET on the service every 200 ms; the image comes from the test bed's registry on this machine.\n"+
		"- **docker save | ssh docker load**, the seed project's path (`scripts/deploy_to_edge.sh`) streamed instead of through a file: "+
		"`docker save TAG | ssh HOST 'docker load && docker rm -f NAME; docker run -d --name NAME --restart unless-stopped -p PORT:8080 TAG'` and a check that it runs "+
		"(no HTTP check, no rollback: less work than ours), the same key, one `ssh` per host, all hosts at once.\n\n"+
		"Bytes are counted at a TCP proxy in the bench between the tool and each host's sshd (everything the tool sent, SSH framing and commands included). "+
		"edge3 is linux/arm64: its engine runs on this machine's CPU and the container through qemu. "+
		"Machine CPU is the busy time of all the machine's cores while the run lasted (/proc/stat), whichever process spent it: the edges' engines, containerd, runc, sshd and login shells, the tool, and anything else running then. "+
		"Each edge is given %.2f cores (this machine's cores split among the three edges) through the CFS bandwidth of its cgroup, which holds everything it runs: its engine, containerd, the shims and containers, sshd and each login. "+
		"A fleet's devices each have their own CPU; edges sharing this machine's cores, as in the last two rows, take at least half their machine CPU in wall time when three deploy at once, where separate devices would not.\n\n",
		buildPkg, buildPlatforms, mib(float64(d.baseSize)), mib(float64(d.appSize)), mib(float64(d.imageSize)), mib(float64(d.saveSize)), mib(changed), share)
	body.WriteString(rows.String())
	fmt.Fprintf(&body, "\nedge3 alone, whose arm64 container runs through qemu, takes %.2f× edge1 alone with xedgesim deploy (%.2f× with docker save | ssh); "+
		"three hosts in parallel take %.2f× edge3 alone and %.2f× edge1 alone (the target's ratio). "+
		"With `rollout.order: stop-first` (no candidate: one container start per host, and an outage from the old container's stop to the new one's check) "+
		"three hosts take %.2f× one host. With the edges sharing this machine's cores, three hosts take %.2f× one host, and their machine CPU allows no less than %.2f×.\n", e3, be3, p3, par, sf, spar, floor)
	body.WriteString("\nWhere the time of `xedgesim deploy` goes, from the progress lines it writes on stderr (of edge1): when each step began, in seconds since the process started " +
		"(connect: the process started and read the image's index; engine: the SSH connection is up, the host's DOCKER_HOST asked for (one SSH session) and its engine's socket reached through the connection; " +
		"platform: the engine answered; transfer: the host's containers and layers were asked for, the image read from the registry and written as a tarball, which is being sent; " +
		"sent: the last byte went into the engine's load, then the files; candidate: the new release created and started beside the old container (without published ports, probed at its address on the engine's bridge); create: the service's new container created while the candidate boots; " +
		"candidate health: the candidate's health check; switch: the old container stopped and the new one started; health: the health check after the switch; done: the old container set aside, then removed with the images no release keeps).\n\n")
	body.WriteString(steps.String())
	body.WriteString("\n")
	s.Body = body.String()
	return s, nil
}

// deployBench holds what the deploy section set up.
type deployBench struct {
	env   *Env
	bed   *testbed.Env
	edges []testbed.Edge
	id    string
	dir   string

	baseSize, appSize int64
	refs              [2]string            // REPO@sha256:... of each version's index
	ids               [2]map[string]string // platform → image ID (config digest) of each version
	tags              [2]map[string]string // platform → tag in the host's engine, for docker save
	changed           int64                // the amd64 application layer, compressed
	imageSize         int64                // the amd64 image, compressed
	saveSize          int64                // docker save of the amd64 image
	proxies           map[string]*tcpProxy // by edge name
	service, baseName string
	port, basePort    int
	cleanOnce         sync.Once
	mu                sync.Mutex // guards ids and cleanups against an interrupt's clean-up
	cleanups          []func()
}

// prepare builds and pushes both versions, puts them into the host's
// engine for docker save, and starts a counting proxy per edge.
func (d *deployBench) prepare() error {
	d.dir = filepath.Join(d.env.Tmp, "deploy")
	hello, err := buildHello(d.env, d.dir)
	if err != nil {
		return err
	}
	d.baseSize, d.appSize = 32<<20, 2<<20
	if d.env.Quick {
		d.baseSize, d.appSize = 4<<20, 256<<10
	}
	repo := d.bed.Registry.Host + "/xedgesim-bench/deploy-" + d.id
	platforms := map[string]bool{}
	for _, e := range d.edges {
		platforms[e.Platform] = true
	}
	for v := range 2 {
		idx, imgs, err := withLayers(hello, func(i int, _ string) ([]v1.Layer, error) {
			b, err := randomLayer("opt/bench/base.bin", d.baseSize, uint64(200+i))
			if err != nil {
				return nil, err
			}
			a, err := randomLayer("opt/bench/app.bin", d.appSize, uint64(300+10*v+i))
			return []v1.Layer{b, a}, err
		})
		if err != nil {
			return err
		}
		tag, err := name.NewTag(fmt.Sprintf("%s:v%d", repo, v+1), name.Insecure)
		if err != nil {
			return err
		}
		if err := remote.WriteIndex(tag, idx, remote.WithAuth(authn.Anonymous)); err != nil {
			return fmt.Errorf("pushing version %d to %s: %w", v+1, tag, err)
		}
		digest, err := idx.Digest()
		if err != nil {
			return err
		}
		d.refs[v] = repo + "@" + digest.String()
		d.onCleanup(func() { deleteImages([]string{repo}, digest, imgs) })
		d.mu.Lock()
		d.ids[v], d.tags[v] = map[string]string{}, map[string]string{}
		d.mu.Unlock()
		for _, pi := range imgs {
			if !platforms[pi.Platform] {
				continue
			}
			cfg, err := pi.Image.ConfigName()
			if err != nil {
				return err
			}
			pd, err := pi.Image.Digest()
			if err != nil {
				return err
			}
			d.mu.Lock()
			d.ids[v][pi.Platform] = cfg.String()
			d.mu.Unlock()
			local := fmt.Sprintf("xedgesim-bench/deploy-%s:v%d-%s", d.id, v+1, strings.ReplaceAll(pi.Platform, "/", "-"))
			if err := d.hostDocker("pull", "-q", "--platform", pi.Platform, repo+"@"+pd.String()); err != nil {
				return err
			}
			if err := d.hostDocker("tag", repo+"@"+pd.String(), local); err != nil {
				return err
			}
			d.onCleanup(func() { d.hostDocker("image", "rm", "-f", local, repo+"@"+pd.String()) })
			d.tags[v][pi.Platform] = local
			if pi.Platform == "linux/amd64" && v == 1 {
				m, err := pi.Image.Manifest()
				if err != nil {
					return err
				}
				d.changed = m.Layers[len(m.Layers)-1].Size
				if d.imageSize, err = imageSize(pi.Image); err != nil {
					return err
				}
				if d.saveSize, err = d.dockerSaveSize(local); err != nil {
					return err
				}
			}
		}
	}
	fmt.Fprintf(os.Stderr, "bench: pushed %s and %s and pulled them into the host's engine\n", d.refs[0], d.refs[1])

	d.proxies = map[string]*tcpProxy{}
	for _, e := range d.edges {
		p, err := newTCPProxy(e.SSHAddr())
		if err != nil {
			return err
		}
		d.proxies[e.Name] = p
		d.onCleanup(p.Close)
	}
	d.service, d.baseName = "xedgesim-bench-deploy-"+d.id, "xedgesim-bench-seed-"+d.id
	d.port = 30000 + int(time.Now().UnixNano()%5000)
	d.basePort = d.port + 5000
	return nil
}

// cleanup removes what the section made on the edges, in the host's
// engine and in the registry, also after a failure.
func (d *deployBench) cleanup() { d.cleanOnce.Do(d.clean) }

func (d *deployBench) clean() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.edges {
		d.edgeDocker(e, "rm", "-f", d.baseName)
		if out, err := d.edgeDockerOut(e, "ps", "-aq", "--filter", "label=xedgesim.service="+d.service); err == nil {
			if ids := strings.Fields(out); len(ids) > 0 {
				d.edgeDocker(e, append([]string{"rm", "-f"}, ids...)...)
			}
		}
		for v := range 2 {
			if id := d.ids[v][e.Platform]; id != "" {
				d.edgeDocker(e, "image", "rm", "-f", id)
			}
		}
	}
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		d.cleanups[i]()
	}
}

func (d *deployBench) onCleanup(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cleanups = append(d.cleanups, f)
}

// manifest writes deploy.yaml for hosts, each reached through its proxy
// (whose host key is the edge's, under the proxy's address).
func (d *deployBench) manifest(key string, hosts []testbed.Edge, order string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "service:\n  name: %s\n  restart: unless-stopped\n  ports: [\"%d:8080\"]\n  health: {http: {port: %d, path: /}, interval: 200ms, timeout: 60s}\n", d.service, d.port, d.port)
	b.WriteString("hosts:\n")
	for _, e := range hosts {
		p := d.proxies[e.Name]
		host, port, err := net.SplitHostPort(p.Addr)
		if err != nil {
			return "", err
		}
		_, rest, ok := strings.Cut(e.KnownHosts, " ")
		if !ok {
			return "", fmt.Errorf("%s: known_hosts line %q has no key", e.Name, e.KnownHosts)
		}
		fmt.Fprintf(&b, "  - {name: %s, address: %s, port: %s, user: %s, platform: %s, known_hosts: %q}\n", e.Name, host, port, e.User, e.Platform, "["+host+"]:"+port+" "+rest)
	}
	rollout := "{canary: 0, batch: 3}"
	if order != "" {
		rollout = "{canary: 0, batch: 3, order: " + order + "}"
	}
	fmt.Fprintf(&b, "ssh: {key: %s, timeout: 10s}\nrollout: %s\n", hosts[0].KeyFile, rollout)
	file := filepath.Join(d.dir, "deploy-"+key+".yaml")
	return file, os.WriteFile(file, []byte(b.String()), 0o644)
}

// reset brings hosts to the state every run starts from: the first
// version running under both services, the second absent.
func (d *deployBench) reset(m string, hosts []testbed.Edge) error {
	for _, e := range hosts {
		d.edgeDocker(e, "rm", "-f", d.baseName)
	}
	if _, err := runProcess(d.env.Root, d.env.Bin, "deploy", "-f", m, "--image", d.refs[0], "--insecure"); err != nil {
		return fmt.Errorf("deploying the first version: %w", err)
	}
	for _, e := range hosts {
		id := d.ids[1][e.Platform]
		d.edgeDocker(e, "image", "rm", "-f", id)
		if _, err := d.edgeDockerOut(e, "image", "inspect", id); err == nil {
			return fmt.Errorf("%s: the second version %s is still there after removing it", e.Name, id)
		}
		if err := d.edgeDocker(e, "run", "-d", "--name", d.baseName, "--restart", "unless-stopped", "-p", fmt.Sprintf("%d:8080", d.basePort), d.ids[0][e.Platform]); err != nil {
			return err
		}
	}
	for _, e := range hosts {
		d.proxies[e.Name].take()
	}
	return nil
}

// measure adds the proxies' counts for hosts to sm and checks the second
// version is on each host under its image ID.
func (d *deployBench) measure(sm *Sample, hosts []testbed.Edge) error {
	for _, e := range hosts {
		up, down, err := d.proxies[e.Name].take()
		if err != nil {
			return err
		}
		sm.Values["up"] += float64(up)
		sm.Values["down"] += float64(down)
		if _, err := d.edgeDockerOut(e, "image", "inspect", d.ids[1][e.Platform]); err != nil {
			return fmt.Errorf("%s: the second version is not there after the redeploy: %w", e.Name, err)
		}
	}
	return nil
}

func (d *deployBench) runOurs(m string, hosts []testbed.Edge) (Sample, error) {
	if err := d.reset(m, hosts); err != nil {
		return Sample{}, err
	}
	report := filepath.Join(d.dir, "report.json")
	sm, err := runSteps(d.env.Root, hosts[0].Name, d.env.Bin, "deploy", "-f", m, "--image", d.refs[1], "--insecure", "--report", report)
	if err != nil {
		return sm, err
	}
	var rep struct {
		Hosts []struct {
			Host      string `json:"host"`
			BytesSent int64  `json:"bytes_sent"`
			Result    string `json:"result"`
		} `json:"hosts"`
	}
	if err := readJSON(report, &rep); err != nil {
		return sm, err
	}
	if len(rep.Hosts) != len(hosts) {
		return sm, fmt.Errorf("the deploy report lists %d hosts, want %d", len(rep.Hosts), len(hosts))
	}
	for _, h := range rep.Hosts {
		if h.Result != "deployed" {
			return sm, fmt.Errorf("%s: %s", h.Host, h.Result)
		}
		sm.Values["reported"] += float64(h.BytesSent)
	}
	return sm, d.measure(&sm, hosts)
}

func hosts0(hosts []testbed.Edge) string { return hosts[0].Name }

func (d *deployBench) runBaseline(m string, hosts []testbed.Edge) (Sample, error) {
	if err := d.reset(m, hosts); err != nil {
		return Sample{}, err
	}
	start, cpu0 := time.Now(), machineCPU()
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, e := range hosts {
		wg.Go(func() { errs[i] = d.saveLoad(e) })
	}
	wg.Wait()
	sm := Sample{Wall: time.Since(start), Values: map[string]float64{}}
	if cpu := cpuSpan(cpu0, machineCPU()); cpu >= 0 {
		sm.Values["machine_cpu_s"] = time.Duration(cpu).Seconds()
	}
	if err := errors.Join(errs...); err != nil {
		return sm, err
	}
	return sm, d.measure(&sm, hosts)
}

// saveLoad is the seed's deploy to one host, streamed: docker save on this
// machine piped into docker load on the host, then the container replaced.
func (d *deployBench) saveLoad(e testbed.Edge) error {
	tag := d.tags[1][e.Platform]
	_, port, _ := net.SplitHostPort(d.proxies[e.Name].Addr)
	remoteCmd := fmt.Sprintf(`docker load -q >/dev/null && { docker rm -f %[1]s >/dev/null 2>&1; docker run -d --name %[1]s --restart unless-stopped -p %[2]d:8080 %[3]s >/dev/null; } && test "$(docker inspect -f '{{.State.Running}}' %[1]s)" = true`,
		d.baseName, d.basePort, tag)
	save := exec.Command(d.bed.Docker, "save", tag)
	save.Env = append(os.Environ(), "DOCKER_HOST="+d.bed.DockerHost)
	ssh := exec.Command("ssh", "-p", port, "-i", e.KeyFile, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile="+e.KnownHostsFile, "-o", "HostKeyAlias="+e.Addr, "-o", "ConnectTimeout=10", e.User+"@127.0.0.1", remoteCmd)
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	var saveErr, sshErr strings.Builder
	save.Stdout, save.Stderr = pw, &saveErr
	ssh.Stdin, ssh.Stdout, ssh.Stderr = pr, &sshErr, &sshErr
	if err := ssh.Start(); err != nil {
		pr.Close()
		pw.Close()
		return err
	}
	if err := save.Start(); err != nil {
		pw.Close()
		pr.Close()
		ssh.Wait()
		return err
	}
	pr.Close()
	pw.Close()
	serr := save.Wait()
	err = ssh.Wait()
	if serr != nil {
		return fmt.Errorf("docker save %s: %w: %s", tag, serr, saveErr.String())
	}
	if err != nil {
		return fmt.Errorf("%s: ssh docker load: %w: %s", e.Name, err, sshErr.String())
	}
	return nil
}

// dockerSaveSize is how many bytes docker save writes for tag.
func (d *deployBench) dockerSaveSize(tag string) (int64, error) {
	cmd := exec.Command(d.bed.Docker, "save", tag)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.bed.DockerHost)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, out)
	if werr := cmd.Wait(); werr != nil || err != nil {
		return 0, fmt.Errorf("docker save %s: %w", tag, errors.Join(werr, err))
	}
	return n, nil
}

func (d *deployBench) hostDocker(args ...string) error {
	cmd := exec.Command(d.bed.Docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.bed.DockerHost)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, tail(out, 1000))
	}
	return nil
}

// edgeDocker runs docker against an edge's engine directly (its socket on
// this machine), for setting up and checking, never inside a timed run.
func (d *deployBench) edgeDocker(e testbed.Edge, args ...string) error {
	_, err := d.edgeDockerOut(e, args...)
	return err
}

func (d *deployBench) edgeDockerOut(e testbed.Edge, args ...string) (string, error) {
	cmd := exec.Command(d.bed.Docker, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+e.DockerHost)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s on %s: %w: %s", strings.Join(args, " "), e.Name, err, tail(out, 1000))
	}
	return string(out), nil
}

// deploySteps are the steps `xedgesim deploy` reports on stderr as
// "HOST: STEP: ...", in order.
// "sent" is the transfer's 100% line.
var deploySteps = []string{"connect", "engine", "platform", "transfer", "sent", "candidate", "create", "candidate health", "switch", "health", "done"}

// runSteps is runProcess for xedgesim deploy that also notes when each
// step of host first appeared on stderr, as Values["step_"+STEP] in
// seconds since the start: where the time goes.
func runSteps(dir, host, name string, args ...string) (Sample, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return Sample{}, err
	}
	cmd, done, err := measured(name, args...)
	if err != nil {
		pr.Close()
		pw.Close()
		return Sample{}, err
	}
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = pw
	steps := map[string]float64{}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		_, _ = done()
		return Sample{}, err
	}
	pw.Close()
	var trace io.Writer = io.Discard
	if f := traceFile(); f != nil {
		defer f.Close()
		trace = f
		fmt.Fprintf(f, "# %s %s\n", name, strings.Join(args, " "))
	}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		out.WriteString(line + "\n")
		fmt.Fprintf(trace, "%7.3f %s\n", time.Since(start).Seconds(), line)
		rest, ok := strings.CutPrefix(line, host+": ")
		if !ok {
			continue
		}
		step, _, _ := strings.Cut(rest, ":")
		switch {
		case step == "transfer" && strings.HasSuffix(rest, "(100%)"):
			step = "sent"
		case step == "health" && strings.HasSuffix(rest, "on the candidate"):
			step = "candidate health"
		}
		if _, seen := steps[step]; !seen {
			steps[step] = time.Since(start).Seconds()
		}
	}
	pr.Close()
	err = cmd.Wait()
	u, uerr := done()
	if err != nil {
		return Sample{}, fmt.Errorf("%s %v: %w\n%s", name, args, err, tail([]byte(out.String()), 2000))
	}
	if uerr != nil {
		return Sample{}, fmt.Errorf("%s %v: %w", name, args, uerr)
	}
	sm := u.sample()
	for k, v := range steps {
		sm.Values["step_"+k] = v
	}
	return sm, nil
}

// traceFile is where runSteps appends every progress line with its time
// when XEDGESIM_BENCH_TRACE names a file: every host's timeline, where
// the figures keep one host's.
func traceFile() *os.File {
	p := os.Getenv("XEDGESIM_BENCH_TRACE")
	if p == "" {
		return nil
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600) // #nosec G304 -- a path the person running the bench names
	if err != nil {
		return nil
	}
	return f
}
