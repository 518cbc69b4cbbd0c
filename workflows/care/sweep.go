// Package care holds the CareSweep workflow: care for existing customers.
//
// Per ABC class the care.cadence policy sets the longest gap without a logged
// contact; when a customer's gap runs out its owner gets a care-contact
// follow-up (a FollowUp workflow) that escalates per care.escalation_ladder.
//
// The sweep runs on a schedule and after every ABC reclassification. It first
// reconciles the open care follow-ups with their customers (closing those
// whose class, owner or stage changed, or that a contact answered), then opens
// follow-ups for the customers whose care contact falls due within the
// lookahead. The customer service does the reading and writing in its
// activities, page by page; the workflow keeps the order and the totals.
// Starting a follow-up is idempotent (its id derives from the customer's care
// anchor and epoch), so a retried page or two overlapping sweeps open each
// follow-up once.
//
// History grows by about six events per page of 500: a sweep stays far below
// Temporal's history limits up to millions of candidates, so it does not
// continue as new. Customers whose contact is not yet due are never read by
// the open pass (an index range per class), so the pages follow the number of
// care contacts falling due, not the number of customers.
package care

import (
	"time"

	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Defaults of CareSweepInput.
const (
	DefaultLookahead = 2 * time.Hour
	DefaultPageSize  = 500
)

// Classes are swept in this order.
var Classes = []string{"A", "B", "C"}

// Sweep is the CareSweep workflow.
func Sweep(ctx workflow.Context, in *followupv1.CareSweepInput) (*followupv1.CareSweepResult, error) {
	log := workflow.GetLogger(ctx)
	lookahead := in.GetLookahead().AsDuration()
	if lookahead <= 0 {
		lookahead = DefaultLookahead
	}
	size := in.GetPageSize()
	if size <= 0 {
		size = DefaultPageSize
	}
	ctx = wfx.Activities(ctx, wfx.Call{Queue: customerc.TaskQueue, Timeout: 5 * time.Minute, NonRetryable: []string{"invalid"}})
	at := workflow.Now(ctx)
	res := &followupv1.CareSweepResult{StartedAt: timestamppb.New(at)}

	after := ""
	for {
		var page followupv1.CareReconcilePageResult
		if err := workflow.ExecuteActivity(ctx, customerc.ActivityCareReconcilePage, &followupv1.CareReconcilePageInput{
			AfterId: after, Limit: size,
		}).Get(ctx, &page); err != nil {
			return nil, err
		}
		res.Pages++
		res.Checked += page.GetChecked()
		res.Cancelled += page.GetCancelled()
		res.Completed += page.GetCompleted()
		if after = page.GetNextAfterId(); after == "" {
			break
		}
	}
	for _, class := range Classes {
		var cursor *followupv1.CareCursor
		for {
			var page followupv1.CareOpenPageResult
			if err := workflow.ExecuteActivity(ctx, customerc.ActivityCareOpenPage, &followupv1.CareOpenPageInput{
				ValueClass: class, At: timestamppb.New(at), Lookahead: durationpb.New(lookahead), After: cursor, Limit: size,
			}).Get(ctx, &page); err != nil {
				return nil, err
			}
			res.Pages++
			res.Scanned += page.GetScanned()
			res.Opened += page.GetOpened()
			res.NotYetDue += page.GetNotYetDue()
			if cursor = page.GetNext(); cursor == nil {
				break
			}
		}
	}
	res.FinishedAt = timestamppb.New(workflow.Now(ctx))
	log.Info("care sweep finished", "reason", in.GetReason(), "checked", res.Checked, "cancelled", res.Cancelled,
		"completed", res.Completed, "scanned", res.Scanned, "opened", res.Opened, "pages", res.Pages)
	return res, nil
}
