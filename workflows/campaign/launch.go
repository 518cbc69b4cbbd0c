// Package campaign holds the marketing workflows: CampaignLaunch
// (CampaignLaunch:<campaign>), which enrols a launched campaign's segment;
// WinBackSweep (WinBackSweep:<run key>, daily on a schedule), which enrols
// the customers lost for longer than winback.inactivity_period; and the
// segment preview and the campaigns' outcomes (preview.go, outcomes.go).
// The WinBack cadence of one customer is in workflows/winback.
//
// Both only page and count: the customer service reads the segment
// (customer.SegmentPage, a keyset page in customer id order) and plans the
// touches (customer.PlanTouches); an email touch goes out through the
// follow-up service's mail delivery instead (email.go); the marketing
// service decides who is
// enrolled, held out or skipped, starts the WinBack workflows of a win-back
// campaign (marketing.EnrolPage, marketing.WinBackSweepPage) and records the
// touches (marketing.RecordTouches). Every activity is idempotent per
// campaign and customer, so a retried page, or a launch started twice,
// enrols each customer once.
//
// A launch continues as new every PagesPerRun pages, carrying the cursor
// (after_id) and the running totals: a segment has no upper bound. A sweep
// pages the lost customers past the inactivity period, about a dozen events
// a page of 500: a run stays below Temporal's history limits up to a
// million lost customers, so it does not continue as new (its input has no
// cursor to carry).
package campaign

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// Paging.
const (
	// PageSize is the number of customers asked for per page.
	PageSize = 500
	// PagesPerRun is the number of pages a launch reads before it
	// continues as new.
	PagesPerRun = 50
	// PageTimeout bounds one attempt of a page's activity (reading, enrolling
	// or planning 500 customers).
	PageTimeout = 5 * time.Minute
)

// campaignTypeWinBack is a win-back campaign's type (CampaignLaunchInput.campaign_type).
const campaignTypeWinBack = "winback"

// Sources of an enrolment (EnrolPageInput.source).
const (
	SourceLaunch    = "launch"
	SourceNewcomers = "newcomers"
	SourceSweep     = "sweep"
)

// NonRetryable are the error types that end an activity call at once: the
// services' business refusals.
var NonRetryable = []string{"invalid", "not_found", "campaign_not_found"}

// pages are the activity contexts of the enrolling workflows, on the
// queues of q (pageQueues).
func pages(ctx workflow.Context, q Queues) (customer, marketing workflow.Context) {
	return wfx.Activities(ctx, wfx.Call{Queue: q.Customer, Timeout: PageTimeout, NonRetryable: NonRetryable}),
		wfx.Activities(ctx, wfx.Call{Queue: q.Marketing, Timeout: PageTimeout, NonRetryable: NonRetryable})
}

