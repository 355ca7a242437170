package engine

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// NewDialer returns a client of the engine that dial reaches, such as a
// remote host's socket forwarded over SSH (what `docker -H ssh://` gets
// from `docker system dial-stdio`); host names the engine in messages.
// Every request asks dial for a connection unless an idle one is left.
func NewDialer(host string, dial func(ctx context.Context) (net.Conn, error)) *Client {
	c := &Client{host: host, scheme: "http", addr: "docker.sock", dial: dial}
	c.http = &http.Client{Transport: &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return c.dial(ctx) },
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true,
	}}
	return c
}

// ServerVersion is what GET /version reads: the engine's platform.
type ServerVersion struct {
	Os   string `json:"Os"`
	Arch string `json:"Arch"`
}

// ServerVersion returns the engine's OS and architecture (docker version
// --format '{{.Server.Os}}/{{.Server.Arch}}').
func (c *Client) ServerVersion(ctx context.Context) (ServerVersion, error) {
	var out ServerVersion
	err := c.call(ctx, request{method: http.MethodGet, path: "/version"}, &out)
	return out, err
}

// SystemInfo is what GET /info reads: the storage driver's status, the
// machine (uname -m) of the engine's host, and its security options
// ("name=rootless" for an engine in a user namespace).
type SystemInfo struct {
	DriverStatus    [][2]string `json:"DriverStatus"`
	Architecture    string      `json:"Architecture"`
	SecurityOptions []string    `json:"SecurityOptions"`
}

// Info returns the engine's storage status and machine (docker info).
func (c *Client) Info(ctx context.Context) (SystemInfo, error) {
	var out SystemInfo
	err := c.call(ctx, request{method: http.MethodGet, path: "/info"}, &out)
	return out, err
}

// ContainerInspectInto decodes container id's whole inspect answer (docker
// container inspect) into out, for callers that read other fields than
// ContainerInfo's.
func (c *Client) ContainerInspectInto(ctx context.Context, id string, out any) error {
	return c.call(ctx, request{method: http.MethodGet, path: "/containers/" + id + "/json"}, out)
}

// ContainerListFiltered lists the IDs of the containers, stopped ones too,
// that pass filters (the engine's filters: "label" → ["k=v"], "status" →
// ["created"]).
func (c *Client) ContainerListFiltered(ctx context.Context, filters map[string][]string) ([]string, error) {
	q := url.Values{"all": {"1"}}
	if len(filters) > 0 {
		m := map[string]map[string]bool{}
		for k, vs := range filters {
			m[k] = map[string]bool{}
			for _, v := range vs {
				m[k][v] = true
			}
		}
		b, _ := json.Marshal(m)
		q.Set("filters", string(b))
	}
	var out []ContainerSummary
	if err := c.call(ctx, request{method: http.MethodGet, path: "/containers/json", query: q}, &out); err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, s := range out {
		ids[i] = s.ID
	}
	return ids, nil
}

// ContainerStop stops container id (docker stop -t timeout): TERM, and
// KILL after timeout.
func (c *Client) ContainerStop(ctx context.Context, id string, timeout time.Duration) error {
	q := url.Values{"t": {strconv.Itoa(int(timeout / time.Second))}}
	return c.call(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/stop", query: q}, nil)
}

// ContainerRename gives container id the name name.
func (c *Client) ContainerRename(ctx context.Context, id, name string) error {
	q := url.Values{"name": {name}}
	return c.call(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/rename", query: q}, nil)
}

// ContainerUpdateRestart sets container id's restart policy (docker update
// --restart).
func (c *Client) ContainerUpdateRestart(ctx context.Context, id string, p RestartPolicy) error {
	body := struct {
		RestartPolicy RestartPolicy `json:"RestartPolicy"`
	}{p}
	return c.call(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/update", body: body}, nil)
}

// ImageTag tags image src as repo:tag (docker tag).
func (c *Client) ImageTag(ctx context.Context, src, repo, tag string) error {
	q := url.Values{"repo": {repo}, "tag": {tag}}
	return c.call(ctx, request{method: http.MethodPost, path: "/images/" + src + "/tag", query: q}, nil)
}

// ImageSummary is what ImageList reads of an image.
type ImageSummary struct {
	ID       string   `json:"Id"`
	RepoTags []string `json:"RepoTags"`
}

// ImageList lists the images, intermediate ones too when all; reference,
// when not empty, keeps those of that name (docker images REPO).
func (c *Client) ImageList(ctx context.Context, all bool, reference string) ([]ImageSummary, error) {
	q := url.Values{}
	if all {
		q.Set("all", "1")
	}
	if reference != "" {
		b, _ := json.Marshal(map[string]map[string]bool{"reference": {reference: true}})
		q.Set("filters", string(b))
	}
	var out []ImageSummary
	err := c.call(ctx, request{method: http.MethodGet, path: "/images/json", query: q}, &out)
	return out, err
}

// ImageLayers returns image ref's ID and the diff IDs of its layers.
func (c *Client) ImageLayers(ctx context.Context, ref string) (id string, layers []string, err error) {
	var out struct {
		ID     string `json:"Id"`
		RootFS struct {
			Layers []string `json:"Layers"`
		} `json:"RootFS"`
	}
	err = c.call(ctx, request{method: http.MethodGet, path: "/images/" + ref + "/json"}, &out)
	return out.ID, out.RootFS.Layers, err
}
