package sim

import "github.com/xedgesim/simulate/pkg/sim/event"

// wake is a node's next internal event. The heap orders them by time, then
// node index; entries go stale when a node's next time changes, and the
// kernel checks them against its record when popping.
type wake struct {
	t   int64
	idx int32
}

func (a wake) Before(b wake) bool {
	if a.t != b.t {
		return a.t < b.t
	}
	return a.idx < b.idx
}

type wakeHeap = event.MinHeap[wake]
