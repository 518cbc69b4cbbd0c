package app

import (
	"context"

	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
)

// CaseEvent is a service case's change as its workflow reports it.
type CaseEvent = domain.CaseEvent

// RecordCaseEvent puts a service case's change on its customer's history
// (the customer.RecordCaseEvent activity of the ServiceCase workflow, run by
// the service itself: there is no caller to authorise, the workflow is the
// case's only writer). It is idempotent on the event's key: the first
// recording stands and a repeat stores nothing (recorded false). A malformed
// event is refused (validation_failed); a customer that never existed is not
// found; a deleted customer still gets the item, so its history stays whole.
func (s *Service) RecordCaseEvent(ctx context.Context, e CaseEvent) (View, bool, error) {
	a, err := domain.NewCaseEvent(e, s.now())
	if err != nil {
		return View{}, false, err
	}
	return s.recordOnce(ctx, a)
}

// recordOnce stores a workflow's history item on its customer unless an
// item of its id is stored already, and returns the item as stored (the
// first recording) and whether this call stored it. The customer must have
// existed (deleted or not).
func (s *Service) recordOnce(ctx context.Context, a domain.Action) (View, bool, error) {
	if err := s.customers.Exists(ctx, a.CustomerIDs()[0]); err != nil {
		return View{}, false, err
	}
	recorded, err := s.repo.CreateOnce(ctx, a)
	if err != nil {
		return View{}, false, err
	}
	if !recorded {
		if a, err = s.repo.Get(ctx, a.ID); err != nil {
			return View{}, false, err
		}
	}
	return view(a), recorded, nil
}
