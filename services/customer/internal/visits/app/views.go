package app

import (
	"context"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
)

// view loads a visit with its participants, and its timeline if events.
func (s *Visits) view(ctx context.Context, id string, events bool) (domain.View, error) {
	r, err := s.repo.Visit(ctx, id)
	if err != nil {
		return domain.View{}, err
	}
	ps, err := s.repo.Participants(ctx, []string{id})
	if err != nil {
		return domain.View{}, err
	}
	v := domain.ViewOf(r, ps[id])
	if events {
		evs, err := s.repo.Events(ctx, id)
		if err != nil {
			return domain.View{}, err
		}
		v.Events = domain.Timeline(evs)
	}
	return v, nil
}

// Get returns a visit with its timeline.
func (s *Visits) Get(ctx context.Context, id string) (domain.View, error) {
	if _, _, err := s.visible(ctx, auth.PermCustomersRead, id); err != nil {
		return domain.View{}, err
	}
	return s.view(ctx, id, true)
}

func (s *Visits) list(ctx context.Context, scope auth.Scope, f domain.Filter) (domain.Page, error) {
	vs, err := s.repo.List(ctx, scope, f)
	if err != nil {
		return domain.Page{}, err
	}
	ids := make([]string, 0, len(vs))
	for i, v := range vs {
		if i < f.Limit {
			ids = append(ids, v.ID)
		}
	}
	ps, err := s.repo.Participants(ctx, ids)
	if err != nil {
		return domain.Page{}, err
	}
	return domain.PageOf(vs, f.Limit, ps), nil
}

// List is the calendar view of a department or a rep over a date range:
// the visits, in the caller's customer scope, they take part in.
func (s *Visits) List(ctx context.Context, f domain.Filter) (domain.Page, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return domain.Page{}, err
	}
	if err := f.Check(true); err != nil {
		return domain.Page{}, err
	}
	return s.list(ctx, p.Scope(), f)
}

// ForCustomer lists a customer's visits, past and future, by day.
func (s *Visits) ForCustomer(ctx context.Context, customerID string, f domain.Filter) (domain.Page, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return domain.Page{}, err
	}
	if err := f.Check(false); err != nil {
		return domain.Page{}, err
	}
	if _, err := s.customerOf(ctx, customerID, p.Scope()); err != nil {
		return domain.Page{}, err
	}
	f.CustomerID = customerID
	return s.list(ctx, p.Scope(), f)
}
