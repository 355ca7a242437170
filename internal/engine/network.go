package engine

import (
	"context"
	"net/http"
)

// NetworkInfo is what NetworkInspect and NetworkList read of a network.
type NetworkInfo struct {
	ID     string            `json:"Id"`
	Name   string            `json:"Name"`
	Driver string            `json:"Driver"`
	Labels map[string]string `json:"Labels"`
	IPAM   struct {
		Config []struct {
			Subnet  string `json:"Subnet"`
			Gateway string `json:"Gateway"`
		} `json:"Config"`
	} `json:"IPAM"`
	// Internal networks have no route to the outside.
	Internal bool `json:"Internal"`
}

// NetworkCreate creates network name with driver ("bridge") and labels,
// and returns its ID. A name in use is an error (the engine's 409).
func (c *Client) NetworkCreate(ctx context.Context, name, driver string, labels map[string]string) (string, error) {
	body := struct {
		Name   string            `json:"Name"`
		Driver string            `json:"Driver,omitempty"`
		Labels map[string]string `json:"Labels,omitempty"`
		// Engines before API 1.44 allow two networks of one name
		// without it; later ones ignore it and always refuse.
		CheckDuplicate bool `json:"CheckDuplicate"`
	}{name, driver, labels, true}
	var out struct {
		ID string `json:"Id"`
	}
	err := c.call(ctx, request{method: http.MethodPost, path: "/networks/create", body: body}, &out)
	return out.ID, err
}

// NetworkInspect returns network id (an ID or name).
func (c *Client) NetworkInspect(ctx context.Context, id string) (NetworkInfo, error) {
	var out NetworkInfo
	err := c.call(ctx, request{method: http.MethodGet, path: "/networks/" + id}, &out)
	return out, err
}

// NetworkList lists the networks that carry every label given (a key, or
// key=value).
func (c *Client) NetworkList(ctx context.Context, labels ...string) ([]NetworkInfo, error) {
	var out []NetworkInfo
	err := c.call(ctx, request{method: http.MethodGet, path: "/networks", query: labelFilters(labels)}, &out)
	return out, err
}

// NetworkRemove removes network id (an ID or name).
func (c *Client) NetworkRemove(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: "/networks/" + id}, nil)
}
