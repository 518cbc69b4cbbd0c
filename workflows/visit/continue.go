package visit

import (
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
)

// continueDue says whether the run should continue as new now. Only at a
// safe point: no update is being decided (a request holding the mutex, or
// waiting for it, would lose its answer), and only while the booked visit
// waits for its reminder or its end — the moments requests arrive. Once the
// visit is over requests are refused by the validator, before the history,
// so the log follow-up (Track) always runs to its end in one run and is
// never handed over.
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
// participants, whether they were reminded, the requests answered and the
// visits cancelled. Updates sent meanwhile — with update-with-start as well —
// reach the new run: the workflow id is the same and the conflict policy
// USE_EXISTING attaches them to the running run. The next run resolves the
// reminder policy and calendar again and goes on waiting; a visit already
// booked is never booked again, so the day still holds one visit.
func (w *visitWF) continueAsNew(ctx workflow.Context) error {
	next := proto.Clone(w.in).(*Input)
	next.Carried = w.snapshot()
	workflow.GetLogger(ctx).Info("visit day continues as new", "visit_id", w.st.VisitId, "decided", w.decided)
	return workflow.NewContinueAsNewError(ctx, wfc.WorkflowVisit, next)
}
