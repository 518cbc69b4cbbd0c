package visit

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/timestamppb"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/followup"
	"github.com/closeloop/closeloop/workflows/policy"
)

// load resolves the reminder policy and the customer's business calendar.
// A run that decides while resolving (early) may have booked already: a
// resolution that fails (an unusable policy or calendar, which the
// follow-up service refuses to store) does not fail the run and lose the
// visit's reminder and log; it is tried again, 1 minute later, doubling up
// to hourly, until an analyst has fixed it.
func (w *visitWF) load(ctx workflow.Context) error {
	if res := w.in.GetResolved(); res != nil && w.version(ctx, changeResolvedAtRequest) >= 1 {
		err := w.apply(res)
		if err == nil {
			return nil
		}
		workflow.GetLogger(ctx).Warn("visit: the resolution the request carried cannot be used; resolving again", "error", err)
	}
	for wait := time.Minute; ; wait = min(2*wait, time.Hour) {
		err := w.resolve(ctx)
		if err == nil || !w.early {
			return err
		}
		workflow.GetLogger(ctx).Error("visit: the reminder policy or calendar could not be resolved; trying again", "error", err, "in", wait)
		if err := workflow.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// resolve asks the follow-up engine once for the reminder policy and the
// calendar in force for the customer's team and territory.
func (w *visitWF) resolve(ctx workflow.Context) error {
	res, err := followup.ResolvePolicies(ctx, &followupv1.ResolvePoliciesInput{
		Names: []string{policy.VisitReminder}, Team: w.in.Team, Territory: w.in.Region, At: timestamppb.New(workflow.Now(ctx)),
	})
	if err != nil {
		return err
	}
	return w.apply(res)
}

// apply takes the reminder policy and the customer's calendar from a
// resolution; an unusable one is a non-retryable ErrPolicyUnusable and
// changes nothing.
func (w *visitWF) apply(res *followupv1.ResolvePoliciesResult) error {
	var cal *calendar.Calendar
	for _, c := range res.GetCalendars() {
		if c.GetName() != res.GetAssignedCalendar() {
			continue
		}
		decoded, err := policy.CalendarFromJSON(c.GetSpecJson())
		if err != nil {
			return temporal.NewNonRetryableApplicationError("calendar "+c.GetName()+": "+err.Error(), followup.ErrPolicyUnusable, nil)
		}
		cal = decoded
	}
	if cal == nil {
		return temporal.NewNonRetryableApplicationError("the customer's calendar was not resolved", followup.ErrPolicyUnusable, nil)
	}
	var reminder *policy.Timer
	for _, p := range res.GetPolicies() {
		if p.GetName() != policy.VisitReminder {
			continue
		}
		v, err := policy.Parse(p.GetValueJson())
		if err != nil || v.Timer == nil {
			return temporal.NewNonRetryableApplicationError("policy "+p.GetName()+" is not a timer", followup.ErrPolicyUnusable, nil)
		}
		reminder = v.Timer
	}
	if reminder == nil {
		return temporal.NewNonRetryableApplicationError("the reminder policy was not resolved", followup.ErrPolicyUnusable, nil)
	}
	w.cal, w.reminder, w.loaded = cal, *reminder, true
	return nil
}
