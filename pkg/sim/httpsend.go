package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// HTTPSender is what one built-in sensor sent to an app over HTTP
// (config.http): wall-clock, like MQTT.
type HTTPSender struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	// URL is config.http.url as written (a template).
	URL string `json:"url"`
	// Sent counts the requests made, OK those answered 2xx, Failed the
	// others (no connection, timeout, another status); LastError says why
	// the last one failed.
	Sent      int64  `json:"sent"`
	OK        int64  `json:"ok"`
	Failed    int64  `json:"failed,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

const (
	// httpInFlight bounds the requests in flight: a slow app makes the
	// sensors wait, as a device's client would, instead of piling up.
	httpInFlight = 32
	// httpTimeout bounds one request.
	httpTimeout = 5 * time.Second
)

// httpBus sends the readings of the sensors with config.http, a group's
// devices included.
type httpBus struct {
	senders map[int32]*httpSender
	res     []HTTPSender
	client  *http.Client
	sem     chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	obs     *observers
}

type httpSender struct {
	id, sensorType string
	spec           node.SensorHTTP
	// target is the docker node the URL's host names, reached at its
	// published address; nil for any other host.
	target node.Exposer
	// client, when the target is a container, connects as the sensor
	// (node.FromDialer), so that its links to the target act on the
	// requests; nil: the bus's.
	client *http.Client
	n      int // index in res
}

// sends tells whether node i sends its readings over HTTP.
func (hb *httpBus) sends(i int32) bool {
	if hb == nil {
		return false
	}
	_, ok := hb.senders[i]
	return ok
}

// httpTarget is the node a config.http URL's host names, and the port.
func httpTarget(raw string, nodes []node.Node) (node.Node, int, error) {
	u, err := url.Parse(node.Render(raw, "id", "type", 1, 1, 1))
	if err != nil {
		return nil, 0, err
	}
	n := nodeByID(nodes, u.Hostname())
	if n == nil {
		return nil, 0, nil
	}
	port := 80
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, 0, err
		}
	}
	return n, port, nil
}

// httpTargets finds the node of each config.http URL once: a group's
// devices share their URL, and each lookup scans the nodes.
type httpTargets struct {
	nodes []node.Node
	seen  map[string]httpTargetOf
}

type httpTargetOf struct {
	n    node.Node
	port int
	err  error
}

func newHTTPTargets(nodes []node.Node) *httpTargets {
	return &httpTargets{nodes: nodes, seen: map[string]httpTargetOf{}}
}

// of is httpTarget(raw, the nodes), remembered.
func (ts *httpTargets) of(raw string) (node.Node, int, error) {
	t, ok := ts.seen[raw]
	if !ok {
		t.n, t.port, t.err = httpTarget(raw, ts.nodes)
		ts.seen[raw] = t
	}
	return t.n, t.port, t.err
}

// exposeHTTPTargets publishes, before the containers are made, the ports
// of docker nodes that sensors send to over HTTP.
func exposeHTTPTargets(sc *scenario.Scenario, nodes []node.Node) error {
	targets := newHTTPTargets(nodes)
	for _, n := range nodes {
		s, ok := n.(node.Publisher)
		if !ok || s.HTTP() == nil {
			continue
		}
		t, port, err := targets.of(s.HTTP().URL)
		if err != nil || t == nil {
			continue // checked when the config was read; another host
		}
		e, ok := t.(node.Exposer)
		if !ok {
			return fmt.Errorf("%s: node %q: config.http.url: node %q has no port a sensor can reach; send to a docker node, or to a host and port", posOf(sc, s.ID()), s.ID(), t.ID())
		}
		e.Expose(port)
	}
	return nil
}

// posOf is where node id, or the group it is a device of, is written in
// the scenario.
func posOf(sc *scenario.Scenario, id string) scenario.Pos {
	for _, n := range sc.Nodes {
		if _, member := n.Member(id); n.ID == id || member {
			if p, ok := n.ConfigPos["http"]; ok {
				return p
			}
			return n.Pos
		}
	}
	return sc.Simulation.Pos
}

// startHTTP returns the sender of the sensors with config.http; nil when
// there is none.
func startHTTP(nodes []node.Node) *httpBus {
	var hb *httpBus
	targets := newHTTPTargets(nodes)
	shared := map[*node.SensorGroup]*http.Client{}
	for i, n := range nodes {
		s, ok := n.(node.Publisher)
		if !ok || s.HTTP() == nil {
			continue
		}
		if hb == nil {
			hb = &httpBus{senders: map[int32]*httpSender{}, sem: make(chan struct{}, httpInFlight),
				client: &http.Client{Timeout: httpTimeout}}
		}
		spec := *s.HTTP()
		hs := &httpSender{id: s.ID(), sensorType: s.SensorType(), spec: spec, n: len(hb.res)}
		if t, port, err := targets.of(spec.URL); err == nil && t != nil {
			hs.target, _ = t.(node.Exposer)
			if fd, ok := t.(node.FromDialer); ok {
				hs.client = fromClient(s, fd, port, shared)
			}
		}
		hb.senders[int32(i)] = hs
		hb.res = append(hb.res, HTTPSender{ID: s.ID(), Method: spec.Method, URL: spec.URL})
	}
	return hb
}

// senderKey is the context key of the sensor a request is from, for a
// group's shared client (fromClient).
type senderKey struct{}

// fromClient returns the client that connects to a container as sensor s
// does, so that its links act on the requests. A single sensor has its
// own, which keeps connections for the next reading; a group's devices
// share one, which opens a connection per request (as a device that wakes
// to send does, and a million idle connections would not fit) dialled as
// the device the request is from.
func fromClient(s node.Publisher, fd node.FromDialer, port int, shared map[*node.SensorGroup]*http.Client) *http.Client {
	d, ok := s.(*node.GroupSensor)
	if !ok {
		id := s.ID()
		return &http.Client{Timeout: httpTimeout, Transport: &http.Transport{
			MaxIdleConnsPerHost: httpInFlight,
			DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return fd.DialFrom(ctx, id, port) },
		}}
	}
	if c, ok := shared[d.Group()]; ok {
		return c
	}
	c := &http.Client{Timeout: httpTimeout, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			id, _ := ctx.Value(senderKey{}).(string)
			return fd.DialFrom(ctx, id, port)
		},
	}}
	shared[d.Group()] = c
	return c
}

// emitted sends the readings node i emitted in a step, each in its own
// request, at most httpInFlight at a time.
func (hb *httpBus) emitted(ctx context.Context, i int32, evs []event.Event) error {
	s, ok := hb.senders[i]
	if !ok {
		return nil
	}
	for j := range evs {
		e := &evs[j]
		if !e.HasReading || e.Type != "TRANSMIT" {
			continue
		}
		var body []byte
		if s.spec.Method != http.MethodGet {
			b, err := readingBody(s.spec.Body, s.id, s.sensorType, e)
			if err != nil {
				return err
			}
			body = b
		}
		raw := node.Render(s.spec.URL, s.id, s.sensorType, e.Seq, e.Value, e.TimeUS)
		select {
		case hb.sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		hb.obs.sentReading(s.id, e.Seq, time.Now())
		hb.mu.Lock()
		hb.res[s.n].Sent++
		hb.mu.Unlock()
		hb.wg.Add(1)
		go func() {
			defer hb.wg.Done()
			defer func() { <-hb.sem }()
			err := hb.send(ctx, s, raw, body)
			hb.mu.Lock()
			defer hb.mu.Unlock()
			if err != nil {
				hb.res[s.n].Failed++
				hb.res[s.n].LastError = err.Error()
			} else {
				hb.res[s.n].OK++
			}
		}()
	}
	return nil
}

// send makes one request; a URL whose host is a docker node goes to the
// address its port is published on now (a restarted container may have
// another).
func (hb *httpBus) send(ctx context.Context, s *httpSender, raw string, body []byte) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	client := hb.client
	if s.client != nil {
		client = s.client // it dials the container itself
	} else if s.target != nil {
		port := 80
		if u.Scheme == "https" {
			port = 443
		}
		if p := u.Port(); p != "" {
			port, _ = strconv.Atoi(p)
		}
		addr, err := s.target.PortAddr(ctx, port)
		if err != nil {
			return err
		}
		u.Host = addr
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, senderKey{}, s.id), s.spec.Method, u.String(), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("%s %s: no answer within %s", s.spec.Method, raw, httpTimeout)
		}
		return fmt.Errorf("%s %s: %w", s.spec.Method, raw, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", s.spec.Method, raw, resp.Status)
	}
	return nil
}

// finish waits for the requests in flight, at most timeout, and returns
// what was sent. A request still open then counts as failed.
func (hb *httpBus) finish(timeout time.Duration) []HTTPSender {
	done := make(chan struct{})
	go func() { hb.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
	}
	hb.mu.Lock()
	defer hb.mu.Unlock()
	out := append([]HTTPSender(nil), hb.res...)
	for i := range out {
		if open := out[i].Sent - out[i].OK - out[i].Failed; open > 0 {
			out[i].Failed += open
			out[i].LastError = fmt.Sprintf("%d requests still unanswered when the run ended", open)
		}
	}
	return out
}

// emitters calls each of fs in turn; nil when there is none.
func emitters(fs ...func(context.Context, int32, []event.Event) error) func(context.Context, int32, []event.Event) error {
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	return func(ctx context.Context, i int32, evs []event.Event) error {
		for _, f := range fs {
			if err := f(ctx, i, evs); err != nil {
				return err
			}
		}
		return nil
	}
}
