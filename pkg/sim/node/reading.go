package node

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/xedgesim/simulate/internal/pyfmt"
	"github.com/xedgesim/simulate/pkg/sim/event"
)

// reading is what the gateway takes from a payload: payload.get(
// "temperature", 0) and payload.get("sample_id", 0), with their text as
// Python's csv module would write them. The text is only made when CSV
// output is on: formatting floats dominates the hot path otherwise.
type reading struct {
	value      float64
	text       string
	sampleID   int64
	sampleText string
}

func readingOf(e *event.Event, withText bool) reading {
	if e.Raw == nil && e.HasReading {
		r := reading{value: e.Value, sampleID: e.Seq}
		if withText {
			r.text, r.sampleText = pyfmt.Repr(e.Value), strconv.FormatInt(e.Seq, 10)
		}
		return r
	}
	r := reading{text: "0", sampleText: "0"}
	var p map[string]json.RawMessage
	if json.Unmarshal(e.Raw, &p) != nil {
		return r
	}
	if v, ok := number(p["temperature"]); ok {
		r.value, r.text = v.f, v.text
	}
	if v, ok := number(p["sample_id"]); ok {
		r.sampleID, r.sampleText = int64(v.f), v.text
	}
	return r
}

type num struct {
	f    float64
	text string
}

// number decodes a JSON number, keeping an integer's text as an integer
// (Python writes 21, not 21.0, for an int) and a float's as repr.
func number(raw json.RawMessage) (num, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return num{}, false
	}
	if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return num{f: float64(i), text: string(raw)}, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return num{}, false
	}
	return num{f: f, text: pyfmt.Repr(f)}, true
}

// payloadJSON renders an event's payload as upstream's json.dumps would.
func payloadJSON(e *event.Event) json.RawMessage {
	if e.Raw != nil {
		return e.Raw
	}
	if !e.HasReading {
		return json.RawMessage("null")
	}
	b := make([]byte, 0, 64)
	b = append(b, `{"temperature": `...)
	b = append(b, pyfmt.Repr(e.Value)...)
	b = append(b, `, "unit": `...)
	u, _ := json.Marshal(e.Unit)
	b = append(b, u...)
	b = append(b, `, "sample_id": `...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, '}')
	return b
}
