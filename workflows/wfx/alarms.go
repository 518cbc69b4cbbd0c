package wfx

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Alarms lets the goroutines of one workflow wait for instants on a single
// Temporal timer: the earliest instant anyone waits for.
//
// Why: a workflow that embeds chases (a case's loop and its targets' Track,
// a slip's recipients) often waits for the same instant in several places —
// the case's deadline in its loop and the first ladder step of its
// follow-up, three recipients' deadlines counted from the same receipt. Each
// workflow.NewTimer is a timer of its own on the server, and the server fires
// a workflow's timers one task at a time: when the first fires, the task for
// the next one — due a few milliseconds later, because each timer's expiry
// is counted from when its command was processed — is scheduled at least
// history.timerProcessorMaxTimeShift (1 s by default) ahead, and the second
// wait ends a second late. Measured in BenchmarkCaseBreaches: the reminder
// of about one case in twenty came 0.9–1.2 s after its deadline although
// the breach, on the loop's timer, came within 120 ms. One timer per workflow
// has no second timer to delay: everyone due when it fires wakes in the same
// workflow task.
//
// At and Until are called from workflow code; the alarms' goroutine keeps
// one timer armed for the earliest pending instant and re-arms it as
// instants are added and reached. It is deterministic like any workflow
// code: the same calls replay to the same timers.
type Alarms struct {
	pending []*alarm
	poke    workflow.Channel // the pending set changed
}

type alarm struct {
	at  time.Time
	set workflow.Settable
}

// NewAlarms starts the alarms of a workflow (one per workflow run).
func NewAlarms(ctx workflow.Context) *Alarms {
	a := &Alarms{poke: workflow.NewBufferedChannel(ctx, 1)}
	workflow.Go(ctx, a.run)
	return a
}

// At returns a future that is ready at instant at (at once when at has
// passed) and a function that withdraws the wait (calling it after the
// future is ready does nothing).
func (a *Alarms) At(ctx workflow.Context, at time.Time) (workflow.Future, func()) {
	f, set := workflow.NewFuture(ctx)
	if !at.After(workflow.Now(ctx)) {
		set.Set(nil, nil)
		return f, func() {}
	}
	e := &alarm{at: at, set: set}
	a.pending = append(a.pending, e)
	a.poke.SendAsync(struct{}{})
	return f, func() { a.drop(e) }
}

// Until waits until cond is true or instant at has come, like
// workflow.AwaitWithTimeout: ok is true when cond became true (and false
// when the instant came first).
func (a *Alarms) Until(ctx workflow.Context, at time.Time, cond func() bool) (ok bool, err error) {
	f, cancel := a.At(ctx, at)
	defer cancel()
	if err := workflow.Await(ctx, func() bool { return cond() || f.IsReady() }); err != nil {
		return false, err
	}
	return cond(), nil
}

func (a *Alarms) drop(e *alarm) {
	for i, p := range a.pending {
		if p == e {
			a.pending = append(a.pending[:i], a.pending[i+1:]...)
			return
		}
	}
}

// run keeps one timer armed for the earliest pending instant: it fires the
// alarms that are due, re-arms when an earlier instant is added, and keeps
// an armed timer whose alarm was withdrawn (it fires with nothing due, and
// the next one is armed then) rather than cancel and start timers at every
// withdrawal.
func (a *Alarms) run(ctx workflow.Context) {
	var (
		armed  time.Time // the armed timer's instant; zero: none
		timer  workflow.Future
		cancel workflow.CancelFunc
	)
	for {
		now := workflow.Now(ctx)
		kept := a.pending[:0]
		for _, e := range a.pending {
			if e.at.After(now) {
				kept = append(kept, e)
			} else {
				e.set.Set(nil, nil)
			}
		}
		clear(a.pending[len(kept):])
		a.pending = kept
		var next time.Time
		for _, e := range a.pending {
			if next.IsZero() || e.at.Before(next) {
				next = e.at
			}
		}
		if !next.IsZero() && (armed.IsZero() || next.Before(armed)) {
			if cancel != nil {
				cancel()
			}
			var tctx workflow.Context
			tctx, cancel = workflow.WithCancel(ctx)
			timer, armed = workflow.NewTimer(tctx, next.Sub(now)), next
		}
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(a.poke, func(c workflow.ReceiveChannel, _ bool) {
			for c.ReceiveAsync(nil) {
			}
		})
		if timer != nil {
			sel.AddFuture(timer, func(workflow.Future) { timer, armed, cancel = nil, time.Time{}, nil })
		}
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if ctx.Err() != nil {
			return
		}
	}
}
