package node

import "sync"

// Tail keeps the last bytes written to it, up to its limit: a node's
// output, quoted when it misbehaves. Make one with [NewTail].
type Tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// NewTail keeps the last max bytes.
func NewTail(max int) *Tail { return &Tail{max: max} }
