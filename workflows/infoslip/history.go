package infoslip

import (
	"strconv"
	"strings"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// What goes on the customer's cross-department history: the slip being
// sent, each recipient's acknowledgement, action, rejection and forward,
// recipients added or re-routed, the close and the withdrawal — in words
// anyone who sees the customer may read, never a note's or a reason's text
// (the slip's own timeline has those, for whoever sees the slip).

// sentSummary says to whom a new slip went.
func sentSummary(s *servicev1.SlipSnapshot) string {
	return "sent to " + recipientsInWords(s.GetRecipients())
}

func recipientsInWords(rs []*servicev1.SlipRecipient) string {
	var names []string
	for _, r := range rs {
		names = append(names, nameOf(r))
	}
	return strings.Join(names, ", ")
}

// nameOf names a recipient: its person, or its department.
func nameOf(r *servicev1.SlipRecipient) string {
	if r.GetKind() == KindPerson || r.GetUserId() != "" && r.GetKind() != KindDepartment {
		return r.GetUserId()
	}
	if r.GetUserId() != "" {
		return r.GetDepartment() + " (" + r.GetUserId() + ")"
	}
	return r.GetDepartment()
}

// eventOf is the history event of a change (before → after) made by cmd, and
// its summary; "" for a change the customer's history does not tell (a
// department's part routed to a person, an objection, a dismissal).
func eventOf(before, after *servicev1.SlipSnapshot, cmd *servicev1.SlipCommand) (string, string) {
	r := findRecipient(after, cmd.GetRecipient())
	added := after.GetRecipients()[min(len(before.GetRecipients()), len(after.GetRecipients())):]
	switch cmd.GetOp() {
	case OpAcknowledge:
		return "acknowledged", nameOf(r) + " acknowledged"
	case OpDone:
		return "done", nameOf(r) + " reported its part done"
	case OpReject:
		return "rejected", nameOf(r) + " rejected the slip"
	case OpForward:
		return "forwarded", nameOf(r) + " forwarded it to " + recipientsInWords(added)
	case OpAdd:
		return "added", "also sent to " + recipientsInWords(added)
	case OpReroute:
		return "rerouted", "re-routed to " + recipientsInWords(added)
	case OpConfirm:
		return "closed", "closed: every part done, confirmed"
	case OpAutoClose:
		return "closed", "closed: every part done, not objected to"
	case OpWithdraw:
		return "withdrawn", "withdrawn"
	}
	return "", ""
}

func findRecipient(s *servicev1.SlipSnapshot, n int32) *servicev1.SlipRecipient {
	for _, r := range s.GetRecipients() {
		if r.GetN() == n {
			return r
		}
	}
	return &servicev1.SlipRecipient{N: n, UserId: "recipient " + strconv.Itoa(int(n))}
}

// departmentOf is the department whose change an op is: the recipient's for
// what a recipient does, else the originator's.
func (w *slipWF) departmentOf(op string, n int32) string {
	switch op {
	case OpAcknowledge, OpDone, OpReject, OpForward:
		return findRecipient(w.snap, n).GetDepartment()
	}
	return w.snap.GetOriginatorDepartment()
}

// tell records a change of the slip on its customer's history (idempotent
// on id). A refusal (the customer is gone) is logged: the slip goes on, its
// own timeline has the change.
func (w *slipWF) tell(ctx workflow.Context, id, actor, event, summary string, dept string) error {
	cctx := wfx.Activities(ctx, wfx.Call{Queue: customerc.TaskQueue, NonRetryable: []string{"invalid", "not_found"}})
	err := workflow.ExecuteActivity(cctx, customerc.ActivityRecordSlipEvent, &customerv1.SlipEventInput{
		Id: id + ":" + event, CustomerId: w.snap.GetCustomerId(), SlipId: w.snap.GetSlipId(), Event: event, Actor: actor,
		Department: dept, Subject: w.snap.GetSubject(), Summary: summary, At: timestamppb.New(workflow.Now(ctx)),
	}).Get(ctx, nil)
	if _, refused := wfx.AsRefusal(err); err != nil && refused {
		workflow.GetLogger(ctx).Warn("the customer's history refused a slip event", "slip_id", w.snap.GetSlipId(), "event", event, "error", err)
		return nil
	}
	return err
}
