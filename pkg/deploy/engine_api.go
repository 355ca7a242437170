package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/internal/fanout"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// apiEngine speaks the Engine API to the host's engine through the SSH
// connection.
type apiEngine struct {
	cl *engine.Client
	// local says the engine runs on the host: its socket is a unix one
	// there, not a TCP address that may be another machine's.
	local bool
	// sys keeps the engine's GET /info (nil: asked each time). The layer
	// listing and the candidate's address both read it, at once; the
	// engine runs runc and docker-init to answer it.
	sys *engineInfo
}

// engineInfo is an engine's /info, asked once.
type engineInfo struct {
	mu   sync.Mutex
	got  bool
	info engine.SystemInfo
}

// info is the engine's /info: asked once per connection, and again only
// after a failure.
func (e apiEngine) info(ctx context.Context) (engine.SystemInfo, error) {
	if e.sys == nil {
		return e.cl.Info(ctx)
	}
	e.sys.mu.Lock()
	defer e.sys.mu.Unlock()
	if !e.sys.got {
		info, err := e.cl.Info(ctx)
		if err != nil {
			return info, err
		}
		e.sys.info, e.sys.got = info, true
	}
	return e.sys.info, nil
}

func (e apiEngine) close() { _ = e.cl.Close() } // idle channels of a connection that closes next

func (e apiEngine) platform(ctx context.Context) (string, error) {
	v, err := e.cl.ServerVersion(ctx)
	if err != nil {
		return "", err
	}
	p := v.Os + "/" + v.Arch
	if v.Arch == "arm" {
		// The variant is the machine's (uname -m), which docker info
		// tells.
		info, err := e.info(ctx)
		if err != nil {
			return "", err
		}
		p += "\n" + info.Architecture
	}
	return p, nil
}

func (e apiEngine) inspect(ctx context.Context, nameOrID string) (*container, error) {
	var c container
	err := e.cl.ContainerInspectInto(ctx, nameOrID, &c)
	if errors.Is(err, engine.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting container %s: %w", nameOrID, err)
	}
	c.Name = strings.TrimPrefix(c.Name, "/")
	return &c, nil
}

func (e apiEngine) ports(ctx context.Context, id string) (map[string]int, error) {
	var c struct {
		NetworkSettings struct {
			Ports map[string][]struct{ HostIP, HostPort string }
		}
	}
	if err := e.cl.ContainerInspectInto(ctx, id, &c); err != nil {
		return nil, err
	}
	return hostPorts(c.NetworkSettings.Ports), nil
}

