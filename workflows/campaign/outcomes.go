package campaign

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// outcomePagesPerRun bounds one run's history (about ten events a page):
// the run continues as new with its cursor after this many pages.
const outcomePagesPerRun = 200

// Outcomes is the CampaignOutcomes workflow: what became of the customers
// enrolled in campaigns, for their evaluation. The marketing service hands
// out one campaign's enrolled customers a page at a time
// (marketing.OutcomePage: the running campaigns, and ended ones within
// their attribution window); for each page the sales service says which
// had leads, opportunities and wins since the launch (sales.CustomerOutcomes)
// and the customer service what each customer is now
// (customer.SegmentPage by customer id: transacting again counts as won
// back), and the marketing service stores both (marketing.RecordOutcomes,
// idempotent: a page recorded twice stores the same figures). It runs
// hourly on the ScheduleCampaignOutcomes schedule; every page is
// independent, so a run that fails part-way is completed by the next.
func Outcomes(ctx workflow.Context, in *marketingv1.CampaignOutcomesInput) error {
	asOf := in.GetAsOf()
	if asOf == nil {
		asOf = timestamppb.New(workflow.Now(ctx))
	}
	terms, err := resolvePolicyValues(ctx, asOf.AsTime(), policy.WinBackAttribution)
	if err != nil {
		return err
	}
	window := terms[policy.WinBackAttribution].Timer
	if window == nil {
		return temporal.NewNonRetryableApplicationError(policy.WinBackAttribution+" is not a timer", ErrPolicyUnresolved, nil)
	}
	attribution := durationpb.New(time.Duration(window.Duration))
	q := pageQueues(ctx)
	mk := wfx.Activities(ctx, wfx.Call{Queue: q.Marketing, Timeout: time.Minute, NonRetryable: []string{"invalid"}})
	sales := wfx.Activities(ctx, wfx.Call{Queue: salesc.TaskQueue, Timeout: time.Minute, NonRetryable: []string{"invalid"}})
	cust := wfx.Activities(ctx, wfx.Call{Queue: q.Customer, Timeout: time.Minute, NonRetryable: []string{"invalid"}})
	afterCampaign, afterCustomer := in.GetAfterCampaignId(), in.GetAfterCustomerId()
	for pages := 0; ; pages++ {
		if pages == outcomePagesPerRun {
			return workflow.NewContinueAsNewError(ctx, wfc.WorkflowCampaignOutcomes, &marketingv1.CampaignOutcomesInput{
				AsOf: asOf, AfterCampaignId: afterCampaign, AfterCustomerId: afterCustomer})
		}
		var page marketingv1.OutcomePageResult
		if err := workflow.ExecuteActivity(mk, marketingc.ActivityOutcomePage, &marketingv1.OutcomePageInput{
			AfterCampaignId: afterCampaign, AfterCustomerId: afterCustomer, AsOf: asOf, Attribution: attribution,
		}).Get(ctx, &page); err != nil {
			return err
		}
		if page.GetDone() || len(page.GetCustomerIds()) == 0 {
			return nil
		}
		ids := page.GetCustomerIds()
		until := page.GetUntil()
		if until == nil {
			until = asOf
		}
		outcomesF := workflow.ExecuteActivity(sales, salesc.ActivityCustomerOutcomes, &marketingv1.CustomerOutcomesInput{
			CustomerIds: ids, Since: page.GetSince(), Until: until})
		factsF := workflow.ExecuteActivity(cust, customerc.ActivitySegmentPage, &marketingv1.SegmentPageInput{
			Filter: &marketingv1.SegmentFilter{CustomerIds: ids, MinDaysSinceContact: -1, MaxDaysSinceContact: -1},
			Limit:  int32(len(ids)), AsOf: asOf})
		var outcomes marketingv1.CustomerOutcomesResult
		if err := outcomesF.Get(ctx, &outcomes); err != nil {
			return err
		}
		var facts marketingv1.SegmentPageResult
		if err := factsF.Get(ctx, &facts); err != nil {
			return err
		}
		if err := workflow.ExecuteActivity(mk, marketingc.ActivityRecordOutcomes, &marketingv1.RecordOutcomesInput{
			CampaignId: page.GetCampaignId(), CustomerIds: ids, Outcomes: outcomes.GetOutcomes(), Customers: facts.GetCustomers(), At: asOf, Attribution: attribution,
		}).Get(ctx, nil); err != nil {
			return err
		}
		afterCampaign, afterCustomer = page.GetCampaignId(), ids[len(ids)-1]
	}
}
