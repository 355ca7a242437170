package container

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/xedgesim/simulate/internal/engine"
	"github.com/xedgesim/simulate/pkg/sim/container/shape"
)

// LabelRole marks the helper containers that shape a node's traffic.
const LabelRole = "xedgesim.role"

// roleShaper is LabelRole's value on a shaping helper.
const roleShaper = "shaper"

// ErrShaping means the engine or the kernel cannot shape a node's real
// traffic; the message names the part.
var ErrShaping = errors.New("cannot shape the real traffic of container node")

// ShaperImage loads an image whose entrypoint is the xedgesim binary at
// bin running its hidden __netshape verb, and returns its reference. The
// tag is the binary's digest, so a run after the first loads nothing.
func ShaperImage(ctx context.Context, cli *engine.Client, bin string) (string, error) {
	if err := static(bin); err != nil {
		return "", err
	}
	data, err := os.ReadFile(bin) // #nosec G304 -- the xedgesim binary for the helper image (checked static above)
	if err != nil {
		return "", fmt.Errorf("reading the xedgesim binary for the shaping helper: %w", err)
	}
	sum := sha256.Sum256(data)
	tag, err := name.NewTag("xedgesim.local/netshape:" + hex.EncodeToString(sum[:8]))
	if err != nil {
		return "", err
	}
	if _, err := cli.ImageInspect(ctx, tag.String()); err == nil {
		return tag.String(), nil
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "xedgesim", Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
		return "", err
	}
	if _, err := tw.Write(data); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		return "", err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return "", err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config.Entrypoint = []string{"/xedgesim", "__netshape"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return "", err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.Write(tag, img, pw)) }()
	defer pr.Close()
	ref, err := imageLoad(ctx, cli, pr)
	if err != nil {
		return "", fmt.Errorf("loading the shaping helper image: %w", err)
	}
	return ref, nil
}

// static checks that bin can run alone in a scratch image: a Linux ELF
// with no interpreter.
func static(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("the shaping helper runs %s in a scratch image, and it is no Linux binary: %w", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("the shaping helper runs %s in a scratch image, and it is dynamically linked: build xedgesim with CGO_ENABLED=0, or name a static one in XEDGESIM_SHAPER_BINARY", bin)
		}
	}
	return nil
}

// Shaper is a running helper that shapes one container's egress.
type Shaper struct {
	cli *engine.Client
	id  string
	// Events are what the helper reported, read when it stops.
	Events []shape.Event
	// Links are its counters per peer, read when it stops.
	Links map[string]shape.Counters
	raw   string // its output
}

// StartShaper starts a helper from image in the network namespace of
// container target, shaping its egress as c says, labelled with labels,
// and waits until its rules are in place (peers that do not run yet are
// added when their names resolve). With c.StartUnixNano 0, faults wait
// for SetStart.
func StartShaper(ctx context.Context, cli *engine.Client, image, target string, c shape.Config, labels map[string]string) (*Shaper, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	l := map[string]string{LabelRole: roleShaper}
	for k, v := range labels {
		l[k] = v
	}
	cfg := engine.ContainerConfig{
		Image:  image,
		Env:    []string{"XEDGESIM_SHAPE_CONFIG=" + string(b)},
		Labels: l,
		HostConfig: engine.HostConfig{
			NetworkMode: "container:" + target,
			CapAdd:      []string{"NET_ADMIN"},
		},
	}
	id, err := cli.ContainerCreate(ctx, "", cfg)
	if err != nil {
		return nil, fmt.Errorf("%w %q: creating its helper container: %w", ErrShaping, c.Node, err)
	}
	s := &Shaper{cli: cli, id: id}
	if err := cli.ContainerStart(ctx, id); err != nil {
		_ = s.remove() // the start error is the one to report
		return nil, fmt.Errorf("%w %q: starting its helper container (NET_ADMIN in the node's namespace): %w", ErrShaping, c.Node, err)
	}
	if err := s.waitReady(ctx, 30*time.Second); err != nil {
		_ = s.remove()
		return nil, fmt.Errorf("%w %q: %w", ErrShaping, c.Node, err)
	}
	return s, nil
}

// SetStart tells a helper started without it the timeline's zero: it
// runs the binary again in the helper's container to write the start file
// the helper watches.
func (s *Shaper) SetStart(ctx context.Context, zero time.Time) error {
	eid, err := s.cli.ExecCreate(ctx, s.id, engine.ExecConfig{Cmd: []string{"/xedgesim", "__netshape", "--set-start", strconv.FormatInt(zero.UnixNano(), 10)}})
	if err != nil {
		return fmt.Errorf("giving the shaping helper the run's start: %w", err)
	}
	if err := s.cli.ExecStart(ctx, eid); err != nil {
		return fmt.Errorf("giving the shaping helper the run's start: %w", err)
	}
	for range 200 {
		info, err := s.cli.ExecInspect(ctx, eid)
		if err != nil {
			return fmt.Errorf("giving the shaping helper the run's start: %w", err)
		}
		if !info.Running {
			if info.ExitCode != 0 {
				return fmt.Errorf("giving the shaping helper the run's start: exit code %d", info.ExitCode)
			}
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return errors.New("giving the shaping helper the run's start: it did not finish in 2 s")
}

// ID is the helper container's id.
func (s *Shaper) ID() string { return s.id }

// waitReady polls the helper's output for its ready line; a helper that
// exits first fails with what it said.
func (s *Shaper) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		out, errOut, err := s.output(ctx)
		if err == nil && strings.Contains(out, `"kind":"ready"`) {
			return nil
		}
		info, ierr := s.cli.ContainerInspect(ctx, s.id)
		if ierr == nil && info.State != nil && !info.State.Running {
			msg := strings.TrimSpace(errOut)
			if msg == "" {
				msg = fmt.Sprintf("exit code %d", info.State.ExitCode)
			}
			return fmt.Errorf("the helper stopped: %s", msg)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the helper did not get ready in %s (are all peers on the run's network?)", limit)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// output returns the helper's stdout and stderr so far.
func (s *Shaper) output(ctx context.Context) (string, string, error) {
	rc, err := s.cli.ContainerLogs(ctx, s.id, engine.LogsOptions{Stdout: true, Stderr: true})
	if err != nil {
		return "", "", err
	}
	defer rc.Close()
	var out, errOut bytes.Buffer
	if _, err := engine.Demux(&out, &errOut, rc); err != nil {
		return "", "", err
	}
	return out.String(), errOut.String(), nil
}

// Stop ends the helper (its rules go with it), reads its events and
// counters, and removes its container.
func (s *Shaper) Stop(ctx context.Context) error {
	kerr := s.cli.ContainerKill(ctx, s.id, "TERM")
	// Wait for it to exit, so that its last line is written.
	for i := 0; i < 100 && kerr == nil; i++ {
		info, err := s.cli.ContainerInspect(ctx, s.id)
		if err != nil || info.State == nil || !info.State.Running {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	out, _, err := s.output(ctx)
	if err == nil {
		s.raw = out
		s.parse(out)
	}
	return s.remove()
}

func (s *Shaper) parse(out string) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var line struct {
			shape.Event
			Links map[string]shape.Counters `json:"links"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		if line.Kind == "counters" {
			s.Links = line.Links
			continue
		}
		s.Events = append(s.Events, line.Event)
	}
}

func (s *Shaper) remove() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.cli.ContainerRemove(ctx, s.id, true, true); err != nil && !isNotFound(err) {
		return fmt.Errorf("removing the shaping helper %s: %w", s.id, err)
	}
	return nil
}
