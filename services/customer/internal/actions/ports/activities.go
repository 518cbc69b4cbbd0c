package ports

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/customer/internal/actions/app"
	"github.com/closeloop/closeloop/services/customer/internal/activityerr"
)

// Error types the activities fail with, not retried: the ServiceCase,
// InfoSlip and marketing workflows list them as non-retryable (their
// wfx.Call NonRetryable).
const (
	ErrTypeInvalid  = activityerr.TypeInvalid
	ErrTypeNotFound = activityerr.TypeNotFound
)

// Activities are the actions context's Temporal activities on the customer
// task queue, run by the customer service's worker.
type Activities struct{ Svc *app.Service }

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.RecordCaseEvent, activity.RegisterOptions{Name: customerc.ActivityRecordCaseEvent})
	r.RegisterActivityWithOptions(a.RecordSlipEvent, activity.RegisterOptions{Name: customerc.ActivityRecordSlipEvent})
	r.RegisterActivityWithOptions(a.PlanTouches, activity.RegisterOptions{Name: customerc.ActivityPlanTouches})
}

// PlanTouches puts a campaign's touches on their assignees' lists and
// their customers' histories as action plans, once per touch id — a visit
// touch's with its visit request, answered by VisitRequests — and returns
// each touch's plan in order. A malformed touch fails the call as
// non-retryable "invalid", an unknown customer as non-retryable
// "not_found", before anything is stored; a failure of the database is
// retried. (The touches' department is marketing: the contract's Touch
// names none.)
func (a *Activities) PlanTouches(ctx context.Context, in *marketingv1.PlanTouchesInput) (*marketingv1.PlanTouchesResult, error) {
	touches := make([]app.Touch, len(in.GetTouches()))
	for i, t := range in.GetTouches() {
		var due, planned time.Time
		if t.GetDueAt() != nil && t.GetDueAt().CheckValid() == nil {
			due = t.GetDueAt().AsTime()
		}
		if t.GetPlannedAt() != nil && t.GetPlannedAt().CheckValid() == nil {
			planned = t.GetPlannedAt().AsTime()
		}
		touches[i] = app.Touch{ID: t.GetTouchId(), CampaignID: t.GetCampaignId(), CampaignName: t.GetCampaignName(), CustomerID: t.GetCustomerId(),
			Step: int(t.GetStep()), Action: t.GetAction(), AssigneeID: t.GetAssigneeId(), DueAt: due, PlannedAt: planned}
	}
	ids, err := a.Svc.PlanTouches(ctx, touches)
	if err != nil {
		return nil, nonRetryable(err)
	}
	return &marketingv1.PlanTouchesResult{ActionIds: ids}, nil
}

// RecordCaseEvent puts a service case's change on its customer's history,
// once per in.id. A malformed input fails as non-retryable "invalid", an
// unknown customer as non-retryable "not_found"; a failure of the database
// is returned as it is, so Temporal retries it.
func (a *Activities) RecordCaseEvent(ctx context.Context, in *customerv1.CaseEventInput) error {
	var at time.Time
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	_, _, err := a.Svc.RecordCaseEvent(ctx, app.CaseEvent{Key: in.GetId(), CustomerID: in.GetCustomerId(), CaseID: in.GetCaseId(),
		Event: in.GetEvent(), Actor: in.GetActor(), Team: in.GetTeam(), Subject: in.GetSubject(), Summary: in.GetSummary(), At: at})
	return nonRetryable(err)
}

// RecordSlipEvent puts an information routing slip's change on its
// customer's history, once per in.id, with RecordCaseEvent's refusals: a
// malformed input fails as non-retryable "invalid", an unknown customer as
// non-retryable "not_found"; a failure of the database is retried.
func (a *Activities) RecordSlipEvent(ctx context.Context, in *customerv1.SlipEventInput) error {
	var at time.Time
	if in.GetAt() != nil {
		at = in.GetAt().AsTime()
	}
	_, _, err := a.Svc.RecordSlipEvent(ctx, app.SlipEvent{Key: in.GetId(), CustomerID: in.GetCustomerId(), SlipID: in.GetSlipId(),
		Event: in.GetEvent(), Actor: in.GetActor(), Department: in.GetDepartment(), Subject: in.GetSubject(), Summary: in.GetSummary(), At: at})
	return nonRetryable(err)
}

// nonRetryable maps a refusal to the workflow's error types
// (activityerr.NonRetryable): not found to "not_found", any other business
// refusal to "invalid"; an internal or unavailable failure is returned as
// it is.
func nonRetryable(err error) error { return activityerr.NonRetryable(err) }
