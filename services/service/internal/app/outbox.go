package app

import (
	"context"
	"time"
)

// outboxLoop runs pass every interval, and at once when kick fires (an
// answer stored work for it), until ctx ends: the background half of an
// outbox whose rows are written in the transaction of the change and
// handed on by pass. off (no engine to hand them to, a non-positive
// interval) waits for the end without passing.
func outboxLoop(ctx context.Context, interval time.Duration, off bool, kick <-chan struct{}, pass func(context.Context)) error {
	if off || interval <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-kick:
		}
		pass(ctx)
	}
}