func (e apiEngine) layers(ctx context.Context) (*engineLayers, error) {
	inf := goFuture(func() (engine.SystemInfo, error) { return e.info(ctx) })
	imgs, err := e.cl.ImageList(ctx, true, "")
	info, infoErr := inf.wait(ctx)
	if err == nil {
		err = infoErr
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, im := range imgs {
		if !seen[im.ID] {
			seen[im.ID] = true
			ids = append(ids, im.ID)
		}
	}
	chains, err := e.imageChains(ctx, ids)
	if err != nil {
		return nil, err
	}
	// The same lines as the CLI's script, so one parser reads both.
	status, _ := json.Marshal(info.DriverStatus)
	var b strings.Builder
	b.Write(status)
	b.WriteByte('\n')
	for i, id := range ids {
		if chains[i] == nil {
			continue // removed since the listing
		}
		b.WriteString(id + " ")
		for _, l := range chains[i] {
			b.WriteString(l + ",")
		}
		b.WriteByte('\n')
	}
	return parseLayers(b.String()), nil
}

// inspectsAtOnce bounds the image inspects layers has in flight: each is
// a channel of the SSH connection and a request the engine serves.
const inspectsAtOnce = 8

// imageChains inspects the images ids, several at once: one after
// another a host with many images pays the link's round trip for each.
// An image removed since it was listed has nil layers.
func (e apiEngine) imageChains(ctx context.Context, ids []string) ([][]string, error) {
	chains := make([][]string, len(ids))
	err := fanout.Run(ctx, len(ids), inspectsAtOnce, func(ctx context.Context, i int) error {
		_, layers, err := e.cl.ImageLayers(ctx, ids[i])
		switch {
		case errors.Is(err, engine.ErrNotFound):
		case err != nil:
			return err
		default:
			chains[i] = append([]string{}, layers...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return chains, nil
}

func (e apiEngine) imageID(ctx context.Context, ref string) (string, error) {
	id, _, err := e.cl.ImageLayers(ctx, ref)
	return id, err
}

func (e apiEngine) tag(ctx context.Context, src, ref string) error {
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return e.cl.ImageTag(ctx, src, ref, "latest")
	}
	return e.cl.ImageTag(ctx, src, ref[:i], ref[i+1:])
}

// load streams the tarball into the engine's load: the SSH channel
// carries it intact or not at all, and a tarball cut short (manifest.json
// comes last) loads nothing, so no file on the host is needed.
func (e apiEngine) load(ctx context.Context, _ string, p transport.Payload) (int64, error) {
	cr := &transport.CountingReader{R: io.LimitReader(p.R, p.Size), Progress: p.Progress}
	body, err := e.cl.ImageLoad(ctx, cr)
	if err != nil {
		return cr.N, err
	}
	defer body.Close()
	if err := readLoadMessages(body); err != nil {
		return cr.N, err
	}
	if cr.N != p.Size {
		return cr.N, fmt.Errorf("the engine loaded after %d of %d bytes", cr.N, p.Size)
	}
	return cr.N, nil
}

// readLoadMessages reads docker load's answer, a stream of JSON messages,
// and returns the error one of them reports.
func readLoadMessages(r io.Reader) error {
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	for {
		var m struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the engine's answer: %w", err)
		}
		if m.Error != "" {
			return &engine.Error{StatusCode: 500, Message: m.Error}
		}
		if m.ErrorDetail.Message != "" {
			return &engine.Error{StatusCode: 500, Message: m.ErrorDetail.Message}
		}
	}
}

func (e apiEngine) create(ctx context.Context, s createSpec) (string, error) {
	cfg, err := apiConfig(s)
	if err != nil {
		return "", err
	}
	return e.cl.ContainerCreate(ctx, s.name, cfg)
}

// apiConfig is the Engine API's form of docker create's flags in s.
func apiConfig(s createSpec) (engine.ContainerConfig, error) {
	cfg := engine.ContainerConfig{Image: s.image, Cmd: s.command, Labels: s.labels, Platform: s.platform}
	for _, k := range slices.Sorted(maps.Keys(s.env)) {
		cfg.Env = append(cfg.Env, k+"="+s.env[k])
	}
	rp, err := restartPolicy(s.restart)
	if err != nil {
		return cfg, err
	}
	hc := engine.HostConfig{RestartPolicy: &rp, NetworkMode: s.network, Binds: s.volumes}
	for _, spec := range s.ports {
		p := parsePortSpec(spec)
		k := p.container + "/" + p.proto
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts, hc.PortBindings = map[string]struct{}{}, map[string][]engine.PortBinding{}
		}
		cfg.ExposedPorts[k] = struct{}{}
		ip := strings.TrimSuffix(strings.TrimPrefix(p.ip, "["), "]")
		hc.PortBindings[k] = append(hc.PortBindings[k], engine.PortBinding{HostIP: ip, HostPort: p.host})
	}
	if s.memory != "" {
		if hc.Memory, err = memoryBytes(s.memory); err != nil {
			return cfg, err
		}
	}
	if s.cpus > 0 {
		hc.NanoCPUs = int64(s.cpus * 1e9)
	}
	cfg.HostConfig = hc
	return cfg, nil
}

// restartPolicy reads a --restart value: no, always, unless-stopped,
// on-failure[:N].
func restartPolicy(s string) (engine.RestartPolicy, error) {
	name, n, ok := strings.Cut(s, ":")
	rp := engine.RestartPolicy{Name: name}
	if name == "no" || name == "" {
		rp.Name = "no"
	}
	if ok {
		var err error
		if rp.MaximumRetryCount, err = strconv.Atoi(n); err != nil || name != "on-failure" {
			return rp, fmt.Errorf("restart policy %q: want on-failure:N", s)
		}
	}
	return rp, nil
}

// memoryBytes reads a --memory value: a number with an optional unit b,
// k, m or g (powers of 1024, as docker reads them).
func memoryBytes(size string) (int64, error) {
	s, mult := size, int64(1)
	switch strings.ToLower(s[len(s)-1:]) {
	case "b":
		s = s[:len(s)-1]
	case "k":
		mult, s = 1<<10, s[:len(s)-1]
	case "m":
		mult, s = 1<<20, s[:len(s)-1]
	case "g":
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("memory %q is not a size", size)
	}
	return n * mult, nil
}

func (e apiEngine) start(ctx context.Context, id string) error { return e.cl.ContainerStart(ctx, id) }

func (e apiEngine) stop(ctx context.Context, id string) error {
	return e.cl.ContainerStop(ctx, id, stopTimeout)
}

func (e apiEngine) rename(ctx context.Context, id, name string) error {
	return e.cl.ContainerRename(ctx, id, name)
}

func (e apiEngine) setRestart(ctx context.Context, id, policy string) error {
	rp, err := restartPolicy(policy)
	if err != nil {
		return err
	}
	return e.cl.ContainerUpdateRestart(ctx, id, rp)
}

// remove succeeds for a container that is gone already, as docker rm -f
// does: one started with --rm is removed by the stop of a switch.
func (e apiEngine) remove(ctx context.Context, id string) error {
	if err := e.cl.ContainerRemove(ctx, id, true, false); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return err
	}
	return nil
}

func (e apiEngine) list(ctx context.Context, created bool, labels ...string) ([]string, error) {
	f := map[string][]string{"label": labels}
	if created {
		f["status"] = []string{"created"}
	}
	return e.cl.ContainerListFiltered(ctx, f)
}

func (e apiEngine) pruneImages(ctx context.Context, repo string, keep []string) error {
	imgs, err := e.cl.ImageList(ctx, false, repo)
	if err != nil {
		return err
	}
	for _, im := range imgs {
		for _, r := range im.RepoTags {
			if r == "<none>:<none>" || slices.Contains(keep, r) {
				continue
			}
			_ = e.cl.ImageRemove(ctx, r) // one a container uses stays, as docker image rm refuses it
		}
	}
	return nil
}
