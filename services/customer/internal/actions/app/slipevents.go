package app

import (
	"context"

	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
)

// SlipEvent is an information routing slip's change as its workflow
// reports it.
type SlipEvent = domain.SlipEvent

// RecordSlipEvent puts an information routing slip's change on its
// customer's history (the customer.RecordSlipEvent activity of the InfoSlip
// workflow, run by the service itself: there is no caller to authorise, the
// workflow is the slip's only writer). Like RecordCaseEvent it is idempotent
// on the event's key (a repeat stores nothing: recorded false), refuses a
// malformed event (validation_failed), answers not found for a customer that
// never existed, and records the item on a deleted customer's history.
func (s *Service) RecordSlipEvent(ctx context.Context, e SlipEvent) (View, bool, error) {
	a, err := domain.NewSlipEvent(e, s.now())
	if err != nil {
		return View{}, false, err
	}
	return s.recordOnce(ctx, a)
}
