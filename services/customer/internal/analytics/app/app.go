// Package app holds the analytics use cases: the analytics of the caller's
// book of customers (classes, Pareto series, stages) and its care coverage.
// Each checks the caller's permission, takes the caller's scope — a rep's
// own customers, a manager's teams', everyone's for analysts and admins —
// narrowed by the filters (a team or owner outside the scope gives empty
// figures, never another's), reads the grouped figures through the
// Repository and lets package domain (and, for who is within their care
// cadence, the care context's rules) compute the answer.
package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/customer/internal/analytics/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/analytics/domain"
	"github.com/closeloop/closeloop/services/customer/internal/care"
)

// Repository reads the grouped figures; it decides nothing.
type Repository interface {
	Composition(ctx context.Context, f adapters.Filter) ([]domain.Cell, error)
	Tiles(ctx context.Context, f adapters.Filter, n int) ([]domain.Tile, error)
	InCare(ctx context.Context, f adapters.Filter) ([]domain.GroupCount, error)
	Contacted(ctx context.Context, f adapters.Filter, cutoffs map[care.Group]time.Time) (map[string]int64, error)
}

// Terms gives the care terms of the latest sweep (care.Service).
type Terms interface {
	Terms(ctx context.Context) (*followupv1.CareTerms, time.Time, error)
}

// Service is the analytics use cases.
type Service struct {
	repo  Repository
	terms Terms
	now   func() time.Time
}

// New returns the service.
func New(repo Repository, terms Terms) *Service {
	return &Service{repo: repo, terms: terms, now: func() time.Time { return time.Now().UTC() }}
}

// Filter narrows the caller's scope to a team or an owner.
type Filter struct{ Team, OwnerID string }

func (s *Service) filter(ctx context.Context, in Filter) (adapters.Filter, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return adapters.Filter{}, err
	}
	var v apperr.Validation
	v.Check(len(in.Team) <= 100, "team", "too_long", "at most 100 characters")
	v.Check(len(in.OwnerID) <= 200, "owner_id", "too_long", "at most 200 characters")
	if err := v.Err(); err != nil {
		return adapters.Filter{}, err
	}
	return adapters.Filter{Scope: p.Scope(), Team: in.Team, OwnerID: in.OwnerID}, nil
}

// Customers returns the analytics of the customers in the caller's scope.
func (s *Service) Customers(ctx context.Context, in Filter) (domain.CustomerAnalytics, error) {
	f, err := s.filter(ctx, in)
	if err != nil {
		return domain.CustomerAnalytics{}, err
	}
	cells, err := s.repo.Composition(ctx, f)
	if err != nil {
		return domain.CustomerAnalytics{}, err
	}
	tiles, err := s.repo.Tiles(ctx, f, domain.ParetoTiles)
	if err != nil {
		return domain.CustomerAnalytics{}, err
	}
	return domain.Summarize(cells, tiles), nil
}

// CareCoverage returns, per value class, how many of the customers in care
// in the caller's scope were contacted within their cadence now, under the
// care terms of the latest sweep.
func (s *Service) CareCoverage(ctx context.Context, in Filter) (domain.CareCoverage, error) {
	f, err := s.filter(ctx, in)
	if err != nil {
		return domain.CareCoverage{}, err
	}
	terms, asOf, err := s.terms.Terms(ctx)
	if err != nil {
		return domain.CareCoverage{}, err
	}
	now := s.now()
	groups, err := s.repo.InCare(ctx, f)
	if err != nil {
		return domain.CareCoverage{}, err
	}
	gs := make([]care.Group, len(groups))
	for i, g := range groups {
		gs[i] = g.Group
	}
	cutoffs, unknown := care.ContactCutoffs(terms, gs, now)
	contacted, err := s.repo.Contacted(ctx, f, cutoffs)
	if err != nil {
		return domain.CareCoverage{}, err
	}
	cadences := map[string]*care.Cadence{}
	for _, class := range []string{"A", "B", "C"} {
		if c, err := care.ClassCadence(terms, class); err == nil {
			cadences[class] = c
		}
	}
	out := domain.Coverage(groups, unknown, contacted, cadences)
	out.At = now
	if terms != nil {
		out.TermsAsOf = &asOf
	}
	return out, nil
}
