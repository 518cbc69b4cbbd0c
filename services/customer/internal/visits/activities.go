package visits

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/temporalx"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Activities are the Visit workflow's activities on the customer task queue.
type Activities struct{ Store *Store }

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.BookVisit, activity.RegisterOptions{Name: customerc.ActivityBookVisit})
	r.RegisterActivityWithOptions(a.JoinVisit, activity.RegisterOptions{Name: customerc.ActivityJoinVisit})
	r.RegisterActivityWithOptions(a.RecordVisitEvent, activity.RegisterOptions{Name: customerc.ActivityRecordVisitEvent})
	r.RegisterActivityWithOptions(a.VisitBookedDays, activity.RegisterOptions{Name: customerc.ActivityVisitBookedDays})
	r.RegisterActivityWithOptions(a.CancelVisit, activity.RegisterOptions{Name: customerc.ActivityCancelVisit})
	r.RegisterActivityWithOptions(a.LogVisit, activity.RegisterOptions{Name: customerc.ActivityLogVisit})
}

// BookVisit stores a booked visit.
func (a *Activities) BookVisit(ctx context.Context, in *visit.BookInput) error {
	if err := a.Store.Book(ctx, in); err != nil {
		return temporalx.NonRetryable(a.Store.BookError(ctx, in, err))
	}
	return nil
}

// JoinVisit adds a participant.
func (a *Activities) JoinVisit(ctx context.Context, in *visit.JoinInput) error {
	return temporalx.NonRetryable(a.Store.Join(ctx, in))
}

// RecordVisitEvent records a timeline entry or notification.
func (a *Activities) RecordVisitEvent(ctx context.Context, in *visit.EventInput) error {
	return temporalx.NonRetryable(a.Store.RecordEvent(ctx, in))
}

// VisitBookedDays lists booked days.
func (a *Activities) VisitBookedDays(ctx context.Context, in *visit.BookedDaysInput) (*visit.BookedDaysResult, error) {
	res, err := a.Store.BookedDays(ctx, in)
	return res, temporalx.NonRetryable(err)
}

// CancelVisit cancels a visit.
func (a *Activities) CancelVisit(ctx context.Context, in *visit.CancelInput) error {
	return temporalx.NonRetryable(a.Store.Cancel(ctx, in))
}

// LogVisit logs a visit.
func (a *Activities) LogVisit(ctx context.Context, in *visit.LogInput) error {
	return temporalx.NonRetryable(a.Store.Log(ctx, in))
}
