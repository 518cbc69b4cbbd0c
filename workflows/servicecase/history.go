package servicecase

import (
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// versionHistory marks executions that put the case's changes on the
// customer's cross-department history (customer.RecordCaseEvent);
// executions started before do not.
const versionHistory = "service-case-history"

// historyEvent is one change of the case as the customer's history tells
// it: what happened, in words anyone who sees the customer may read — never
// a note's or a reason's text, which are staff's words to staff.
type historyEvent struct {
	event, summary string
}

// eventsOf lists the history events of a change of the case (before →
// after), in order.
func eventsOf(before, after *servicev1.CaseSnapshot) []historyEvent {
	var out []historyEvent
	if before.GetFirstResponseAt() == nil && after.GetFirstResponseAt() != nil {
		out = append(out, historyEvent{"first_response", "first reply to the customer"})
	}
	if after.GetAssigneeId() != before.GetAssigneeId() || after.GetTeam() != before.GetTeam() {
		to := after.GetAssigneeId()
		if to == "" {
			to = "the queue of team " + after.GetTeam()
		}
		out = append(out, historyEvent{"assigned", "assigned to " + to})
	}
	if after.GetPriority() != before.GetPriority() {
		out = append(out, historyEvent{"priority_changed", "priority " + before.GetPriority() + " → " + after.GetPriority()})
	}
	switch {
	case after.GetReopenedCount() > before.GetReopenedCount():
		out = append(out, historyEvent{"reopened", "case reopened"})
	case after.GetState() == before.GetState():
	case after.GetState() == StatePendingCustomer:
		out = append(out, historyEvent{"waiting_for_customer", "waiting for the customer"})
	case after.GetState() == StateResolved:
		out = append(out, historyEvent{"resolved", "case resolved"})
	case after.GetState() == StateClosed:
		out = append(out, historyEvent{"closed", "case closed"})
	case before.GetState() == StatePendingCustomer:
		out = append(out, historyEvent{"resumed", "the customer answered; work resumed"})
	}
	return out
}

// tell records events of the change whose entry id is id on the customer's
// history (idempotent on the ids), when this execution does.
func (w *caseWF) tell(ctx workflow.Context, id, actor string, events []historyEvent) error {
	if !w.history {
		return nil
	}
	cctx := wfx.Activities(ctx, wfx.Call{Queue: customerc.TaskQueue, NonRetryable: []string{"invalid", "not_found"}})
	for _, e := range events {
		err := workflow.ExecuteActivity(cctx, customerc.ActivityRecordCaseEvent, &customerv1.CaseEventInput{
			Id: id + ":" + e.event, CustomerId: w.snap.GetCustomerId(), CaseId: w.snap.GetCaseId(), Event: e.event, Actor: actor,
			Team: w.snap.GetTeam(), Subject: w.snap.GetSubject(), Summary: e.summary, At: timestamppb.New(workflow.Now(ctx)),
		}).Get(ctx, nil)
		if _, refused := wfx.AsRefusal(err); err != nil && refused {
			// The customer service refused the item (the customer is gone):
			// the case goes on; its own timeline has the change.
			workflow.GetLogger(ctx).Warn("the customer's history refused a case event", "case_id", w.snap.GetCaseId(), "event", e.event, "error", err)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}
