package ports

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/apperr"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	customerv1 "github.com/closeloop/closeloop/proto/gen/closeloop/customer/v1"
	"github.com/closeloop/closeloop/services/customer/internal/actions/app"
)

// Error types the activities fail with, not retried: the ServiceCase and
// InfoSlip workflows list them as non-retryable (their wfx.Call
// NonRetryable).
const (
	ErrTypeInvalid  = "invalid"
	ErrTypeNotFound = "not_found"
)

// Activities are the actions context's Temporal activities on the customer
// task queue, run by the customer service's worker.
type Activities struct{ Svc *app.Service }

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.RecordCaseEvent, activity.RegisterOptions{Name: customerc.ActivityRecordCaseEvent})
	r.RegisterActivityWithOptions(a.RecordSlipEvent, activity.RegisterOptions{Name: customerc.ActivityRecordSlipEvent})
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

// nonRetryable maps a refusal to the workflow's error types: not found to
// "not_found", any other business refusal to "invalid" (its message naming
// the fields); an internal or unavailable failure is returned as it is.
func nonRetryable(err error) error {
	var ae *apperr.Error
	if err == nil || !errors.As(err, &ae) || ae.Kind == apperr.KindInternal || ae.Kind == apperr.KindUnavailable {
		return err
	}
	if ae.Kind == apperr.KindNotFound {
		return temporal.NewNonRetryableApplicationError(ae.Message, ErrTypeNotFound, err)
	}
	msg := ae.Message
	if len(ae.Fields) > 0 {
		parts := make([]string, len(ae.Fields))
		for i, f := range ae.Fields {
			parts[i] = f.Field + ": " + f.Code + " (" + f.Message + ")"
		}
		msg += ": " + strings.Join(parts, "; ")
	}
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeInvalid, err)
}
