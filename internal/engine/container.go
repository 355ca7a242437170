package engine

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// ContainerConfig is what ContainerCreate sends: the fields of the
// engine's container config, host config and networking config that
// xedgesim sets.
type ContainerConfig struct {
	Image        string              `json:"Image"`
	Env          []string            `json:"Env,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"` // "5000/tcp"
	HostConfig   HostConfig          `json:"HostConfig"`
	// NetworkingConfig, when not nil, attaches the container to networks
	// with settings.
	NetworkingConfig *NetworkingConfig `json:"NetworkingConfig,omitempty"`
	// Platform (os/arch[/variant]), when set, is the platform the image
	// must be for (docker run --platform); it goes in the query.
	Platform string `json:"-"`
}

// HostConfig is the part of ContainerConfig about the host.
type HostConfig struct {
	Binds         []string                 `json:"Binds,omitempty"`
	PortBindings  map[string][]PortBinding `json:"PortBindings,omitempty"` // "5000/tcp"
	Memory        int64                    `json:"Memory,omitempty"`
	NanoCPUs      int64                    `json:"NanoCpus,omitempty"`
	RestartPolicy *RestartPolicy           `json:"RestartPolicy,omitempty"`
	NetworkMode   string                   `json:"NetworkMode,omitempty"`
	CapAdd        []string                 `json:"CapAdd,omitempty"`
	ExtraHosts    []string                 `json:"ExtraHosts,omitempty"` // "name:address"
}

// PortBinding publishes a container port on the host; empty fields leave
// the choice to the engine.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// RestartPolicy is the engine's restart policy: no, always, on-failure or
// unless-stopped.
type RestartPolicy struct {
	Name              string `json:"Name"`
	MaximumRetryCount int    `json:"MaximumRetryCount,omitempty"`
}

// NetworkingConfig attaches a container to networks.
type NetworkingConfig struct {
	EndpointsConfig map[string]EndpointSettings `json:"EndpointsConfig"`
}

// EndpointSettings are a container's settings on one network.
type EndpointSettings struct {
	Aliases []string `json:"Aliases,omitempty"`
}

// ContainerCreate creates a container named name ("" lets the engine name
// it) and returns its ID.
func (c *Client) ContainerCreate(ctx context.Context, name string, cfg ContainerConfig) (string, error) {
	q := url.Values{}
	if name != "" {
		q.Set("name", name)
	}
	if cfg.Platform != "" {
		q.Set("platform", cfg.Platform)
	}
	var out struct {
		ID string `json:"Id"`
	}
	err := c.call(ctx, request{method: http.MethodPost, path: "/containers/create", query: q, body: cfg}, &out)
	return out.ID, err
}

// ContainerStart starts container id; one that runs already is no error.
func (c *Client) ContainerStart(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/start"}, nil)
}

// ContainerPause freezes container id's processes (docker pause).
func (c *Client) ContainerPause(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/pause"}, nil)
}

// ContainerUnpause thaws container id (docker unpause).
func (c *Client) ContainerUnpause(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/unpause"}, nil)
}

