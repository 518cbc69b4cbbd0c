package followup

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// changeHostedAtCurrent's version 2 (keepTimerVersion): a hosted run keeps
// the timer a wake-up did not move (Options.KeepTimer).
const keepTimerVersion = 2

// waitTimer is what Track's loop waits on for the follow-up's next action:
// a timer of its own, or the embedding workflow's shared alarm
// (Options.Alarms).
type waitTimer struct {
	at     time.Time
	f      workflow.Future
	alarm  bool
	cancel func()
}

// armTimer starts waiting for at.
func armTimer(ctx workflow.Context, opts Options, at time.Time) *waitTimer {
	if opts.Alarms != nil {
		alarm, withdraw := opts.Alarms.At(ctx, at)
		return &waitTimer{at: at, f: alarm, alarm: true, cancel: withdraw}
	}
	tctx, cancel := workflow.WithCancel(ctx)
	return &waitTimer{at: at, f: workflow.NewTimer(tctx, max(0, at.Sub(workflow.Now(ctx)))), cancel: cancel}
}

// rearm is what the loop waits on next: w itself when it is still set for
// next (only Options.KeepTimer keeps one across a wake-up), else a new
// timer for next (none when nothing is left), w stopped.
func (w *waitTimer) rearm(ctx workflow.Context, opts Options, next time.Time, hasNext bool) *waitTimer {
	if w != nil && hasNext && w.at.Equal(next) {
		return w
	}
	w.stop()
	if !hasNext {
		return nil
	}
	return armTimer(ctx, opts, next)
}

// fired reports whether f, w's future, is ready because w fired (a
// cancelled timer is ready too).
func (w *waitTimer) fired(ctx workflow.Context, f workflow.Future) bool {
	return w.alarm || f.Get(ctx, nil) == nil
}

// stop cancels the timer or withdraws the alarm; nil does nothing.
func (w *waitTimer) stop() {
	if w != nil {
		w.cancel()
	}
}
