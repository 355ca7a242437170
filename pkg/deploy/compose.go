package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"go.yaml.in/yaml/v3"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// The compose file on the host is DIR/compose.yaml; the one it replaced
// stays beside it as compose.prev.yaml until the next deploy, for rollback.
const (
	composeFileName = "compose.yaml"
	composePrevName = "compose.prev.yaml"
)

// composeCmd runs the host's compose tool on the project: the docker
// compose plugin when the CLI has it, else docker-compose (v1, as Debian
// packages it). Both read DOCKER_HOST.
func composeCmd(project, dir string, args ...string) string {
	a := append([]string{"-p", project, "-f", composeFileName}, args...)
	q := shell(a...)
	return "cd " + transport.Quote(dir) + " && if docker compose version >/dev/null 2>&1; then docker compose " + q + "; else docker-compose " + q + "; fi"
}

// composeStrategy is strategy compose: the image goes to the host as for
// a container, the compose file with the service's image pinned to it
// goes to DIR/compose.yaml, and the host's compose tool applies it. On a
// failed health check the previous compose file is applied again.
type composeStrategy struct {
	m *manifest.Manifest
	// hadFile tells whether a compose file ran before this deploy: it is
	// then kept as compose.prev.yaml for rollback.
	hadFile bool
	// same says the host already ran what the deploy asked: nothing was
	// changed, so there is nothing to roll back.
	same bool
}

func (cs *composeStrategy) deploy(ctx context.Context, d *hostDeploy, platform string, desc v1.Descriptor) error {
	cm, s := cs.m.Compose, cs.m.Service
	project := s.Name
	if _, err := d.c.Run(ctx, "docker compose version >/dev/null 2>&1 || docker-compose version >/dev/null", nil); err != nil {
		return fmt.Errorf("the host has no compose tool (docker compose or docker-compose): %w", err)
	}
	old, err := composeContainers(ctx, d.c, project, cm.Service)
	if err != nil {
		return err
	}
	if len(old) > 0 {
		d.rep.OldDigest = old[0].Config.Labels[LabelDigest]
	}
	spec := composeSpec(cs.m, d.h)
	if composeRunsAlready(old, d.im.digest, desc.Digest.String(), spec) {
		cs.same = true
		d.unchanged("the compose service " + cm.Service)
		return nil
	}
	imageRef, imageID, err := d.transferImage(ctx, platform, desc)
	if err != nil {
		return err
	}
	// The transfer may have reconnected: d.c is the connection from here.
	c := d.c
	labels := d.labels(desc.Digest.String(), imageID)
	labels[LabelSpec] = spec
	data, err := pinCompose(cm.Data, cm.Service, imageRef, labels)
	if err != nil {
		return &InputError{fmt.Errorf("pinning the image in %s: %w", cm.File, err)}
	}
	if err := d.files(ctx); err != nil {
		return err
	}
	file, prev := cs.files()
	// Keep the file in use (if any) for the rollback, then put the new one
	// in its place.
	out, err := c.Run(ctx, "mkdir -p "+transport.Quote(cm.Dir)+" && if [ -f "+transport.Quote(file)+" ]; then cp -p "+transport.Quote(file)+" "+transport.Quote(prev)+" && echo had; else rm -f "+transport.Quote(prev)+"; fi", nil)
	if err != nil {
		return fmt.Errorf("keeping the previous compose file: %w", err)
	}
	cs.hadFile = strings.TrimSpace(out) == "had"
	d.event("files", "writing %s", file)
	// 0600: a compose file may carry secrets in environment:.
	if err := writeFile(ctx, c, file, data, "0600"); err != nil {
		return err
	}
	d.rep.BytesSent += int64(len(data))

	undo := func(cause error) error { return d.undoFailed(ctx, cause, cs.hadFile, cs.rollback) }
	d.event("create", "applying %s (project %s)", file, project)
	if _, err := c.Run(ctx, composeCmd(project, cm.Dir, "up", "-d", "--remove-orphans"), nil); err != nil {
		return undo(fmt.Errorf("applying the compose file: %w", err))
	}
	d.event("health", "waiting up to %s for %s", s.Health.Timeout, s.Health.Kind())
	if err := waitComposeHealthy(ctx, c, project, cm.Service, d.o.deployID, s.Health); err != nil {
		return undo(&HealthError{Host: d.h.Name, Err: err})
	}
	d.pruneFiles(ctx)
	d.rep.Result = ResultDeployed
	return nil
}

