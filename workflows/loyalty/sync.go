// Package loyalty holds the LoyaltySync workflow: it copies customers'
// service standings — loyalty level, average CSAT and how many answers it
// is over, latest NPS — from the after-sales service, where the loyalty rule
// lives (services/service/internal/domain/loyalty.go), to the customer
// service, which keeps the copy campaign segments filter on. The workflow
// decides nothing: it reads a keyset page of standings worked out at one
// instant (service.LoyaltyPage) and has the customer service store it
// (customer.RecordStandings), until the last page.
//
// Two kinds of run, one workflow:
//
//   - after a survey answer, LoyaltySync:<customer>:<survey> syncs that one
//     customer; the after-sales service starts it from the outbox the
//     answer's transaction writes, and the id makes a second start a no-op;
//   - daily, on the schedule closeloop-loyalty-sync, LoyaltySync:scheduled
//     syncs every customer that ever answered, because a level also changes
//     with time alone (answers age out of the satisfaction window, tenure
//     grows).
//
// Every standing carries the instant the rule was applied at (the run's
// start, carried across continue-as-new), and the customer service keeps
// the most recent: a reconciliation that reaches a customer after an
// answer's sync wrote a newer standing leaves it as it is.
package loyalty

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Paging.
const (
	// PageSize is the number of customers asked for per page by default.
	PageSize = 500
	// PagesPerRun is the number of pages a run reads before it continues
	// as new (about eight events a page).
	PagesPerRun = 200
	// PageTimeout bounds one attempt of a page's activity.
	PageTimeout = 5 * time.Minute
)

// NonRetryable are the error types that end an activity call at once: a
// malformed page request.
var NonRetryable = []string{"invalid", "validation_failed"}

// Sync is the LoyaltySync workflow. Its result is the totals of every run.
func Sync(ctx workflow.Context, in *servicev1.LoyaltySyncInput) (*servicev1.LoyaltySyncResult, error) {
	asOf := workflow.Now(ctx).UTC()
	if in.GetAsOf() != nil {
		asOf = in.GetAsOf().AsTime()
	}
	size := in.GetPageSize()
	if size <= 0 {
		size = PageSize
	}
	svc := wfx.Activities(ctx, wfx.Call{Queue: servicec.TaskQueue, Timeout: PageTimeout, NonRetryable: NonRetryable})
	cust := wfx.Activities(ctx, wfx.Call{Queue: customerc.TaskQueue, Timeout: PageTimeout, NonRetryable: NonRetryable})
	out := proto.Clone(orEmpty(in.GetTotals())).(*servicev1.LoyaltySyncResult)
	after := in.GetAfterId()
	for n := 0; ; n++ {
		if n == PagesPerRun {
			next := proto.Clone(in).(*servicev1.LoyaltySyncInput)
			next.AsOf, next.AfterId, next.Totals, next.PageSize = timestamppb.New(asOf), after, out, size
			return nil, workflow.NewContinueAsNewError(ctx, wfc.WorkflowLoyaltySync, next)
		}
		var page servicev1.LoyaltyPageResult
		if err := workflow.ExecuteActivity(svc, servicec.ActivityLoyaltyPage, &servicev1.LoyaltyPageInput{
			AfterId: after, Limit: size, CustomerIds: in.GetCustomerIds(), AsOf: timestamppb.New(asOf),
		}).Get(ctx, &page); err != nil {
			return nil, err
		}
		out.Pages++
		out.Read += int64(len(page.GetStandings()))
		if len(page.GetStandings()) > 0 {
			var rec servicev1.RecordStandingsResult
			if err := workflow.ExecuteActivity(cust, customerc.ActivityRecordStandings, &servicev1.RecordStandingsInput{
				Standings: page.GetStandings(),
			}).Get(ctx, &rec); err != nil {
				return nil, err
			}
			out.Recorded += int64(rec.GetRecorded())
			out.Stale += int64(rec.GetStale())
		}
		if after = page.GetNextAfterId(); after == "" {
			break
		}
	}
	workflow.GetLogger(ctx).Info("loyalty sync finished", "as_of", asOf, "customers", len(in.GetCustomerIds()), "pages", out.GetPages(),
		"read", out.GetRead(), "recorded", out.GetRecorded(), "stale", out.GetStale())
	return out, nil
}

func orEmpty(r *servicev1.LoyaltySyncResult) *servicev1.LoyaltySyncResult {
	if r == nil {
		return &servicev1.LoyaltySyncResult{}
	}
	return r
}

// StartAfterAnswer starts the sync of one customer's standing after one
// survey answer, LoyaltySync:<customer>:<survey>, as of the answer's
// instant (answeredAt): the standing then counts the answer whatever the
// clocks of the service and the workflow engine say. A sync of that answer
// started before (running or done) is no error and starts nothing: the
// after-sales service's outbox may try again after a crash.
func StartAfterAnswer(ctx context.Context, c client.Client, customerID, surveyID string, answeredAt time.Time) error {
	_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       wfc.LoyaltyAnswerSyncWorkflowID(customerID, surveyID),
		TaskQueue:                wfc.TaskQueue,
		WorkflowIDConflictPolicy: enums.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporal.NewSearchAttributeKeyKeyword(wfc.SAKind.String()).ValueSet("loyalty-sync"),
			temporal.NewSearchAttributeKeyKeyword(wfc.SACustomerID.String()).ValueSet(customerID),
		),
	}, wfc.WorkflowLoyaltySync, &servicev1.LoyaltySyncInput{CustomerIds: []string{customerID}, AsOf: timestamppb.New(answeredAt)})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}
