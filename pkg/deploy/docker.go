package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/xedgesim/simulate/pkg/deploy/transport"
)

// container is the part of `docker inspect` deploy reads.
type container struct {
	ID           string `json:"Id"`
	Name         string
	Image        string
	RestartCount int
	State        struct {
		Status   string
		Running  bool
		ExitCode int
	}
	Config struct {
		Labels map[string]string
	}
	HostConfig struct {
		PortBindings  map[string][]struct{ HostIP, HostPort string }
		RestartPolicy struct {
			Name              string
			MaximumRetryCount int
		}
	}
}

// inspect returns the container of that name or id, or nil when there is
// none.
func inspect(ctx context.Context, c hostConn, nameOrID string) (*container, error) {
	out, err := c.Run(ctx, "docker container inspect "+transport.Quote(nameOrID), nil)
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

// shell quotes args into one command line.
func shell(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = transport.Quote(a)
	}
	return strings.Join(q, " ")
}

// restartPolicy is the container's --restart value.
func (c *container) restartPolicy() string {
	p := c.HostConfig.RestartPolicy
	switch {
	case p.Name == "":
		return "no"
	case p.Name == "on-failure" && p.MaximumRetryCount > 0:
		return fmt.Sprintf("on-failure:%d", p.MaximumRetryCount)
	}
	return p.Name
}