// files are the compose file on the host and the previous one beside it.
func (cs *composeStrategy) files() (file, prev string) {
	return cs.m.Compose.Dir + "/" + composeFileName, cs.m.Compose.Dir + "/" + composePrevName
}

// rollback puts back what ran before: the previous compose file, or no
// project at all.
func (cs *composeStrategy) rollback(ctx context.Context, d *hostDeploy) error {
	cm, s := cs.m.Compose, cs.m.Service
	file, prev := cs.files()
	if cs.same {
		return nil
	}
	if err := d.restoreFiles(ctx); err != nil {
		return err
	}
	if !cs.hadFile {
		_, err := d.c.Run(ctx, composeCmd(s.Name, cm.Dir, "down", "--remove-orphans")+" && rm -f "+transport.Quote(file)+" && { rmdir "+transport.Quote(cm.Dir)+" 2>/dev/null || true; }", nil)
		if err != nil {
			return fmt.Errorf("removing the project: %w", err)
		}
		return nil
	}
	if _, err := d.c.Run(ctx, "mv -f "+transport.Quote(prev)+" "+transport.Quote(file)+" && "+composeCmd(s.Name, cm.Dir, "up", "-d", "--remove-orphans"), nil); err != nil {
		return fmt.Errorf("applying the previous compose file: %w", err)
	}
	if err := waitComposeServing(ctx, d.c, s.Name, cm.Service, s.Health); err != nil {
		return fmt.Errorf("after applying the previous compose file: %w", err)
	}
	return nil
}

// commit has nothing to drop: compose.prev.yaml stays until the next
// deploy.
func (cs *composeStrategy) commit(context.Context, *hostDeploy) error { return nil }

