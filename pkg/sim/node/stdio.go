package node

import "encoding/json"

// stdioEvent is an event in upstream's stdin/stdout protocol (M3h): its
// adapter maps time_us to timestamp_us, type to event_type, src to source
// and dst to destination, and drops size_bytes and network_metadata.
type stdioEvent struct {
	TimestampUS *int64          `json:"timestamp_us"`
	EventType   string          `json:"event_type"`
	Source      string          `json:"source"`
	Destination *string         `json:"destination"`
	Payload     json.RawMessage `json:"payload"`
}

func fromStdio(in []stdioEvent) []wireEvent {
	out := make([]wireEvent, len(in))
	for i, e := range in {
		out[i] = wireEvent{TimeUS: e.TimestampUS, Type: e.EventType, Src: e.Source, Dst: e.Destination, Payload: e.Payload}
	}
	return out
}
