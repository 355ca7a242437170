package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/xedgesim/simulate/pkg/deploy/manifest"
)

// TestUndoContext: putting a host back goes on after the run is cancelled,
// but ends within its bound: the SSH timeout twice, the health check's and
// two minutes.
func TestUndoContext(t *testing.T) {
	t.Parallel()
	m := &manifest.Manifest{}
	m.SSH.Timeout = 10 * time.Second
	m.Service.Health.Timeout = 30 * time.Second
	parent, cancelParent := context.WithCancel(context.Background())
	cancelParent()
	start := time.Now()
	ctx, cancel := undoContext(parent, m)
	defer cancel()
	if err := ctx.Err(); err != nil {
		t.Fatalf("the undo's context after the run was cancelled: %v, want it live", err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		t.Fatal("the undo's context has no deadline")
	}
	want := 2*10*time.Second + 30*time.Second + 2*time.Minute
	if got := deadline.Sub(start); got < want-time.Second || got > want+time.Second {
		t.Errorf("the undo's context ends after %s, want %s", got, want)
	}
}
