package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	customers "github.com/closeloop/closeloop/services/customer/internal/domain"
)

// Input is a new action.
type Input = domain.Draft

// CompleteInput turns a plan into a log.
type CompleteInput = domain.Completion

// Create records an action plan or log on customers the caller may change;
// a logged contact closes the follow-ups it answers.
func (s *Service) Create(ctx context.Context, in Input) (Result, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return Result{}, err
	}
	a, subj, err := domain.New(in, s.newID(), p.Subject, s.now())
	if err != nil {
		return Result{}, err
	}
	// Every customer must be one the caller may change; contacts must belong to them.
	facts := domain.Facts{MayChange: map[string]bool{}}
	for _, id := range subj.Customers {
		switch err := s.customers.Visible(ctx, id, p.Scope()); {
		case err == nil:
			facts.MayChange[id] = true
		case !errors.Is(err, customers.ErrCustomerNotFound):
			return Result{}, err
		}
	}
	if facts.ContactCustomer, err = s.repo.ContactCustomers(ctx, subj.Contacts, subj.Customers); err != nil {
		return Result{}, err
	}
	if err := a.Attach(subj, facts); err != nil {
		return Result{}, err
	}
	if err := s.repo.Create(ctx, a, a.RestartsCare()); err != nil {
		return Result{}, err
	}
	s.heard(ctx, a, p.Subject)
	res := Result{Action: view(a), ClosedFollowUps: []Closed{}}
	if a.Kind == domain.KindLog {
		res.ClosedFollowUps, res.NotClosed = s.closeAnswered(ctx, p, a)
	}
	return res, nil
}

// Get returns an action on a customer the caller may see.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return View{}, err
	}
	a, err := s.visible(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	return view(a), nil
}

// visible loads an action when one of its customers is visible to p.
func (s *Service) visible(ctx context.Context, p auth.Principal, id string) (domain.Action, error) {
	if _, err := uuid.Parse(id); err != nil {
		return domain.Action{}, domain.ErrNotFound
	}
	a, err := s.repo.Get(ctx, id)
	if err != nil {
		return domain.Action{}, err
	}
	for _, cid := range a.CustomerIDs() {
		if err := s.customers.Visible(ctx, cid, p.Scope()); err == nil {
			return a, nil
		} else if !errors.Is(err, customers.ErrCustomerNotFound) {
			return domain.Action{}, err
		}
	}
	return domain.Action{}, domain.ErrNotFound
}

// Complete records that a planned action was done; a contact closes the
// follow-ups it answers.
func (s *Service) Complete(ctx context.Context, id string, in CompleteInput) (Result, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return Result{}, err
	}
	a, err := s.visible(ctx, p, id)
	if err != nil {
		return Result{}, err
	}
	if err := a.Changeable(); err != nil {
		return Result{}, err
	}
	if !a.MayChange(p.Subject, managerOrAdmin(p)) {
		return Result{}, apperr.Forbidden("not_your_action", "only the person who planned it or a manager may complete it")
	}
	a, err = s.repo.Update(ctx, id, func(a *domain.Action) error { return a.Complete(in, s.now()) })
	if err != nil {
		return Result{}, err
	}
	s.heard(ctx, a, p.Subject)
	out := Result{Action: view(a)}
	out.ClosedFollowUps, out.NotClosed = s.closeAnswered(ctx, p, a)
	return out, nil
}

// Cancel drops a planned action.
func (s *Service) Cancel(ctx context.Context, id string) (View, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return View{}, err
	}
	a, err := s.visible(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if err := a.Changeable(); err != nil {
		return View{}, err
	}
	if !a.MayChange(p.Subject, managerOrAdmin(p)) {
		return View{}, apperr.Forbidden("not_your_action", "only the person who planned it or a manager may cancel it")
	}
	a, err = s.repo.Update(ctx, id, func(a *domain.Action) error { return a.Cancel(s.now()) })
	if err != nil {
		return View{}, err
	}
	return view(a), nil
}

// History is one customer's contact history across all departments, newest
// first: every action linked to it, to one of its contacts, or through one of
// its leads or opportunities filed under it, and the changes of its service
// cases (category service_case). Whoever may see the customer sees them
// all: a case's items are not scoped apart from the customer's history.
func (s *Service) History(ctx context.Context, customerID, kind, department string, after *HistoryCursor, limit int) (HistoryPage, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return HistoryPage{}, err
	}
	if _, err := uuid.Parse(customerID); err != nil {
		return HistoryPage{}, customers.ErrCustomerNotFound
	}
	if err := s.customers.Visible(ctx, customerID, p.Scope()); err != nil {
		return HistoryPage{}, err
	}
	q := domain.HistoryQuery{CustomerID: customerID, Kind: kind, Department: department, After: after, Limit: limit}
	if err := q.Validate(); err != nil {
		return HistoryPage{}, err
	}
	rows, err := s.repo.History(ctx, q)
	if err != nil {
		return HistoryPage{}, err
	}
	page := HistoryPage{Items: []View{}}
	for i, a := range rows {
		if i == limit {
			page.NextCursor = httpx.EncodeCursor(HistoryCursor{At: rows[i-1].OccurredAt, ID: rows[i-1].ID})
			break
		}
		page.Items = append(page.Items, view(a))
	}
	return page, nil
}
