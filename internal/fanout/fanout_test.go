package fanout

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// TestRunStopsAtTheFirstFailure: after a failure, what is under way
// sees its context cancelled, what has not started does not start, and
// the failure, not a cancellation it caused, is returned.
func TestRunStopsAtTheFirstFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("413 quota exceeded")
	var started atomic.Int32
	err := Run(context.Background(), 10, 2, func(ctx context.Context, i int) error {
		if started.Add(1) == 2 {
			return boom
		}
		<-ctx.Done() // an upload under way, until it is stopped
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Errorf("Run() = %v, want %v", err, boom)
	}
	if n := started.Load(); n > 3 {
		t.Errorf("Run() started %d of 10, want the 2 under way and at most the 1 a slot freed for", n)
	}
	if err := Run(context.Background(), 5, 2, func(context.Context, int) error { return nil }); err != nil {
		t.Errorf("Run() with no failure = %v", err)
	}
}
