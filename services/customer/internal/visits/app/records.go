package app

import (
	"context"

	"github.com/closeloop/closeloop/platform/faults"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	windomain "github.com/closeloop/closeloop/services/customer/internal/winback/domain"
	"github.com/closeloop/closeloop/workflows/visit"
)

// The Visit workflow's writes, through its activities (ports.Activities):
// the workflow has decided; these store its decision as the domain shapes
// it. Each is idempotent.

// AfterBook is the fault point (platform/faults) where a booking is
// committed and its workflow task not yet completed: the customer service,
// which hosts new customer-days and writes their bookings as local
// activities, killed there leaves the booking stored and the decision
// unrecorded, so the restarted service runs the booking again.
const AfterBook = "customer.after-book-visit"

// Book stores a booked visit with its booker. A day that holds another live
// visit (which the workflow makes impossible) is refused: day_taken.
func (s *Visits) Book(ctx context.Context, b domain.Booking) error {
	v, p := domain.Book(b)
	err := s.repo.Create(ctx, v, p)
	if err == nil {
		faults.Point(AfterBook)
		return nil
	}
	return s.BookError(ctx, b.CustomerID, b.Day, b.VisitID, err)
}

// Decide decides a request of the Visit workflow against the customer-day
// as stored and stores the decision (domain.DecideRequest), in one
// transaction; b is the booking the request makes if the day is free.
// A request decided before is answered as it was.
func (s *Visits) Decide(ctx context.Context, r *visit.Request, b domain.Booking) (domain.Decided, error) {
	d, err := s.repo.Decide(ctx, b.CustomerID, b.Day, b.RequestID, func(day domain.Day) domain.Decided {
		return domain.DecideRequest(day, r, b)
	})
	if err == nil && d.NewVisit != nil {
		faults.Point(AfterBook)
	}
	return d, err
}

// BookError is err, the failure of a booking, unless the day holds another
// live visit: then the refusal the workflow must not retry (day_taken).
func (s *Visits) BookError(ctx context.Context, customerID, day, visitID string, err error) error {
	if other, qerr := s.repo.OtherVisitOn(ctx, customerID, day, visitID); qerr == nil && other {
		return domain.ErrDayTaken(day)
	}
	return err
}

// Join adds a participant and tells the booker who joins and why; someone
// who already takes part is not added again.
func (s *Visits) Join(ctx context.Context, j domain.Joining) error {
	p, notice := domain.Join(j)
	return s.repo.AddParticipant(ctx, p, notice)
}

// RecordEvent records a timeline entry or notification.
func (s *Visits) RecordEvent(ctx context.Context, e domain.Event) error {
	return s.repo.AddEvent(ctx, domain.Entry(e))
}

// BookedDays lists the customer's days with a live visit in [from, to].
func (s *Visits) BookedDays(ctx context.Context, customerID, from, to string) ([]string, error) {
	return s.repo.BookedDays(ctx, customerID, from, to)
}

// RecordCancel marks a booked visit cancelled and notifies its other visitors.
func (s *Visits) RecordCancel(ctx context.Context, visitID string, c domain.Cancellation) error {
	return s.repo.Update(ctx, visitID, func(v *domain.Visit) error { return v.Cancel(c) })
}

// RecordLog records what the visit achieved; the visit is done, and the
// customer contacted at its start. Once stored, a customer in a win-back
// has answered it: its WinBack workflow is told (best effort, the log as
// stored, so a retried activity tells the same).
func (s *Visits) RecordLog(ctx context.Context, visitID string, l domain.LogEntry) error {
	if err := s.repo.Update(ctx, visitID, func(v *domain.Visit) error { return v.RecordLog(l) }); err != nil {
		return err
	}
	if s.winback == nil {
		return nil
	}
	// The log is stored: a visit that cannot be read back now is left to
	// the workflow's own question before its next touch.
	if v, err := s.repo.Visit(ctx, visitID); err == nil && v.LoggedAt != nil {
		by := ""
		if v.LoggedBy != nil {
			by = *v.LoggedBy
		}
		s.winback.Responded(ctx, windomain.Event{Source: windomain.SourceVisit, CustomerID: v.CustomerID, Ref: v.ID, By: by, At: *v.LoggedAt})
	}
	return nil
}