// pinCompose returns the compose file with service's image set to ref and
// labels added to it; the rest of the file (comments included) is kept as
// written, so either compose tool reads it.
func pinCompose(data []byte, service, ref string, labels map[string]string) (string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", err
	}
	if len(doc.Content) == 0 {
		return "", errors.New("the file is empty")
	}
	svc := yamlValue(yamlValue(doc.Content[0], "services"), service)
	if svc == nil || svc.Kind != yaml.MappingNode {
		return "", fmt.Errorf("no service %q", service)
	}
	if img := yamlValue(svc, "image"); img != nil && img.Kind == yaml.ScalarNode {
		// In place, so a comment on the line stays.
		img.Value, img.Tag, img.Style = ref, "!!str", 0
	} else {
		setYAML(svc, "image", &yaml.Node{Kind: yaml.ScalarNode, Value: ref})
	}
	keys := slices.Sorted(maps.Keys(labels))
	l := yamlValue(svc, "labels")
	switch {
	case l == nil || l.Kind == yaml.ScalarNode:
		l = &yaml.Node{Kind: yaml.MappingNode}
		setYAML(svc, "labels", l)
		fallthrough
	case l.Kind == yaml.MappingNode:
		for _, k := range keys {
			setYAML(l, k, &yaml.Node{Kind: yaml.ScalarNode, Value: labels[k], Style: yaml.DoubleQuotedStyle})
		}
	case l.Kind == yaml.SequenceNode:
		var kept []*yaml.Node
		for _, it := range l.Content {
			k, _, _ := strings.Cut(it.Value, "=")
			if _, ours := labels[k]; !ours {
				kept = append(kept, it)
			}
		}
		for _, k := range keys {
			kept = append(kept, &yaml.Node{Kind: yaml.ScalarNode, Value: k + "=" + labels[k], Style: yaml.DoubleQuotedStyle})
		}
		l.Content = kept
	default:
		return "", fmt.Errorf("services.%s.labels is neither a mapping nor a list", service)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Written by xedgesim deploy %s: service %s runs %s.\n", labels[LabelDeployID], service, labels[LabelDigest])
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// yamlValue is the value of key in the mapping n, nil when it has none.
func yamlValue(n *yaml.Node, key string) *yaml.Node {
	if i := yamlKey(n, key); i >= 0 {
		return n.Content[i+1]
	}
	return nil
}

// setYAML sets key in the mapping n to v, adding it when n lacks it.
func setYAML(n *yaml.Node, key string, v *yaml.Node) {
	if i := yamlKey(n, key); i >= 0 {
		n.Content[i+1] = v
		return
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

// yamlKey is the index of key in the mapping n's content, -1 when n is not
// a mapping or has no such key.
func yamlKey(n *yaml.Node, key string) int {
	if n == nil || n.Kind != yaml.MappingNode {
		return -1
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return i
		}
	}
	return -1
}

// composeContainers are the containers of service in project, by the
// labels both compose tools put on them.
func composeContainers(ctx context.Context, c hostConn, project, service string) ([]*container, error) {
	out, err := c.Run(ctx, shell("docker", "ps", "-aq", "--filter", "label=com.docker.compose.project="+project,
		"--filter", "label=com.docker.compose.service="+service), nil)
	if err != nil {
		return nil, fmt.Errorf("listing the containers of %s: %w", project, err)
	}
	ids := strings.Fields(out)
	if len(ids) == 0 {
		return nil, nil
	}
	out, err = c.Run(ctx, shell(append([]string{"docker", "container", "inspect"}, ids...)...), nil)
	if err != nil {
		return nil, fmt.Errorf("inspecting the containers of %s: %w", project, err)
	}
	var cs []*container
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		return nil, fmt.Errorf("inspecting the containers of %s: %w", project, err)
	}
	for _, ct := range cs {
		ct.Name = strings.TrimPrefix(ct.Name, "/")
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs, nil
}

// waitComposeHealthy waits until the service's containers of this deploy
// run and the health check passes; a container that stopped fails at once.
func waitComposeHealthy(ctx context.Context, c hostConn, project, service, deployID string, h manifest.Health) error {
	return poll(ctx, h.Timeout, h.Interval, h.Kind()+" check", func(ctx context.Context) (bool, error) {
		cs, err := composeContainers(ctx, c, project, service)
		if err != nil {
			return false, err
		}
		n := 0
		for _, ct := range cs {
			if ct.Config.Labels[LabelDeployID] != deployID {
				continue
			}
			n++
			if !ct.State.Running && ct.State.Status != "created" {
				return fatal(fmt.Errorf("container %s is %s (exit code %d)", ct.Name, ct.State.Status, ct.State.ExitCode))
			}
		}
		if n == 0 {
			return false, fmt.Errorf("no container of service %s runs this deploy", service)
		}
		err = probe(ctx, c, h)
		return err == nil, err
	})
}

// waitComposeServing waits after a rollback until the service's containers
// run and their published TCP ports answer (the manifest's own check may
// be what failed).
func waitComposeServing(ctx context.Context, c hostConn, project, service string, h manifest.Health) error {
	deadline := time.Now().Add(h.Timeout)
	var cs []*container
	err := poll(ctx, h.Timeout, h.Interval, "the previous service", func(ctx context.Context) (bool, error) {
		var err error
		if cs, err = composeContainers(ctx, c, project, service); err != nil || len(cs) == 0 {
			return false, fmt.Errorf("no container of service %s: %v", service, err)
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	for _, ct := range cs {
		hh := h
		hh.Timeout = max(time.Until(deadline), time.Second)
		if err := waitServing(ctx, c, ct, hh); err != nil {
			return err
		}
	}
	return nil
}

// verify checks the service's containers: they run this digest's image,
// none restarts over the window, and the probe passes.
func (cs *composeStrategy) verify(ctx context.Context, c hostConn, want string) (HostCheck, error) {
	var hc HostCheck
	project, service, h := cs.m.Service.Name, cs.m.Compose.Service, cs.m.Service.Health
	first, err := composeContainers(ctx, c, project, service)
	if err != nil || len(first) == 0 {
		return hc, orCheckError(err, "no container of service %s in compose project %s", service, project)
	}
	hc.Digest = first[0].Config.Labels[LabelDigest]
	hc.DigestMatches = true
	for _, ct := range first {
		if ct.Config.Labels[LabelDigest] != want || ct.Image != ct.Config.Labels[LabelImageID] {
			hc.DigestMatches = false
		}
	}
	if err := sleep(ctx, h.Window); err != nil {
		return hc, err
	}
	second, err := composeContainers(ctx, c, project, service)
	if err != nil {
		return hc, err
	}
	hc.Running = len(second) == len(first)
	hc.RestartsStable = len(second) == len(first)
	for i := range second {
		if !hc.Running {
			break
		}
		a, b := first[i], second[i]
		hc.Running = hc.Running && a.State.Running && b.State.Running
		hc.RestartsStable = hc.RestartsStable && a.ID == b.ID && a.RestartCount == b.RestartCount
	}
	return finishCheck(ctx, c, hc, h, want, checked{what: "the service's containers", is: "are"})
}
