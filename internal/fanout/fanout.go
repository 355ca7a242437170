package fanout

import (
	"context"
	"errors"
	"sync"
)

// Run runs do for 0..n-1, at most limit at a time, and returns the first
// error in order, as if they had run one by one: round trips that need not
// wait for each other. The first failure stops the rest: those not started
// are not, and those under way see ctx cancelled (a child of an index
// uploading its layers must not go on for minutes after another failed).
func Run(ctx context.Context, n, limit int, do func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			if errs[i] = do(ctx, i); errs[i] != nil {
				cancel(errStopped)
			}
		})
	}
	wg.Wait()
	stopped := errors.Is(context.Cause(ctx), errStopped)
	for _, err := range errs {
		// Once stopped, a cancellation only repeats another's failure.
		if err != nil && !(stopped && errors.Is(err, context.Canceled)) {
			return err
		}
	}
	return nil
}

// errStopped is Run's cause for cancelling the work under way.
var errStopped = errors.New("stopped after another request failed")
