package ports

import (
	"context"
	"encoding/json"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/temporalx"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	"github.com/closeloop/closeloop/services/customer/internal/visits/app"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Activities are the Visit workflow's activities on the customer task queue:
// each reads its payload and stores the workflow's decision through the app.
// A refusal (apperr, not internal or unavailable) is not retried.
type Activities struct{ App *app.Visits }

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.BookVisit, activity.RegisterOptions{Name: customerc.ActivityBookVisit})
	r.RegisterActivityWithOptions(a.JoinVisit, activity.RegisterOptions{Name: customerc.ActivityJoinVisit})
	r.RegisterActivityWithOptions(a.DecideVisitRequest, activity.RegisterOptions{Name: customerc.ActivityDecideVisitRequest})
	r.RegisterActivityWithOptions(a.RecordVisitEvent, activity.RegisterOptions{Name: customerc.ActivityRecordVisitEvent})
	r.RegisterActivityWithOptions(a.VisitBookedDays, activity.RegisterOptions{Name: customerc.ActivityVisitBookedDays})
	r.RegisterActivityWithOptions(a.CancelVisit, activity.RegisterOptions{Name: customerc.ActivityCancelVisit})
	r.RegisterActivityWithOptions(a.LogVisit, activity.RegisterOptions{Name: customerc.ActivityLogVisit})
}

// instant reads an activity payload's RFC 3339 instant as stored; a
// malformed one is refused (invalid), not retried.
func instant(field, s string) (time.Time, error) {
	t, err := visit.ParseAt(s)
	if err != nil {
		var v apperr.Validation
		v.Add(field, visit.CodeInvalid, "an instant in RFC 3339")
		return t, v.Err()
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// Book stores a booked visit, returning the error as the app gives it.
func (a *Activities) Book(ctx context.Context, in *visit.BookInput) error {
	b, err := booking(in)
	if err == nil {
		return a.App.Book(ctx, b)
	}
	return a.App.BookError(ctx, in.CustomerId, in.Day, in.VisitId, err)
}

// booking reads a BookInput's instants.
func booking(in *visit.BookInput) (domain.Booking, error) {
	b := domain.Booking{VisitID: in.GetVisitId(), WorkflowID: in.GetWorkflowId(), RequestID: in.GetRequestId(), CustomerID: in.GetCustomerId(),
		Day: in.GetDay(), BookedBy: in.GetBookedBy(), Team: in.GetTeam(), Department: in.GetDepartment(), Purpose: in.GetPurpose(),
		NonWorkingDayBy: in.GetNonWorkingDayBy()}
	var err error
	if b.StartAt, err = instant("start_at", in.GetStartAt()); err != nil {
		return b, err
	}
	if b.EndAt, err = instant("end_at", in.GetEndAt()); err != nil {
		return b, err
	}
	b.At, err = instant("at", in.GetAt())
	return b, err
}

// DecideVisitRequest decides a request against the customer-day as stored
// and stores the decision. A malformed input is refused (invalid); a
// failed transaction (a concurrent booking of the day included) is retried.
func (a *Activities) DecideVisitRequest(ctx context.Context, in *visit.DecideInput) (*visit.DecideResult, error) {
	b, err := booking(in.GetBook())
	if err == nil && (in.GetRequest() == nil || b.RequestID == "" || b.CustomerID == "" || b.Day == "") {
		var v apperr.Validation
		v.Add("request", visit.CodeInvalid, "the request to decide, its update id, customer and day")
		err = v.Err()
	}
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	d, err := a.App.Decide(ctx, in.Request, b)
	if err != nil {
		return nil, err
	}
	out := &visit.DecideResult{Outcome: d.Outcome, VisitId: d.VisitID, OfferedDay: d.OfferedDay, Day: d.State}
	if d.Refusal != nil {
		out.Code, out.Field, out.Message = d.Refusal.Code, d.Refusal.Field, d.Refusal.Message
	}
	return out, nil
}

// BookVisit stores a booked visit.
func (a *Activities) BookVisit(ctx context.Context, in *visit.BookInput) error {
	return temporalx.NonRetryable(a.Book(ctx, in))
}

// Join adds a participant, returning the error as the app gives it.
func (a *Activities) Join(ctx context.Context, in *visit.JoinInput) error {
	at, err := instant("at", in.At)
	if err != nil {
		return err
	}
	return a.App.Join(ctx, domain.Joining{VisitID: in.VisitId, RequestID: in.RequestId, UserID: in.UserId, Department: in.Department,
		Purpose: in.Purpose, Notify: in.Notify, At: at})
}

// JoinVisit adds a participant.
func (a *Activities) JoinVisit(ctx context.Context, in *visit.JoinInput) error {
	return temporalx.NonRetryable(a.Join(ctx, in))
}

// RecordVisitEvent records a timeline entry or notification.
func (a *Activities) RecordVisitEvent(ctx context.Context, in *visit.EventInput) error {
	at, err := instant("at", in.At)
	if err != nil {
		return temporalx.NonRetryable(err)
	}
	data := ""
	if len(in.Data) > 0 {
		b, _ := json.Marshal(in.Data)
		data = string(b)
	}
	return temporalx.NonRetryable(a.App.RecordEvent(ctx, domain.Event{ID: in.Id, VisitID: in.VisitId, Kind: in.Kind, Actor: in.Actor,
		Recipient: in.Recipient, Summary: in.Summary, Data: data, At: at}))
}

// VisitBookedDays lists booked days.
func (a *Activities) VisitBookedDays(ctx context.Context, in *visit.BookedDaysInput) (*visit.BookedDaysResult, error) {
	days, err := a.App.BookedDays(ctx, in.CustomerId, in.From, in.To)
	return &visit.BookedDaysResult{Days: days}, temporalx.NonRetryable(err)
}

// CancelVisit cancels a visit.
func (a *Activities) CancelVisit(ctx context.Context, in *visit.CancelInput) error {
	at, err := instant("at", in.At)
	if err != nil {
		return temporalx.NonRetryable(err)
	}
	return temporalx.NonRetryable(a.App.RecordCancel(ctx, in.VisitId, domain.Cancellation{Actor: in.Actor, Reason: in.Reason,
		MovedTo: in.MovedTo, Notify: in.Notify, At: at}))
}

// Log records a visit's log, returning the error as the app gives it.
func (a *Activities) Log(ctx context.Context, in *visit.LogInput) error {
	at, err := instant("at", in.At)
	if err != nil {
		return err
	}
	return a.App.RecordLog(ctx, in.VisitId, domain.LogEntry{Actor: in.Actor, Summary: in.Summary, Outcome: in.Outcome,
		NextStep: in.NextStep, At: at})
}

// LogVisit logs a visit.
func (a *Activities) LogVisit(ctx context.Context, in *visit.LogInput) error {
	return temporalx.NonRetryable(a.Log(ctx, in))
}
