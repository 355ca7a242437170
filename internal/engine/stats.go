package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// ContainerStats is one sample of a container's resource use, the fields
// of the engine's stats that xedgesim reads.
type ContainerStats struct {
	Read        time.Time `json:"read"`
	MemoryStats struct {
		Usage uint64            `json:"usage"`
		Limit uint64            `json:"limit"`
		Stats map[string]uint64 `json:"stats"`
	} `json:"memory_stats"`
	CPUStats struct {
		CPUUsage struct {
			TotalUsage uint64 `json:"total_usage"` // nanoseconds
		} `json:"cpu_usage"`
		OnlineCPUs uint32 `json:"online_cpus"`
	} `json:"cpu_stats"`
}

// MemoryUsed is the memory the container uses as `docker stats` counts
// it: the usage less the page cache the kernel can drop at once
// (inactive_file on cgroup v2, total_inactive_file on v1).
func (s ContainerStats) MemoryUsed() uint64 {
	m := s.MemoryStats
	for _, k := range []string{"inactive_file", "total_inactive_file"} {
		if v, ok := m.Stats[k]; ok && v <= m.Usage {
			return m.Usage - v
		}
	}
	return m.Usage
}

// ContainerStats takes one sample of container id's resource use
// (one-shot: no wait for a second sample).
func (c *Client) ContainerStats(ctx context.Context, id string) (ContainerStats, error) {
	var out ContainerStats
	q := url.Values{"stream": {"false"}, "one-shot": {"true"}}
	err := c.call(ctx, request{method: http.MethodGet, path: "/containers/" + id + "/stats", query: q}, &out)
	return out, err
}

// unixNano spells t as the engine's seconds.nanoseconds.
func unixNano(t time.Time) string {
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
}

// Event is one of the engine's events, the fields xedgesim reads.
type Event struct {
	Type   string `json:"Type"`
	Action string `json:"Action"`
	Actor  struct {
		ID string `json:"ID"`
	} `json:"Actor"`
	TimeNano int64 `json:"timeNano"`
}

// Events returns the container events with the given actions (oom, die,
// restart, ...) of container id between since and until. until must not be
// in the future: the engine then streams until it comes.
func (c *Client) Events(ctx context.Context, id string, since, until time.Time, actions ...string) ([]Event, error) {
	filters, err := json.Marshal(map[string][]string{"container": {id}, "type": {"container"}, "event": actions})
	if err != nil {
		return nil, err
	}
	q := url.Values{
		"since":   {unixNano(since)},
		"until":   {unixNano(until)},
		"filters": {string(filters)},
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/events", query: q})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []Event
	dec := json.NewDecoder(io.LimitReader(resp.Body, 16<<20))
	for {
		var e Event
		if err := dec.Decode(&e); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, e)
	}
}
