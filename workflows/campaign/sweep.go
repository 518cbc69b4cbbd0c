package campaign

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingc "github.com/closeloop/closeloop/proto/contract/marketing"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// StageLost is the lifecycle stage of a lost customer.
const StageLost = "lost"

// Sweep is the WinBackSweep workflow: every lost customer whose inactivity
// period (winback.inactivity_period, in force at as_of) has passed is handed
// to the marketing service, which enrols it in the running win-back campaign
// that matches it or lists it as a candidate. as_of is the run's start when
// unset (the schedule's runs).
func Sweep(ctx workflow.Context, in *marketingv1.WinBackSweepInput) (*marketingv1.WinBackSweepResult, error) {
	asOf := workflow.Now(ctx)
	if in.GetAsOf() != nil {
		asOf = in.GetAsOf().AsTime()
	}
	lostBefore, err := sweepHorizon(ctx, asOf)
	if err != nil {
		return nil, err
	}
	cust, mkt := pages(ctx, pageQueues(ctx))
	filter := &marketingv1.SegmentFilter{LifecycleStages: []string{StageLost}, LostBefore: timestamppb.New(lostBefore),
		MinDaysSinceContact: -1, MaxDaysSinceContact: -1}
	out := &marketingv1.WinBackSweepResult{}
	after := ""
	for {
		var page marketingv1.SegmentPageResult
		if err := workflow.ExecuteActivity(cust, customerc.ActivitySegmentPage, &marketingv1.SegmentPageInput{
			Filter: filter, AfterId: after, Limit: PageSize, AsOf: timestamppb.New(asOf),
		}).Get(ctx, &page); err != nil {
			return nil, err
		}
		if len(page.GetCustomers()) > 0 {
			var res marketingv1.WinBackSweepResult
			if err := workflow.ExecuteActivity(mkt, marketingc.ActivityWinBackSweepPage, &marketingv1.EnrolPageInput{
				Customers: page.GetCustomers(), Source: SourceSweep, At: timestamppb.New(workflow.Now(ctx)),
			}).Get(ctx, &res); err != nil {
				return nil, err
			}
			AddSweepPage(out, &res)
		}
		if after = page.GetNextAfterId(); after == "" {
			break
		}
	}
	workflow.GetLogger(ctx).Info("win-back sweep finished", "lost_before", lostBefore, "examined", out.GetExamined(),
		"enrolled", out.GetEnrolled(), "candidates", out.GetCandidates())
	return out, nil
}

// sweepHorizon resolves the inactivity period in force at asOf and returns
// the latest instant a swept customer may have become lost.
func sweepHorizon(ctx workflow.Context, asOf time.Time) (time.Time, error) {
	res, err := followup.ResolvePolicies(ctx, &followupv1.ResolvePoliciesInput{
		Names: []string{policy.WinBackInactivity}, At: timestamppb.New(asOf),
	})
	if err != nil {
		return time.Time{}, err
	}
	var timer *policy.Timer
	for _, p := range res.GetPolicies() {
		if p.GetName() != policy.WinBackInactivity {
			continue
		}
		v, err := policy.Parse(p.GetValueJson())
		if err != nil {
			return time.Time{}, unusable(fmt.Sprintf("policy %s v%d: %v", p.GetName(), p.GetVersion(), err))
		}
		timer = v.Timer
	}
	if timer == nil {
		return time.Time{}, unusable("the follow-up engine resolved no usable " + policy.WinBackInactivity)
	}
	var cal *calendar.Calendar
	if timer.Clock == policy.ClockBusiness { // the default calendar: a sweep is about no team
		name := timer.Calendar
		if name == "" {
			name = res.GetAssignedCalendar()
		}
		for _, c := range res.GetCalendars() {
			if c.GetName() == name {
				if cal, err = policy.CalendarFromJSON(c.GetSpecJson()); err != nil {
					return time.Time{}, unusable(fmt.Sprintf("calendar %s v%d: %v", name, c.GetVersion(), err))
				}
			}
		}
		if cal == nil {
			return time.Time{}, unusable(fmt.Sprintf("calendar %q was not resolved", name))
		}
	}
	at, err := LostBefore(asOf, *timer, cal)
	if err != nil {
		return time.Time{}, unusable(err.Error())
	}
	return at, nil
}

func unusable(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, followup.ErrPolicyUnusable, nil)
}
