// Package app holds the timeline's use case: read a page of one customer's
// timeline. It checks the caller's permission and scope (a customer outside
// it is not found), lets package domain validate the query and say where the
// page starts in each source, reads each source's page through the
// Repository and merges them by the domain's order.
package app

import (
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/auth"
	customers "github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/domain"
)

// Repository reads the timeline's sources; it decides nothing.
type Repository interface {
	// Visible is nil when the customer is in scope, else the customer
	// domain's ErrCustomerNotFound (or a failure).
	Visible(ctx context.Context, id string, scope auth.Scope) error
	// Actions, Visits and Stages return up to n entries of their source
	// within b (nil: from the newest), newest first.
	Actions(ctx context.Context, customerID string, b *domain.Bound, n int) ([]domain.Entry, error)
	Visits(ctx context.Context, customerID string, b *domain.Bound, n int) ([]domain.Entry, error)
	Stages(ctx context.Context, customerID string, b *domain.Bound, n int) ([]domain.Entry, error)
}

// Service is the timeline use case.
type Service struct{ repo Repository }

// New returns the service over repo.
func New(repo Repository) *Service { return &Service{repo: repo} }

// Timeline returns a page of a customer's timeline, newest first.
func (s *Service) Timeline(ctx context.Context, q domain.Query) (domain.Page, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return domain.Page{}, err
	}
	if u, err := uuid.Parse(q.CustomerID); err != nil || u.String() != q.CustomerID {
		return domain.Page{}, customers.ErrCustomerNotFound
	}
	if err := s.repo.Visible(ctx, q.CustomerID, p.Scope()); err != nil {
		return domain.Page{}, err
	}
	if err := q.Validate(); err != nil {
		return domain.Page{}, err
	}
	read := map[string]func(context.Context, string, *domain.Bound, int) ([]domain.Entry, error){
		domain.SourceAction: s.repo.Actions, domain.SourceVisit: s.repo.Visits, domain.SourceStage: s.repo.Stages,
	}
	// The sources are read at once: the page takes as long as the slowest.
	lists := make([][]domain.Entry, len(q.Sources))
	errs := make([]error, len(q.Sources))
	var wg sync.WaitGroup
	for i, src := range q.Sources {
		var b *domain.Bound
		if q.After != nil {
			bound := q.After.BoundIn(src)
			b = &bound
		}
		wg.Go(func() { lists[i], errs[i] = read[src](ctx, q.CustomerID, b, q.Limit+1) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return domain.Page{}, err
	}
	return domain.Merge(q.Limit, lists...), nil
}
