package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eclipse/paho.golang/autopaho"
	"github.com/eclipse/paho.golang/paho"

	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/node"
)

// ObserverResult is what one observer (observe:) saw of the app under
// test, in wall-clock time from the start of the run's clock to its end.
// Like MQTTResult, it varies from run to run.
type ObserverResult struct {
	Name string `json:"name"`
	// Source says what was observed: "mqtt <node> <topic>" or
	// "http <node>:<port><path> every <interval>".
	Source string `json:"source"`
	// Messages is what arrived: MQTT messages on the topic, or HTTP polls
	// answered with 2xx.
	Messages int64 `json:"messages"`
	// WindowS is how long the observer watched; RatePerS is Messages over
	// it.
	WindowS  float64 `json:"window_s"`
	RatePerS float64 `json:"rate_per_s"`
	// GapMaxS is the longest time without a message, counting from the
	// start of the window and up to its end: what an outage did to the
	// app's output.
	GapMaxS float64 `json:"gap_max_s"`
	// Failed counts HTTP polls that got no 2xx answer; NotJSON messages
	// whose body is no JSON (they count in Messages, not in fields).
	Failed  int64 `json:"failed,omitempty"`
	NotJSON int64 `json:"not_json,omitempty"`
	// Correlated is the number of device readings seen again in the
	// output (correlate:), each once; E2E their latency from the device's
	// send to the observer's receipt, in milliseconds.
	Correlated int64         `json:"correlated,omitempty"`
	E2E        *E2ELatencyMS `json:"e2e_latency_ms,omitempty"`
	// E2EGapMaxS is the longest time in the window in which no new device
	// reading reached the output: how long the app took to recover.
	E2EGapMaxS *float64 `json:"e2e_gap_max_s,omitempty"`
	// Truncated is set when more messages arrived than are kept for the
	// field metrics (maxObserved); the counts stay exact.
	Truncated bool `json:"truncated,omitempty"`
	// Bodies are the parsed JSON bodies in arrival order, for the
	// observed_field_* metrics.
	Bodies []any `json:"-"`
	// Latencies are the end-to-end latencies of the correlated readings.
	Latencies []time.Duration `json:"-"`
	// Arrivals are when the messages arrived (at most maxObserved).
	Arrivals []time.Time `json:"-"`
}

