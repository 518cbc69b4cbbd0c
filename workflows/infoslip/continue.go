package infoslip

import (
	"maps"

	"go.temporal.io/sdk/workflow"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Continuing as new.
//
// A slip is acted on, forwarded and escalated for as long as it is open:
// its history has no upper bound. When the server suggests it (or after
// Input.continue_as_new_after decided updates), the run ends at a safe point
// and the next run of InfoSlip:<id> starts with the slip and each running
// chase carried (SlipCarried), suspended by Track between steps and resumed
// without opening it again or repeating a step.
// The bookkeeping is wfx.Runs (the updates decided in this run, the
// limit, the ids applied), embedded in the workflow's state.

// suspendChases asks every running chase to suspend and waits until none
// runs (each suspended, or ended meanwhile).
func (w *slipWF) suspendChases(ctx workflow.Context) error {
	for _, n := range w.order {
		if c := w.chases[n]; c.running {
			c.suspend.SendAsync(true)
		}
	}
	err := workflow.Await(ctx, func() bool { return !w.chasing() || w.err != nil })
	for _, n := range w.order {
		for w.chases[n].suspend.ReceiveAsync(nil) { // asked of a chase that ended meanwhile
		}
	}
	return err
}

// continueAsNew ends the run; the next one goes on with the slip.
func (w *slipWF) continueAsNew(ctx workflow.Context) error {
	carried := &servicev1.SlipCarried{Applied: w.Applied.IDs()}
	for _, n := range w.order {
		c := w.chases[n]
		sc := &servicev1.SlipChase{Recipient: n, Generation: c.gen, Key: c.unchased, Idle: true}
		if cc := c.carried; cc != nil {
			sc = &servicev1.SlipChase{Recipient: n, Generation: c.gen, Key: cc.key, Spec: cc.spec, Level: int32(cc.progress.Level),
				Recomputations: cc.progress.Recomputations, Versions: maps.Clone(cc.progress.Versions), Calendar: cc.progress.Calendar,
				UnchasedKey: c.unchased}
		} else if c.gen == 0 && c.unchased == "" {
			continue
		}
		carried.Chases = append(carried.Chases, sc)
	}
	workflow.GetLogger(ctx).Info("info slip continues as new", "slip_id", w.snap.GetSlipId(), "decided", w.Decided)
	return workflow.NewContinueAsNewError(ctx, wfc.WorkflowInfoSlip, &servicev1.SlipInput{Slip: w.snap, ContinueAsNewAfter: w.Limit,
		Carried: carried})
}

// restore takes over the state the previous run carried.
func (w *slipWF) restore(c *servicev1.SlipCarried) {
	w.Applied = wfx.NewApplied(c.GetApplied())
	for _, sc := range c.GetChases() {
		ch := w.chases[sc.GetRecipient()]
		if ch == nil {
			continue
		}
		ch.gen = sc.GetGeneration()
		if sc.GetIdle() {
			ch.unchased = sc.GetKey()
			continue
		}
		ch.unchased = sc.GetUnchasedKey()
		ch.carried = &carriedChase{key: sc.GetKey(), spec: sc.GetSpec(), progress: &followup.Progress{Level: int(sc.GetLevel()),
			Recomputations: sc.GetRecomputations(), Versions: maps.Clone(sc.GetVersions()), Calendar: sc.GetCalendar()}}
	}
}
