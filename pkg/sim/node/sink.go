package node

import (
	"context"

	"github.com/xedgesim/simulate/pkg/sim/event"
)

// Sink receives and counts messages and does nothing else. It stands for
// nodes upstream has no model for (a cloud, a broker run as python_model).
type Sink struct {
	id    string
	stats Stats
}

var _ Node = (*Sink)(nil)

// NewSink returns a sink node.
func NewSink(id string) *Sink { return &Sink{id: id, stats: Stats{Model: "sink"}} }

// WritesCSV implements CSVWriter: a sink's file is its own, and empty
// because it writes no rows, as it always was.
func (s *Sink) WritesCSV() bool { return true }

// ID implements Node.
func (s *Sink) ID() string { return s.id }

// Start implements Node.
func (s *Sink) Start(context.Context, Env) error { return nil }

// Advance implements Node.
func (s *Sink) Advance(_ context.Context, _ int64, in []event.Event, out []event.Event) ([]event.Event, error) {
	s.stats.MessagesReceived += int64(len(in))
	s.stats.MessagesProcessed += int64(len(in))
	return out, nil
}

// Next implements Node.
func (s *Sink) Next() int64 { return Never }

// Stats implements Node.
func (s *Sink) Stats() Stats { return s.stats }

// Close implements Node.
func (s *Sink) Close() error { return nil }
