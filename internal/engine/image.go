package engine

import (
	"context"
	"io"
	"net/http"
	"net/url"
)

// ImageInfo is what ImageInspect reads of an image.
type ImageInfo struct {
	ID          string   `json:"Id"`
	RepoTags    []string `json:"RepoTags"`
	RepoDigests []string `json:"RepoDigests"`
	// Os, Architecture and Variant are the platform the image is for.
	Os           string `json:"Os"`
	Architecture string `json:"Architecture"`
	Variant      string `json:"Variant,omitempty"`
}

// ImageInspect returns the image ref (a name, name:tag, name@digest or
// ID) names; an image the engine does not have is ErrNotFound.
func (c *Client) ImageInspect(ctx context.Context, ref string) (ImageInfo, error) {
	var out ImageInfo
	err := c.call(ctx, request{method: http.MethodGet, path: "/images/" + ref + "/json"}, &out)
	return out, err
}

// ImageLoad loads a docker-save archive (docker load -q) and returns the
// engine's answer: a stream of JSON messages, {"stream": "Loaded image:
// ..."} or {"error": ...}. The caller reads it to the end and closes it;
// the load is done then.
func (c *Client) ImageLoad(ctx context.Context, archive io.Reader) (io.ReadCloser, error) {
	q := url.Values{"quiet": {"1"}}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/images/load", query: q, body: archive,
		header: http.Header{"Content-Type": {"application/x-tar"}}})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ImageRemove untags and removes image ref and its untagged parents; an
// image a container uses is ErrConflict.
func (c *Client) ImageRemove(ctx context.Context, ref string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: "/images/" + ref}, nil)
}

// ImageSave streams the docker-save archive of ref (docker save ref). The
// caller reads it to the end and closes it; an engine error that happens
// after the first bytes shows as a truncated archive.
func (c *Client) ImageSave(ctx context.Context, ref string) (io.ReadCloser, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/images/" + ref + "/get"})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