// E2ELatencyMS summarises end-to-end latencies.
type E2ELatencyMS struct {
	Avg float64 `json:"avg"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	Max float64 `json:"max"`
}

// Bounds of what an observer keeps: memory stays bounded whatever the app
// publishes.
const (
	maxObserved     = 100_000
	maxObservedBody = 1 << 20
)

// observers runs the scenario's observers. Readings that devices send are
// reported to it (sent) so that outputs can be correlated with them.
type observers struct {
	list  []*observer
	start time.Time

	mu   sync.Mutex
	sent map[string]time.Time // seq, and device#seq -> first send
}

type observer struct {
	spec  scenario.Observer
	owner *observers

	mu    sync.Mutex
	res   ObserverResult
	times []time.Time
	fresh []time.Time // when a new reading was correlated
	seen  map[string]bool
	done  bool

	stop func()
}

// exposeObserved asks the nodes that HTTP observers poll to publish the
// port, before they start.
func exposeObserved(sc *scenario.Scenario, nodes []node.Node) error {
	for _, o := range sc.Observers {
		if o.HTTP == nil {
			continue
		}
		n := nodeByID(nodes, o.HTTP.Node)
		e, ok := n.(node.Exposer)
		if !ok {
			return fmt.Errorf("%s: observer %q: node %q has no port an observer can reach; observe a docker node", o.Pos, o.Name, o.HTTP.Node)
		}
		e.Expose(o.HTTP.Port)
	}
	return nil
}

func nodeByID(nodes []node.Node, id string) node.Node {
	for _, n := range nodes {
		if n.ID() == id {
			return n
		}
	}
	return nil
}

// startObservers subscribes and starts polling. It returns nil when the
// scenario has no observer.
func startObservers(ctx context.Context, sc *scenario.Scenario, nodes []node.Node) (_ *observers, err error) {
	if len(sc.Observers) == 0 {
		return nil, nil
	}
	obs := &observers{sent: map[string]time.Time{}}
	defer func() {
		if err != nil {
			obs.close()
		}
	}()
	for _, spec := range sc.Observers {
		o := &observer{spec: spec, owner: obs, seen: map[string]bool{}}
		o.res.Name = spec.Name
		obs.list = append(obs.list, o)
		switch {
		case spec.MQTT != nil:
			b, ok := nodeByID(nodes, spec.MQTT.Node).(node.MQTTBroker)
			if !ok || !b.IsMQTTBroker() {
				return nil, fmt.Errorf("%s: observer %q: node %q is no MQTT broker (a broker type, or docker.mqtt_port)", spec.Pos, spec.Name, spec.MQTT.Node)
			}
			o.res.Source = "mqtt " + spec.MQTT.Node + " " + spec.MQTT.Topic
			if err := o.subscribe(ctx, b); err != nil {
				return nil, fmt.Errorf("%s: observer %q: %w", spec.Pos, spec.Name, err)
			}
		case spec.HTTP != nil:
			e := nodeByID(nodes, spec.HTTP.Node).(node.Exposer) // checked by exposeObserved
			h := spec.HTTP
			o.res.Source = fmt.Sprintf("http %s:%d%s every %s", h.Node, h.Port, h.Path, time.Duration(h.IntervalUS)*time.Microsecond)
			o.poll(e)
		}
	}
	obs.start = time.Now()
	return obs, nil
}

// subscribe connects a client that subscribes to the topic on every
// connection: it keeps observing across a broker's restart.
func (o *observer) subscribe(ctx context.Context, b node.MQTTBroker) error {
	m := o.spec.MQTT
	first := make(chan error, 1)
	once := sync.Once{}
	// An observer is no node: no link names it, and it watches through the
	// published port.
	cfg := reconnecting("xedgesim_observe_"+o.spec.Name, dialBroker(b, ""))
	cfg.OnConnectionUp = func(cm *autopaho.ConnectionManager, _ *paho.Connack) {
		go func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := cm.Subscribe(sctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: m.Topic, QoS: byte(m.QoS)}}}) // #nosec G115 -- the loader allows qos 0, 1 or 2 only
			once.Do(func() { first <- err })
		}()
	}
	cfg.OnPublishReceived = []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
		o.record(time.Now(), pr.Packet.Payload)
		return true, nil
	}}
	cm, err := autopaho.NewConnection(context.Background(), cfg)
	if err != nil {
		return fmt.Errorf("connecting to the MQTT broker %q: %w", m.Node, err)
	}
	o.stop = func() {
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = cm.Disconnect(dctx)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case err := <-first:
		if err != nil {
			return fmt.Errorf("subscribing to %s on %q: %w", m.Topic, m.Node, err)
		}
		return nil
	case <-cctx.Done():
		return fmt.Errorf("subscribing to %s on %q: %w", m.Topic, m.Node, cctx.Err())
	}
}

// poll GETs the endpoint every interval until stopped.
func (o *observer) poll(e node.Exposer) {
	h := o.spec.HTTP
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	o.stop = func() { cancel(); <-done }
	interval := time.Duration(h.IntervalUS) * time.Microsecond
	client := &http.Client{Timeout: max(interval, time.Second)}
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			body, err := o.get(ctx, client, e)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				o.mu.Lock()
				o.res.Failed++
				o.mu.Unlock()
			default:
				o.record(time.Now(), body)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

func (o *observer) get(ctx context.Context, client *http.Client, e node.Exposer) ([]byte, error) {
	h := o.spec.HTTP
	addr, err := e.PortAddr(ctx, h.Port)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+h.Path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxObservedBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("GET %s: %s", h.Path, resp.Status)
	}
	return body, nil
}

// record counts a message, keeps its body and correlates it.
func (o *observer) record(at time.Time, payload []byte) {
	var body any
	isJSON := len(payload) <= maxObservedBody && json.Unmarshal(payload, &body) == nil
	var lat []time.Duration
	if isJSON && o.spec.Correlate != nil {
		lat = o.correlate(at, body)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done {
		return
	}
	o.res.Messages++
	if len(o.times) < maxObserved {
		o.times = append(o.times, at)
	} else {
		o.res.Truncated = true
	}
	if !isJSON {
		o.res.NotJSON++
	} else if len(o.res.Bodies) < maxObserved {
		o.res.Bodies = append(o.res.Bodies, body)
	}
	if len(o.res.Latencies) < maxObserved {
		o.res.Latencies = append(o.res.Latencies, lat...)
	}
	if len(lat) > 0 && len(o.fresh) < maxObserved {
		o.fresh = append(o.fresh, at)
	}
}

// correlate finds the readings the body carries (correlate.field, and
// correlate.device when set) that were not seen before, and returns their
// latencies.
func (o *observer) correlate(at time.Time, body any) []time.Duration {
	c := o.spec.Correlate
	var keys []string
	if c.Device == "" {
		for _, v := range Field(body, c.Field) {
			if s, ok := scalarKey(v); ok {
				keys = append(keys, s)
			}
		}
	} else {
		// Device and sequence are read from the same element of every
		// list on the way (a list of per-sensor aggregates).
		keys = pairKeys(body, strings.Split(c.Device, "."), strings.Split(c.Field, "."))
	}
	var out []time.Duration
	for _, k := range keys {
		o.owner.mu.Lock()
		sent, ok := o.owner.sent[k]
		o.owner.mu.Unlock()
		o.mu.Lock()
		fresh := ok && !o.seen[k]
		if fresh {
			o.seen[k] = true
		}
		o.mu.Unlock()
		if fresh && at.After(sent) {
			out = append(out, at.Sub(sent))
		}
	}
	return out
}

// sent records a device reading's send time (the first one for a
// sequence number shared by several devices).
func (obs *observers) sentReading(device string, seq int64, at time.Time) {
	if obs == nil {
		return
	}
	s := strconv.FormatInt(seq, 10)
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.sent) >= 4*maxObserved {
		return
	}
	if _, ok := obs.sent[s]; !ok {
		obs.sent[s] = at
	}
	obs.sent[device+"\x00"+s] = at
}

// observeSettle bounds the wait for the outputs of the last readings of a
// run that was not paced: its clock ran ahead of the wall clock, so they
// are still on their way when it stops.
const (
	observeSettle = 2 * time.Second
	observeQuiet  = 200 * time.Millisecond
)

// finish stops every observer and computes its figures over the window
// from the start of the clock to end. With settle it first waits until no
// observer got a message for observeQuiet (at most observeSettle).
func (obs *observers) finish(end time.Time, settle bool) []ObserverResult {
	if settle {
		count := func() (n int64) {
			for _, o := range obs.list {
				o.mu.Lock()
				n += o.res.Messages
				o.mu.Unlock()
			}
			return n
		}
		deadline := time.Now().Add(observeSettle)
		for last := int64(-1); time.Now().Before(deadline); {
			n := count()
			if n == last {
				break
			}
			last = n
			time.Sleep(observeQuiet)
		}
	}
	obs.close()
	var out []ObserverResult
	for _, o := range obs.list {
		o.mu.Lock()
		o.done = true
		r := o.res
		r.WindowS = end.Sub(obs.start).Seconds()
		if r.WindowS > 0 {
			r.RatePerS = float64(r.Messages) / r.WindowS
		}
		r.GapMaxS = gapMax(obs.start, end, o.times)
		r.Arrivals = slices.Clone(o.times)
		if o.spec.Correlate != nil {
			g := gapMax(obs.start, end, o.fresh)
			r.E2EGapMaxS = &g
		}
		r.Correlated = int64(len(r.Latencies))
		if len(r.Latencies) > 0 {
			r.E2E = e2e(r.Latencies)
		}
		o.mu.Unlock()
		out = append(out, r)
	}
	return out
}

// gapMax is the longest time between start, the times in ts (ascending)
// and end, in seconds, rounded to the millisecond.
func gapMax(start, end time.Time, ts []time.Time) float64 {
	var gap time.Duration
	last := start
	for _, t := range ts {
		if t.After(end) {
			break
		}
		if t.After(last) {
			gap = max(gap, t.Sub(last))
			last = t
		}
	}
	gap = max(gap, end.Sub(last))
	return gap.Round(time.Millisecond).Seconds()
}

func e2e(lat []time.Duration) *E2ELatencyMS {
	s := slices.Clone(lat)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Microsecond)) / 1000 }
	rank := func(q float64) time.Duration { return s[max(int(math.Ceil(q*float64(len(s))))-1, 0)] }
	return &E2ELatencyMS{Avg: ms(sum / time.Duration(len(s))), P50: ms(rank(0.5)), P95: ms(rank(0.95)), Max: ms(s[len(s)-1])}
}

func (obs *observers) close() {
	for _, o := range obs.list {
		if o.stop != nil {
			o.stop()
			o.stop = nil
		}
	}
}

// Field returns the values at a dotted path in a JSON body. A number
// selects a list's element; any other name applied to a list applies to
// every element, so "count" over a list of aggregates gives every count.
func Field(body any, path string) []any {
	return field(body, strings.Split(path, "."))
}

func field(v any, parts []string) []any {
	if len(parts) == 0 {
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		c, ok := x[parts[0]]
		if !ok {
			return nil
		}
		return field(c, parts[1:])
	case []any:
		if i, err := strconv.Atoi(parts[0]); err == nil {
			if i < 0 || i >= len(x) {
				return nil
			}
			return field(x[i], parts[1:])
		}
		var out []any
		for _, e := range x {
			out = append(out, field(e, parts)...)
		}
		return out
	}
	return nil
}

// pairKeys reads device and seq from the same element: it descends the
// common prefix of the two paths, fanning out over lists.
func pairKeys(v any, dev, seq []string) []string {
	if len(dev) > 1 && len(seq) > 1 && dev[0] == seq[0] {
		switch x := v.(type) {
		case map[string]any:
			return pairKeys(x[dev[0]], dev[1:], seq[1:])
		case []any:
			if _, err := strconv.Atoi(dev[0]); err == nil {
				return pairKeys(field(x, dev[:1]), dev[1:], seq[1:])
			}
		}
	}
	if x, ok := v.([]any); ok {
		if _, err := strconv.Atoi(dev[0]); err != nil {
			var out []string
			for _, e := range x {
				out = append(out, pairKeys(e, dev, seq)...)
			}
			return out
		}
	}
	ds, ss := field(v, dev), field(v, seq)
	if len(ds) != 1 || len(ss) != 1 {
		return nil
	}
	d, ok1 := scalarKey(ds[0])
	s, ok2 := scalarKey(ss[0])
	if !ok1 || !ok2 {
		return nil
	}
	return []string{d + "\x00" + s}
}

// scalarKey spells a JSON scalar as a correlation key: integral numbers
// without a fraction, strings as they are.
func scalarKey(v any) (string, bool) {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10), true
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}
