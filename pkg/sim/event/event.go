package event

import "encoding/json"

// NoNode is the node index of an event whose destination is absent or not a
// node of the scenario.
const NoNode int32 = -1

// Event is a message between nodes or a node's internal event. It mirrors
// upstream's Event dataclass (time_us, type, src, dst, payload, size_bytes)
// with typed fields for the built-in models' payload, so the hot path
// allocates nothing.
type Event struct {
	// TimeUS is the event time in virtual microseconds. For a routed
	// message it is the delivery time (send time plus latency).
	TimeUS int64
	Type   string
	Src    string
	// Dst is the destination node id; empty means none.
	Dst string
	// DstIndex is the destination's node index, or NoNode when Dst names
	// no node. The kernel sets it when it routes the event.
	DstIndex int32
	// SrcIndex is the emitting node's index, set by the kernel.
	SrcIndex  int32
	SizeBytes int

	// Reading is the built-in sensor payload: {"temperature": Value,
	// "unit": Unit, "sample_id": Seq}. Raw, when set, is the payload as a
	// protocol node wrote it and takes precedence.
	Value float64
	Unit  string
	Seq   int64
	Raw   json.RawMessage
	// HasReading tells whether Value/Unit/Seq carry a reading.
	HasReading bool

	// SentUS and LatencyUS are the network metadata of a routed message.
	SentUS    int64
	LatencyUS int64
}
