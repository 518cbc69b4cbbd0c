package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Campaigns' visit touches (domain/touch.go has the rules): the actions
// context hands over the visit requests of touches it has planned, a batch
// at a time, in its background, and each is sent to its customer-day's
// Visit workflow like a person's request — the same update-with-start
// (Workflows.Request), so the workflow decides the day for a touch exactly
// as for anyone.
//
// A touch has no caller whose token could read the customer's calendar from
// the follow-up service, so it reads the calendar the customer service
// keeps: the business calendars and assignments the latest care sweep
// resolved (care.Service.Terms, as fresh as CARE_SWEEP_INTERVAL) — the
// ones the care status the API answers already counts in.

// StoredCalendars are the business calendars the customer service keeps
// (care.Service): the care terms of the latest care sweep, nil before the
// first.
type StoredCalendars interface {
	Terms(ctx context.Context) (*followupv1.CareTerms, time.Time, error)
}

// UseStoredCalendars makes touches read their customers' calendars from c.
func (s *Visits) UseStoredCalendars(c StoredCalendars) { s.stored = c }

// TouchParallelism bounds the touches' visit requests in flight at once in
// one ForTouches call. Each is a round trip to a Visit workflow — for a
// free day its start, the policy look-up and the booking activity — and the
// rate they are decided at is the workflow engine's: on the 2-core machine
// of docs/performance.md about 25–35 new visit workflows a second, whether
// 32 or 64 are in flight. 32 keeps the engine busy without flooding it for
// the other workflows.
const TouchParallelism = 32

// ForTouches requests the visit of each touch, at most TouchParallelism at
// once, and hands each answer to each (called from several goroutines, at
// most once per touch). A touch whose request was decided before — the
// service stopped before its answer was recorded — is answered from the
// store with the visit it booked or joined, whatever day it would ask for
// now. A touch that can have no visit
// is answered so (TouchAnswer.Booked false) and is no error. The error is
// the first failure that must be retried — the database, the workflow
// engine, a decision that did not come in time — or of each; the answers
// given before it stand.
func (s *Visits) ForTouches(ctx context.Context, ts []domain.TouchRequest, each func(i int, a domain.TouchAnswer) error) error {
	if len(ts) == 0 {
		return nil
	}
	customers := make([]string, len(ts))
	requests := make([]string, len(ts))
	for i, t := range ts {
		customers[i], requests[i] = t.CustomerID, domain.TouchUpdateID(t.TouchID)
	}
	had, err := s.repo.RequestedVisits(ctx, customers, requests)
	if err != nil {
		return err
	}
	return parallel(ctx, len(ts), TouchParallelism, func(i int) error {
		a, err := s.forTouch(ctx, ts[i], requests[i], had[requests[i]])
		if err != nil {
			return err
		}
		return each(i, a)
	})
}

// forTouch requests one touch's visit; had is the participant its update
// id added before (nil: none).
func (s *Visits) forTouch(ctx context.Context, t domain.TouchRequest, updateID string, had *domain.Participant) (domain.TouchAnswer, error) {
	c, err := s.customers.Customer(ctx, t.CustomerID, auth.Scope{All: true})
	if errors.Is(err, custdomain.ErrCustomerNotFound) {
		return domain.NoTouchVisit(domain.NoVisitCustomerGone), nil
	}
	if err != nil {
		return domain.TouchAnswer{}, err
	}
	cal, err := s.storedCalendar(ctx, c)
	if err != nil {
		return domain.TouchAnswer{}, err
	}
	if cal == nil {
		return domain.NoTouchVisit(domain.NoVisitNoCalendar), nil
	}
	loc := cal.Location()
	if had != nil {
		v, err := s.repo.Visit(ctx, had.VisitID)
		if err != nil {
			return domain.TouchAnswer{}, err
		}
		outcome := visit.OutcomeJoined
		if had.Role == domain.RoleBooker {
			outcome = visit.OutcomeBooked
		}
		return domain.TouchAnswerOf(outcome, false, v, t.AssigneeID, loc, !v.EndAt.After(t.DueAt)), nil
	}
	made := t.PlannedAt
	if now := s.now(); made.Before(now) {
		made = now
	}
	day, byDue, ok := domain.TouchDay(made, t.DueAt, cal, s.cfg, domain.TouchPlace(t.TouchID))
	if !ok {
		return domain.NoTouchVisit(domain.NoVisitNoDay), nil
	}
	in, req := domain.NewTouchRequest(c, t, day, loc, s.cfg)
	d, err := s.wf.Request(ctx, in, req, updateID)
	if err != nil {
		if e := apperr.From(err); e.Kind != apperr.KindInternal && e.Kind != apperr.KindUnavailable {
			return domain.NoTouchVisit(refusal(e)), nil // the day cannot be had: the workflow refused
		}
		return domain.TouchAnswer{}, err
	}
	if d.VisitId == "" || d.Outcome == visit.OutcomeOffered { // a touch joins: never offered
		return domain.NoTouchVisit(d.Message), nil
	}
	v, err := s.repo.Visit(ctx, d.VisitId)
	if err != nil {
		return domain.TouchAnswer{}, err
	}
	return domain.TouchAnswerOf(d.Outcome, d.Repeat, v, t.AssigneeID, loc, byDue), nil
}

// refusal is why the workflow refused: its field messages, else its message.
func refusal(e *apperr.Error) string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Message
	}
	return strings.Join(msgs, "; ")
}

// storedCalendar is the customer's calendar among the stored ones (its
// team's, else its region's, else the default), nil when they assign it
// none they hold; ErrCalendarsUnknown before the first care sweep passed
// its terms.
func (s *Visits) storedCalendar(ctx context.Context, c domain.Customer) (*calendar.Calendar, error) {
	if s.stored == nil {
		return nil, domain.ErrCalendarsUnknown
	}
	terms, asOf, err := s.stored.Terms(ctx)
	if err != nil {
		return nil, err
	}
	if terms == nil {
		return nil, domain.ErrCalendarsUnknown
	}
	key := c.Team + "\x00" + c.Region
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.storedAsOf != asOf {
		s.storedCals, s.storedAsOf = map[string]*calendar.Calendar{}, asOf
	}
	if cal, ok := s.storedCals[key]; ok {
		return cal, nil
	}
	cal, err := policy.CareTermsCalendar(terms, "", c.Team, c.Region)
	if err != nil {
		cal = nil // not assigned, or not readable: no visit, the plan says why
	}
	s.storedCals[key] = cal
	return cal, nil
}

// parallel runs fn for 0..n-1 from at most width goroutines and returns
// the first error; after one, or once ctx ends, no further index starts.
func parallel(ctx context.Context, n, width int, fn func(i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(width)
	for i := 0; i < n && gctx.Err() == nil; i++ {
		g.Go(func() error { return fn(i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
