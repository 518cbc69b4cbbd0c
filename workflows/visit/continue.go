package visit

import (
	"maps"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	visitv1 "github.com/closeloop/closeloop/proto/gen/closeloop/visit/v1"
	"github.com/closeloop/closeloop/workflows/followup"
)

// continueDue says whether the run should continue as new now. Only at a
// safe point: no update is being decided (a request holding the mutex, or
// waiting for it, would lose its answer), and only while the booked visit
// waits — for its reminder, its end, or its log (the log follow-up is then
// suspended at its own wait and taken up by the next run).
func (w *visitWF) continueDue(ctx workflow.Context) bool {
	if !w.mayContinue || !workflow.AllHandlersFinished(ctx) {
		return false
	}
	if n := int(w.in.GetContinueAsNewAfter()); n > 0 && w.decided >= n {
		return true
	}
	return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// continueAsNew ends the run and starts the next one of the same workflow id
// (Visit:<customer>:<day>) with the day's state: the booked visit, its
// participants, whether they were reminded, the requests answered, the
// visits cancelled, and how far its log follow-up got. Updates sent
// meanwhile — with update-with-start as well — reach the new run: the
// workflow id is the same and the conflict policy USE_EXISTING attaches them
// to the running run. The next run resolves the reminder policy and calendar
// again and goes on waiting; a visit already booked is never booked again,
// so the day still holds one visit.
func (w *visitWF) continueAsNew(ctx workflow.Context) error {
	next := proto.Clone(w.in).(*Input)
	next.Carried = w.snapshot()
	next.LogProgress = toLogProgress(w.suspended)
	next.Resolved = nil // resolved again: the request's resolution may be days old
	workflow.GetLogger(ctx).Info("visit day continues as new", "visit_id", w.st.VisitId, "decided", w.decided)
	return workflow.NewContinueAsNewError(ctx, wfc.WorkflowVisit, next)
}

// suspendWhenDue lets the log follow-up be suspended (opts.Suspend) once the
// run should continue as new; stop ends the watch when Track returns.
func (w *visitWF) suspendWhenDue(ctx workflow.Context, opts *followup.Options) (stop func()) {
	suspend := workflow.NewBufferedChannel(ctx, 1)
	wctx, stop := workflow.WithCancel(ctx)
	workflow.Go(wctx, func(ctx workflow.Context) {
		if workflow.Await(ctx, func() bool { return w.continueDue(ctx) }) == nil {
			suspend.SendAsync(true)
		}
	})
	opts.Suspend = suspend
	return stop
}

// toLogProgress and fromLogProgress carry a suspended log follow-up across
// runs (nil: none).
func toLogProgress(p *followup.Progress) *visitv1.LogProgress {
	if p == nil {
		return nil
	}
	return &visitv1.LogProgress{Level: int32(p.Level), Recomputations: p.Recomputations, Versions: maps.Clone(p.Versions), Calendar: p.Calendar}
}

func fromLogProgress(p *visitv1.LogProgress) *followup.Progress {
	if p == nil {
		return nil
	}
	return &followup.Progress{Level: int(p.GetLevel()), Recomputations: p.GetRecomputations(), Versions: maps.Clone(p.GetVersions()), Calendar: p.GetCalendar()}
}