// Launch is the CampaignLaunch workflow: it enrols the campaign's segment as
// it stood at launched_at, page by page, with the contact-pressure limits in
// force at the launch (marketing.contact_pressure, resolved once and carried
// across continue-as-new), plans the touches each page produces, and tells
// the marketing service when the segment is done. Its result is the totals.
func Launch(ctx workflow.Context, in *marketingv1.CampaignLaunchInput) (*marketingv1.EnrolPageResult, error) {
	if in.GetCampaignId() == "" || in.GetLaunchedAt() == nil {
		return nil, temporal.NewNonRetryableApplicationError("a launch needs campaign_id and launched_at", "invalid", nil)
	}
	pressure := in.GetPressure() // carried across continue-as-new
	if len(pressure) == 0 {
		terms, err := resolvePolicyValues(ctx, in.GetLaunchedAt().AsTime(), policy.ContactPressure)
		if err != nil {
			return nil, err
		}
		pressure = PressureLimits(terms[policy.ContactPressure])
	}
	if in.GetCampaignType() == campaignTypeWinBack && in.GetFilter().GetLostBefore() == nil {
		// A win-back campaign takes the customers lost for longer than the
		// inactivity period, as the sweep does; the rest join it from the
		// sweep once their period has passed.
		horizon, err := sweepHorizon(ctx, in.GetLaunchedAt().AsTime())
		if err != nil {
			return nil, err
		}
		in = proto.Clone(in).(*marketingv1.CampaignLaunchInput)
		if in.Filter == nil {
			in.Filter = &marketingv1.SegmentFilter{MinDaysSinceContact: -1, MaxDaysSinceContact: -1}
		}
		in.Filter.LostBefore = timestamppb.New(horizon)
	}
	q := pageQueues(ctx)
	cust, mkt := pages(ctx, q)
	totals := &marketingv1.EnrolPageResult{}
	if t := in.GetTotals(); t != nil {
		AddPage(totals, t)
	}
	after := in.GetAfterId()
	for n := 0; ; n++ {
		if n == PagesPerRun {
			next := proto.Clone(in).(*marketingv1.CampaignLaunchInput)
			next.AfterId, next.Totals, next.Pressure = after, totals, pressure
			workflow.GetLogger(ctx).Info("campaign launch continues as new", "campaign_id", in.GetCampaignId(), "after_id", after,
				"enrolled", totals.GetEnrolled())
			return nil, workflow.NewContinueAsNewError(ctx, wfc.WorkflowCampaignLaunch, next)
		}
		var page marketingv1.SegmentPageResult
		if err := workflow.ExecuteActivity(cust, customerc.ActivitySegmentPage, &marketingv1.SegmentPageInput{
			Filter: in.GetFilter(), AfterId: after, Limit: PageSize, AsOf: in.GetLaunchedAt(),
		}).Get(ctx, &page); err != nil {
			return nil, err
		}
		if len(page.GetCustomers()) > 0 {
			if err := enrol(ctx, q, in.GetCampaignId(), source(in), page.GetCustomers(), pressure, totals); err != nil {
				return nil, err
			}
		}
		if after = page.GetNextAfterId(); after == "" {
			break
		}
	}
	done := proto.Clone(in).(*marketingv1.CampaignLaunchInput)
	done.AfterId, done.Totals, done.Pressure = "", totals, pressure
	if err := workflow.ExecuteActivity(mkt, marketingc.ActivityFinishLaunch, done).Get(ctx, nil); err != nil {
		return nil, err
	}
	workflow.GetLogger(ctx).Info("campaign launch enrolled", "campaign_id", in.GetCampaignId(), "enrolled", totals.GetEnrolled(),
		"held_out", totals.GetHeldOut(), "skipped", totals.GetSkipped(), "workflows_started", totals.GetWorkflowsStarted())
	return totals, nil
}

// source is what the run enrols as: the launch, or the newcomers of a
// running campaign's segment.
func source(in *marketingv1.CampaignLaunchInput) string {
	if in.GetSource() == SourceNewcomers {
		return SourceNewcomers
	}
	return SourceLaunch
}

// enrol hands one page to the marketing service and has the touches it
// returns planned by the customer service — the email touches emailed,
// SendEmails — and recorded with their action plans.
func enrol(ctx workflow.Context, q Queues, campaignID, source string, customers []*marketingv1.CustomerFacts,
	pressure []*marketingv1.PressureLimit, totals *marketingv1.EnrolPageResult) error {
	cust, mkt := pages(ctx, q)
	var res marketingv1.EnrolPageResult
	if err := workflow.ExecuteActivity(mkt, marketingc.ActivityEnrolPage, &marketingv1.EnrolPageInput{
		CampaignId: campaignID, Customers: customers, Source: source, At: timestamppb.New(workflow.Now(ctx)), Pressure: pressure,
	}).Get(ctx, &res); err != nil {
		return err
	}
	AddPage(totals, &res)
	touches := res.GetTouches()
	if len(touches) == 0 {
		return nil
	}
	var emailed []*marketingv1.Touch
	if HasEmail(touches) { // emails, and the plans of those that cannot be emailed (email.go)
		if workflow.GetVersion(ctx, EmailTouchesChange, workflow.DefaultVersion, EmailTouchesVersion) == workflow.DefaultVersion {
			touches = AsOffers(touches)
		} else {
			e, err := SendEmails(ctx, q, touches, PageTimeout)
			if err != nil {
				return err
			}
			touches, emailed = e.Plans, e.Sent
		}
	}
	var planned marketingv1.PlanTouchesResult
	if len(touches) > 0 {
		if err := workflow.ExecuteActivity(cust, customerc.ActivityPlanTouches, &marketingv1.PlanTouchesInput{
			Touches: touches,
		}).Get(ctx, &planned); err != nil {
			return err
		}
	}
	if len(touches)+len(emailed) == 0 {
		return nil // every customer of the page opted out meanwhile
	}
	// The plans with their action plans, then the emails (none).
	return workflow.ExecuteActivity(mkt, marketingc.ActivityRecordTouches, &marketingv1.RecordTouchesInput{
		Touches: append(touches, emailed...), ActionIds: planned.GetActionIds(),
	}).Get(ctx, nil)
}
