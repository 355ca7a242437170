package node

import (
	"context"
	"strconv"

	"github.com/xedgesim/simulate/internal/pyfmt"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// Gateway reproduces upstream's reference gateway model: every TRANSMIT it
// receives is processed after a fixed delay and logged; every aggregation
// interval it logs the mean, count, min and max of all readings so far. It
// emits nothing unless forward_to is set.
type Gateway struct {
	id         string
	processing int64
	interval   int64
	forwardTo  string
	sum        SumMode

	q      event.HeapQ
	agg    aggregator
	downAt int64 // Never while up
	stats  Stats
	csv    *csvOut
}

var _ Node = (*Gateway)(nil)

const (
	typeProcess   = "PROCESS"
	typeAggregate = "AGGREGATE"
	typeTransmit  = "TRANSMIT"
)

// NewGateway builds a gateway from a scenario node. Config keys (all
// optional): processing_us, aggregate_interval_s, forward_to.
func NewGateway(n scenario.Node, sum SumMode) (*Gateway, error) {
	c := newConfig(n)
	g := readGateway(c, sum)
	if err := c.err(); err != nil {
		return nil, err
	}
	return g, nil
}

// readGateway reads the gateway's config keys, marking each used.
func readGateway(c *config, sum SumMode) *Gateway {
	n := c.n
	g := &Gateway{
		id:         n.ID,
		processing: int64(c.floatIn("processing_us", 100, 0, MaxConfigUS)),
		interval:   c.micros("aggregate_interval_s", 5, 1e-6),
		sum:        sum,
		stats:      Stats{Model: "gateway"},
	}
	if _, ok := n.Config["forward_to"]; ok {
		g.forwardTo = c.str("forward_to", "")
	}
	return g
}

// WritesCSV implements CSVWriter.
func (g *Gateway) WritesCSV() bool { return true }

// ID implements Node.
func (g *Gateway) ID() string { return g.id }

// Start implements Node.
func (g *Gateway) Start(_ context.Context, env Env) error {
	g.agg = newAggregator(g.sum)
	g.downAt = Never
	if env.CSV != nil {
		g.csv = newCSVOut(env.CSV)
		g.csv.row("time_us", "event_type", "value", "details")
	}
	g.q.Push(event.Event{TimeUS: g.interval, Type: typeAggregate})
	return nil
}

// Advance implements Node: queue a PROCESS for every TRANSMIT delivered,
// then run every internal event earlier than target.
func (g *Gateway) Advance(_ context.Context, target int64, in []event.Event, out []event.Event) ([]event.Event, error) {
	for i := range in {
		e := &in[i]
		if e.Type != typeTransmit {
			continue
		}
		g.stats.MessagesReceived++
		p := g.q.PushAt(e, e.TimeUS+g.processing)
		p.Type = typeProcess
		p.Src, p.Dst = g.id, ""
	}
	for g.q.Len() > 0 && g.q.Peek().TimeUS < min(target, g.downAt) {
		e := g.q.PopRef() // valid until the next Push
		g.stats.Events++
		switch e.Type {
		case typeProcess:
			out = g.process(e, out)
		case typeAggregate:
			g.aggregate(e.TimeUS)
			g.q.Push(event.Event{TimeUS: e.TimeUS + g.interval, Type: typeAggregate})
		}
	}
	return out, nil
}

func (g *Gateway) process(e *event.Event, out []event.Event) []event.Event {
	r := readingOf(e, g.csv != nil)
	g.agg.add(r.sampleID, r.value)
	g.stats.MessagesProcessed++
	if g.csv != nil {
		g.csv.row(strconv.FormatInt(e.TimeUS, 10), "process", r.text, "sample_"+r.sampleText)
	}
	if g.forwardTo != "" {
		f := *e
		f.Type = typeTransmit
		f.Src, f.Dst = g.id, g.forwardTo
		g.stats.MessagesSent++
		out = append(out, f)
	}
	return out
}

func (g *Gateway) aggregate(t int64) {
	if g.agg.count == 0 {
		return
	}
	mean := g.agg.sum() / float64(g.agg.count)
	if g.csv != nil {
		g.csv.row(strconv.FormatInt(t, 10), "aggregate", pyfmt.Repr(mean),
			"count="+strconv.FormatInt(g.agg.count, 10)+
				",min="+strconv.FormatFloat(g.agg.min, 'f', 2, 64)+
				",max="+strconv.FormatFloat(g.agg.max, 'f', 2, 64))
	}
}

// Next implements Node.
func (g *Gateway) Next() int64 {
	if g.q.Len() == 0 || g.downAt != Never {
		return Never
	}
	return g.q.Peek().TimeUS
}

// Crash implements Crasher.
func (g *Gateway) Crash(at int64) { g.downAt = at }

// Restart implements Crasher: readings queued for processing were lost in
// the crash; aggregation resumes on its schedule, skipping what fell while
// down. Readings aggregated before the crash are kept (upstream keeps them
// in memory; a restarted process would not, but nothing upstream persists).
func (g *Gateway) Restart(at int64) {
	g.downAt = Never
	var keep event.HeapQ
	for g.q.Len() > 0 {
		e := g.q.Pop()
		switch {
		case e.Type == typeAggregate:
			if e.TimeUS < at {
				e.TimeUS += (at - e.TimeUS + g.interval - 1) / g.interval * g.interval
			}
			keep.Push(e)
		case e.TimeUS >= at:
			keep.Push(e)
		}
	}
	g.q = keep
}

// Stats implements Node.
func (g *Gateway) Stats() Stats { return g.stats }

// Close implements Node.
func (g *Gateway) Close() error { return g.csv.flush() }
