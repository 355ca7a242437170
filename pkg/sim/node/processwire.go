package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/xedgesim/simulate/internal/pyfmt"
	"github.com/xedgesim/simulate/pkg/scenario"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// wireEvent is upstream's Event dataclass as JSON (dataclasses.asdict).
type wireEvent struct {
	TimeUS    *int64          `json:"time_us"`
	Type      string          `json:"type"`
	Src       string          `json:"src"`
	Dst       *string         `json:"dst"`
	Payload   json.RawMessage `json:"payload"`
	SizeBytes int             `json:"size_bytes"`
}

// Send implements External. The events line is what upstream's
// coordinator writes (json.dumps of dataclasses.asdict): keys in the
// dataclass's order, Python's spacing, network_metadata when asked for.
func (p *Process) Send(ctx context.Context, target int64, in []event.Event) error {
	p.stats.MessagesReceived += int64(len(in))
	b := append(p.buf[:0], "ADVANCE "...)
	b = strconv.AppendInt(b, target, 10)
	b = append(b, '\n', '[')
	var err error
	for i := range in {
		if i > 0 {
			b = append(b, ", "...)
		}
		if b, err = p.appendEvent(b, &in[i]); err != nil {
			return p.errorf("encoding events: %w", err)
		}
	}
	b = append(b, ']', '\n')
	p.buf = b
	p.watch(ctx)
	return p.cancelled(ctx, p.send(string(b)))
}

func (p *Process) appendEvent(b []byte, e *event.Event) ([]byte, error) {
	keys := [...]string{`{"time_us": `, `, "type": `, `, "src": `, `, "dst": `, `, "payload": `}
	if p.stdio {
		// The stdin/stdout adapter renames the keys and drops size_bytes
		// and network_metadata.
		keys = [...]string{`{"timestamp_us": `, `, "event_type": `, `, "source": `, `, "destination": `, `, "payload": `}
	}
	b = append(b, keys[0]...)
	b = strconv.AppendInt(b, e.TimeUS, 10)
	b = append(b, keys[1]...)
	b = appendPyString(b, e.Type)
	b = append(b, keys[2]...)
	b = appendPyString(b, e.Src)
	b = append(b, keys[3]...)
	if e.Dst == "" {
		b = append(b, "null"...)
	} else {
		b = appendPyString(b, e.Dst)
	}
	b = append(b, keys[4]...)
	var err error
	if b, err = appendPyRaw(b, payloadJSON(e)); err != nil {
		return b, err
	}
	if p.stdio {
		return append(b, '}'), nil
	}
	b = append(b, `, "size_bytes": `...)
	b = strconv.AppendInt(b, int64(e.SizeBytes), 10)
	if p.netMeta {
		b = append(b, `, "network_metadata": `...)
		if loss, ok := p.lossOf(e.Src, e.Dst); ok {
			// The latency model's metadata; the direct model's is {}.
			b = append(b, `{"latency_us": `...)
			b = strconv.AppendInt(b, e.LatencyUS, 10)
			b = append(b, `, "sent_time_us": `...)
			b = strconv.AppendInt(b, e.SentUS, 10)
			b = append(b, `, "delivery_time_us": `...)
			b = strconv.AppendInt(b, e.TimeUS, 10)
			b = append(b, `, "loss_rate": `...)
			b = pyfmt.AppendRepr(b, loss)
			b = append(b, '}')
		} else {
			b = append(b, "{}"...)
		}
	}
	return append(b, '}'), nil
}

// lossRates returns the loss rate of the link (src, dst) as upstream's
// latency model reports it in network_metadata, and false on the direct
// model, which reports no metadata.
func lossRates(n scenario.Network) func(src, dst string) (float64, bool) {
	if n.Model != scenario.ModelLatency {
		return func(string, string) (float64, bool) { return 0, false }
	}
	links := map[[2]string]float64{}
	for _, l := range n.Links {
		links[[2]string{l.Src, l.Dst}] = l.LossRate
		if l.Bidirectional {
			links[[2]string{l.Dst, l.Src}] = l.LossRate
		}
	}
	return func(src, dst string) (float64, bool) {
		if r, ok := links[[2]string{src, dst}]; ok {
			return r, true
		}
		return n.DefaultLossRate, true
	}
}

// Advance implements Node: wait for DONE and the emitted events. Send must
// have been called for this step.
func (p *Process) Advance(ctx context.Context, target int64, _ []event.Event, out []event.Event) ([]event.Event, error) {
	p.watch(ctx)
	line, err := p.readLine("DONE")
	if err != nil {
		return out, p.cancelled(ctx, err)
	}
	if msg, ok := strings.CutPrefix(line, "ERROR "); ok && p.stdio {
		return out, p.errorf("ADVANCE %d: the node says: %s", target, clip(msg))
	}
	if line != "DONE" {
		return out, p.errorf("expected DONE for ADVANCE %d, got %q", target, clip(line))
	}
	line, err = p.readLine("the events line after DONE")
	if err != nil {
		return out, p.cancelled(ctx, err)
	}
	var wire []wireEvent
	if p.stdio {
		var se []stdioEvent
		err = json.Unmarshal([]byte(line), &se)
		wire = fromStdio(se)
	} else {
		err = json.Unmarshal([]byte(line), &wire)
	}
	if err != nil {
		return out, p.errorf("decoding events after DONE: %v (line %q)", err, clip(line))
	}
	for i, w := range wire {
		if w.TimeUS == nil {
			return out, p.errorf("event %d after DONE has no time_us", i)
		}
		if w.Type == "" {
			return out, p.errorf("event %d after DONE has no type", i)
		}
		e := event.Event{TimeUS: *w.TimeUS, Type: w.Type, Src: w.Src, SizeBytes: w.SizeBytes}
		if e.Src == "" {
			e.Src = p.id
		}
		if w.Dst != nil {
			e.Dst = *w.Dst
		}
		if len(w.Payload) > 0 && !bytes.Equal(w.Payload, []byte("null")) {
			e.Raw = w.Payload
		}
		out = append(out, e)
		p.stats.MessagesSent++
	}
	p.stats.Events++
	return out, nil
}

func (p *Process) send(s string) error { return p.sendWithin(s, p.timeout) }

// sendWithin writes s, failing after d.
func (p *Process) sendWithin(s string, d time.Duration) error {
	if err := p.conn.SetWriteDeadline(time.Now().Add(d)); err != nil {
		return p.errorf("setting write deadline: %w", err)
	}
	p.honourCancel()
	if _, err := p.w.WriteString(s); err != nil {
		return p.errorf("writing to node: %w", err)
	}
	if err := p.w.Flush(); err != nil {
		return p.errorf("writing to node: %w", err)
	}
	return nil
}

func (p *Process) readLine(what string) (string, error) {
	if err := p.conn.SetReadDeadline(time.Now().Add(p.timeout)); err != nil {
		return "", p.errorf("setting read deadline: %w", err)
	}
	p.honourCancel()
	line, err := boundedLine(p.r, maxLineBytes)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "", p.errorf("no %s within %s", what, p.timeout)
		}
		if errors.Is(err, errLineTooLong) {
			return "", p.errorf("waiting for %s: %w", what, err)
		}
		if line == "" {
			return "", p.errorf("connection closed while waiting for %s", what)
		}
	}
	return strings.TrimSpace(line), nil
}
