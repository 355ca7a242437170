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

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// cliEngine runs the docker CLI on the host, one command per call: local
// hosts, and SSH hosts whose engine socket cannot be reached otherwise.
type cliEngine struct{ c hostConn }

func (e cliEngine) close() {}

func (e cliEngine) platform(ctx context.Context) (string, error) {
	return e.c.Run(ctx, "docker version --format '{{.Server.Os}}/{{.Server.Arch}}' && uname -m", nil)
}

func (e cliEngine) inspect(ctx context.Context, nameOrID string) (*container, error) {
	out, err := e.c.Run(ctx, "docker container inspect "+transport.Quote(nameOrID), nil)
	var ce *transport.CommandError
	if errors.As(err, &ce) && strings.Contains(strings.ToLower(ce.Stderr), "no such") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inspecting container %s: %w", nameOrID, err)
	}
	var cs []container
	if err := json.Unmarshal([]byte(out), &cs); err != nil || len(cs) != 1 {
		return nil, fmt.Errorf("inspecting container %s: unexpected output: %v", nameOrID, err)
	}
	cs[0].Name = strings.TrimPrefix(cs[0].Name, "/")
	return &cs[0], nil
}

func (e cliEngine) ports(ctx context.Context, id string) (map[string]int, error) {
	out, err := e.c.Run(ctx, "docker container inspect -f '{{json .NetworkSettings.Ports}}' "+transport.Quote(id), nil)
	if err != nil {
		return nil, err
	}
	var ports map[string][]struct{ HostIP, HostPort string }
	if err := json.Unmarshal([]byte(out), &ports); err != nil {
		return nil, err
	}
	return hostPorts(ports), nil
}

// hostPorts is the first host port of each published container port.
func hostPorts(ports map[string][]struct{ HostIP, HostPort string }) map[string]int {
	bound := map[string]int{}
	for k, bs := range ports {
		for _, b := range bs {
			if n, err := strconv.Atoi(b.HostPort); err == nil && n > 0 {
				bound[k] = n
				break
			}
		}
	}
	return bound
}

// layersScript asks the engine for its storage and every image's layers.
// An image removed between the listing and the inspection is skipped: the
// answer only has to be a subset of what the engine has.
const layersScript = `docker info --format '{{json .DriverStatus}}' || exit 1
docker image ls -aq --no-trunc | sort -u | xargs -r docker image inspect --format '{{.Id}} {{range .RootFS.Layers}}{{.}},{{end}}' 2>/dev/null
true`

func (e cliEngine) layers(ctx context.Context) (*engineLayers, error) {
	out, err := e.c.Run(ctx, layersScript, nil)
	if err != nil {
		return nil, err
	}
	return parseLayers(out), nil
}

func (e cliEngine) imageID(ctx context.Context, ref string) (string, error) {
	id, err := e.c.Run(ctx, "docker image inspect --format '{{.Id}}' "+transport.Quote(ref), nil)
	return strings.TrimSpace(id), err
}

func (e cliEngine) tag(ctx context.Context, src, ref string) error {
	_, err := e.c.Run(ctx, "docker tag "+transport.Quote(src)+" "+transport.Quote(ref), nil)
	return err
}

func (e cliEngine) load(ctx context.Context, tag string, p transport.Payload) (int64, error) {
	_, n, err := e.c.RunWithPayload(ctx, tag, p, "docker load -q -i \"$f\" >&2")
	return n, err
}

func (e cliEngine) create(ctx context.Context, s createSpec) (string, error) {
	args := []string{"docker", "create", "--name", s.name, "--platform", s.platform, "--restart", s.restart}
	for _, k := range slices.Sorted(maps.Keys(s.labels)) {
		args = append(args, "--label", k+"="+s.labels[k])
	}
	for _, p := range s.ports {
		args = append(args, "-p", p)
	}
	for _, v := range s.volumes {
		args = append(args, "-v", v)
	}
	if s.network != "" {
		args = append(args, "--network", s.network)
	}
	var stdin io.Reader
	if len(s.env) > 0 {
		// The values go through stdin into a 0600 file, never into argv
		// where ps shows them.
		stdin = strings.NewReader(dockerEnvFile(s.env))
	}
	if s.memory != "" {
		args = append(args, "--memory", s.memory)
	}
	if s.cpus > 0 {
		args = append(args, "--cpus", strconv.FormatFloat(s.cpus, 'f', -1, 64))
	}
	args = append(args, s.image)
	args = append(args, s.command...)
	out, err := e.c.Run(ctx, withEnvFile(args, stdin != nil), stdin)
	return strings.TrimSpace(out), err
}

func (e cliEngine) start(ctx context.Context, id string) error {
	_, err := e.c.Run(ctx, "docker start "+transport.Quote(id)+" >/dev/null", nil)
	return err
}

func (e cliEngine) stop(ctx context.Context, id string) error {
	_, err := e.c.Run(ctx, fmt.Sprintf("docker stop -t %d %s >/dev/null", int(stopTimeout.Seconds()), transport.Quote(id)), nil)
	return err
}

func (e cliEngine) rename(ctx context.Context, id, name string) error {
	_, err := e.c.Run(ctx, "docker rename "+transport.Quote(id)+" "+transport.Quote(name), nil)
	return err
}

func (e cliEngine) setRestart(ctx context.Context, id, policy string) error {
	_, err := e.c.Run(ctx, "docker update --restart="+transport.Quote(policy)+" "+transport.Quote(id)+" >/dev/null", nil)
	return err
}

func (e cliEngine) remove(ctx context.Context, id string) error {
	_, err := e.c.Run(ctx, "docker rm -f "+transport.Quote(id)+" >/dev/null", nil)
	return err
}

func (e cliEngine) list(ctx context.Context, created bool, labels ...string) ([]string, error) {
	args := []string{"docker", "ps", "-aq", "--no-trunc"}
	for _, l := range labels {
		args = append(args, "--filter", "label="+l)
	}
	if created {
		args = append(args, "--filter", "status=created")
	}
	out, err := e.c.Run(ctx, shell(args...), nil)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

func (e cliEngine) pruneImages(ctx context.Context, repo string, keep []string) error {
	grep := []string{"grep", "-vxF", "-e", "<none>:<none>"}
	for _, r := range keep {
		grep = append(grep, "-e", r)
	}
	script := "docker images --format '{{.Repository}}:{{.Tag}}' " + transport.Quote(repo) +
		" | " + shell(grep...) + " | xargs -r docker image rm >/dev/null 2>&1; true"
	_, err := e.c.Run(ctx, script, nil)
	return err
}
