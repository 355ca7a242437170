package deploy

import (
	"context"
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
	return engineOf(c).inspect(ctx, nameOrID)
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
