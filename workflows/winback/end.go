package winback

import (
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
)

// stop ends the cadence on the response or cancellation that arrived.
func (w *winBack) stop(ctx workflow.Context) (*marketingv1.WinBackEndInput, error) {
	if r := w.response; r != nil {
		if r.GetKind() == ResponseOptOut {
			return w.end(ctx, OutcomeOptedOut, "cancelled", "the customer opted out", r)
		}
		return w.responded(ctx, r)
	}
	outcome := EndOutcome(w.cancel.GetOutcome())
	return w.end(ctx, outcome, "cancelled", "the win-back was "+outcome, nil)
}

// responded hands a customer that responded to sales: its open touches are
// done, a lead is started for it (unless the response is itself a lead or a
// won opportunity), and it returns to the expected list.
func (w *winBack) responded(ctx workflow.Context, r *marketingv1.WinBackResponse) (*marketingv1.WinBackEndInput, error) {
	if err := w.closeTouches(ctx, "done", "customer responded"); err != nil {
		return nil, err
	}
	leadID := ""
	switch {
	case StartsLead(r.GetKind()):
		leadID = LeadID(w.in.GetCampaignId(), w.in.GetCustomerId())
		if err := w.startLead(ctx, leadID, r); err != nil {
			return nil, err
		}
	case r.GetKind() == ResponseLead:
		leadID = r.GetRef()
	}
	rec := w.record(OutcomeResponded, r, workflow.Now(ctx))
	rec.LeadId = leadID
	if err := workflow.ExecuteActivity(w.cust, customerc.ActivityWinBackReturned, rec).Get(ctx, nil); err != nil {
		return nil, err
	}
	if err := workflow.ExecuteActivity(w.mkt, marketingc.ActivityEndWinBack, rec).Get(ctx, nil); err != nil {
		return nil, err
	}
	return rec, w.mark(ctx, false)
}

// end ends the cadence without a lead (opted out, cancelled, exhausted): the
// open touches close with state and note, the marketing service records the
// outcome, and the customer's mark is cleared.
func (w *winBack) end(ctx workflow.Context, outcome, state, note string, r *marketingv1.WinBackResponse) (*marketingv1.WinBackEndInput, error) {
	if err := w.closeTouches(ctx, state, note); err != nil {
		return nil, err
	}
	rec := w.record(outcome, r, workflow.Now(ctx))
	if err := workflow.ExecuteActivity(w.mkt, marketingc.ActivityEndWinBack, rec).Get(ctx, nil); err != nil {
		return nil, err
	}
	return rec, w.mark(ctx, false)
}

// quiet ends a cadence whose enrolment the marketing service had already
// ended: nothing more is recorded there.
func (w *winBack) quiet(ctx workflow.Context) (*marketingv1.WinBackEndInput, error) {
	if err := w.closeTouches(ctx, "cancelled", "the enrolment ended"); err != nil {
		return nil, err
	}
	return w.record(OutcomeStopped, nil, workflow.Now(ctx)), w.mark(ctx, false)
}

// record is how the cadence ended, as the services are told.
func (w *winBack) record(outcome string, r *marketingv1.WinBackResponse, at time.Time) *marketingv1.WinBackEndInput {
	return &marketingv1.WinBackEndInput{CampaignId: w.in.GetCampaignId(), CustomerId: w.in.GetCustomerId(), Outcome: outcome,
		Response: r, At: timestamppb.New(at)}
}

// mark tells the customer service that the customer is in this win-back
// (set), or no longer (the mark is cleared only if it still names this
// campaign).
func (w *winBack) mark(ctx workflow.Context, set bool) error {
	return w.markAsync(ctx, set).Get(ctx, nil)
}

// markAsync is mark without waiting.
func (w *winBack) markAsync(ctx workflow.Context, set bool) workflow.Future {
	in := &marketingv1.WinBackMarkInput{CustomerId: w.in.GetCustomerId(), CampaignId: w.in.GetCampaignId()}
	if !set {
		in.CampaignId, in.ClearCampaignId = "", w.in.GetCampaignId()
	}
	return workflow.ExecuteActivity(w.cust, customerc.ActivityMarkWinBack, in)
}

// startLead starts the Lead workflow of the lead the customer becomes, and
// waits only until it has started (one already started is the same lead):
// it outlives this workflow, and gives a lead on an owned customer to its
// owner, else routes it, as for every lead.
func (w *winBack) startLead(ctx workflow.Context, leadID string, r *marketingv1.WinBackResponse) error {
	var at time.Time
	if r.GetAt() != nil {
		at = r.GetAt().AsTime()
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID: wfc.LeadWorkflowID(leadID), TaskQueue: wfc.TaskQueue,
		ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("lead"),
			temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(w.in.GetCustomerId()),
		),
	})
	f := workflow.ExecuteChildWorkflow(cctx, wfc.WorkflowLead, &salesv1.LeadInput{Lead: &salesv1.LeadData{
		Id: leadID, Source: "campaign", CustomerId: w.in.GetCustomerId(), CompanyName: w.in.GetCustomerName(),
		Region: w.in.GetRegion(), Interest: "Win-back: " + w.in.GetCampaignName(),
		Notes:      LeadNotes(w.in.GetCampaignName(), r.GetKind(), r.GetRef(), r.GetBy(), at),
		ReceivedAt: timestamppb.New(workflow.Now(ctx)), CreatedBy: "winback",
	}})
	var started workflow.Execution
	if err := f.GetChildWorkflowExecution().Get(ctx, &started); err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		return err
	}
	return nil
}