// ContainerKill sends signal ("KILL", "TERM", ...) to container id's main
// process.
func (c *Client) ContainerKill(ctx context.Context, id, signal string) error {
	q := url.Values{}
	if signal != "" {
		q.Set("signal", signal)
	}
	return c.call(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/kill", query: q}, nil)
}

// ContainerRemove removes container id; force kills it first if it runs,
// volumes removes its anonymous volumes.
func (c *Client) ContainerRemove(ctx context.Context, id string, force, volumes bool) error {
	q := url.Values{}
	if force {
		q.Set("force", "1")
	}
	if volumes {
		q.Set("v", "1")
	}
	return c.call(ctx, request{method: http.MethodDelete, path: "/containers/" + id, query: q}, nil)
}

// ContainerInfo is what ContainerInspect reads of a container.
type ContainerInfo struct {
	ID              string           `json:"Id"`
	Name            string           `json:"Name"`
	State           *ContainerState  `json:"State"`
	NetworkSettings *NetworkSettings `json:"NetworkSettings"`
	RestartCount    int64            `json:"RestartCount"`
}

// ContainerState is a container's state.
type ContainerState struct {
	Running    bool   `json:"Running"`
	Restarting bool   `json:"Restarting"`
	Pid        int    `json:"Pid"`
	ExitCode   int    `json:"ExitCode"`
	StartedAt  string `json:"StartedAt"`
	OOMKilled  bool   `json:"OOMKilled"`
}

// NetworkSettings holds where a container's ports are published, and its
// address on each network.
type NetworkSettings struct {
	// Ports maps a container port, "5000/tcp", to its host bindings.
	Ports    map[string][]PortBinding `json:"Ports"`
	Networks map[string]struct {
		IPAddress string `json:"IPAddress"`
	} `json:"Networks"`
}

// ContainerInspect returns container id's state and published ports.
func (c *Client) ContainerInspect(ctx context.Context, id string) (ContainerInfo, error) {
	var out ContainerInfo
	err := c.call(ctx, request{method: http.MethodGet, path: "/containers/" + id + "/json"}, &out)
	return out, err
}

// ContainerSummary is what ContainerList reads of a container.
type ContainerSummary struct {
	ID     string            `json:"Id"`
	Names  []string          `json:"Names"`
	Labels map[string]string `json:"Labels"`
}

// ContainerList lists the containers, stopped ones too when all, that
// carry every label given (a key, or key=value).
func (c *Client) ContainerList(ctx context.Context, all bool, labels ...string) ([]ContainerSummary, error) {
	q := labelFilters(labels)
	if all {
		q.Set("all", "1")
	}
	var out []ContainerSummary
	err := c.call(ctx, request{method: http.MethodGet, path: "/containers/json", query: q}, &out)
	return out, err
}

// LogsOptions select a container's log streams and how much of them.
type LogsOptions struct {
	Stdout, Stderr bool
	Tail           string // the last lines: a number, or "all" (the default)
}

// ContainerLogs returns container id's logs. For a container without a
// TTY (all of xedgesim's) they are multiplexed: read them with [Demux].
// The caller closes the stream; the context's end ends it.
func (c *Client) ContainerLogs(ctx context.Context, id string, opts LogsOptions) (io.ReadCloser, error) {
	q := url.Values{}
	if opts.Stdout {
		q.Set("stdout", "1")
	}
	if opts.Stderr {
		q.Set("stderr", "1")
	}
	if opts.Tail != "" {
		q.Set("tail", opts.Tail)
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/containers/" + id + "/logs", query: q})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ExecConfig is a command to run in a container.
type ExecConfig struct {
	Cmd          []string `json:"Cmd"`
	AttachStdin  bool     `json:"AttachStdin,omitempty"`
	AttachStdout bool     `json:"AttachStdout,omitempty"`
	AttachStderr bool     `json:"AttachStderr,omitempty"`
}

// ExecCreate prepares cfg to run in container id and returns the exec's
// ID; ExecStart or ExecAttach runs it.
func (c *Client) ExecCreate(ctx context.Context, id string, cfg ExecConfig) (string, error) {
	var out struct {
		ID string `json:"Id"`
	}
	err := c.call(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/exec", body: cfg}, &out)
	return out.ID, err
}

type execStart struct {
	Detach bool `json:"Detach"`
	Tty    bool `json:"Tty"`
}

// ExecStart starts exec id detached: it runs on its own; ExecInspect
// tells when it ended and how.
func (c *Client) ExecStart(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodPost, path: "/exec/" + id + "/start", body: execStart{Detach: true}}, nil)
}

// ExecInfo is what ExecInspect reads of an exec.
type ExecInfo struct {
	Running  bool `json:"Running"`
	ExitCode int  `json:"ExitCode"`
	Pid      int  `json:"Pid"`
}

// ExecInspect returns whether exec id runs and, once it ended, its exit
// code.
func (c *Client) ExecInspect(ctx context.Context, id string) (ExecInfo, error) {
	var out ExecInfo
	err := c.call(ctx, request{method: http.MethodGet, path: "/exec/" + id + "/json"}, &out)
	return out, err
}
