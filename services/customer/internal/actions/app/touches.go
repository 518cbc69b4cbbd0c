package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	visdomain "github.com/closeloop/closeloop/services/customer/internal/visits/domain"
)

// Touch is a campaign touch as the marketing workflows hand it over.
type Touch = domain.Touch

// MaxTouches bounds the touches of one PlanTouches call (a segment page's).
const MaxTouches = 1000

// Visits requests the visits of campaigns' visit touches through the
// one-visit-per-customer-day rule (visits.Service): each answer is handed
// to each as it comes, and the error is the first one to retry.
type Visits interface {
	ForTouches(ctx context.Context, ts []visdomain.TouchRequest, each func(i int, a visdomain.TouchAnswer) error) error
}

// UseVisits makes visit touches request their visits through v.
func (s *Service) UseVisits(v Visits) { s.visits = v }

// PlanTouches puts campaign touches on their assignees' lists and their
// customers' histories as action plans (the customer.PlanTouches activity
// of the marketing workflows, run by the service itself: there is no caller
// to authorise) and returns each touch's plan, in order. It is idempotent
// on each touch id: a touch planned before returns its plan as first
// planned, and nothing is stored twice. A malformed touch refuses the call
// (validation_failed), as does a customer that never existed (not found),
// before anything is stored; a deleted customer still gets its plan.
//
// A visit touch's plan is stored with its visit request, which
// RequestVisits answers soon after (visittouch.go): the call does not wait
// for a Visit workflow per customer.
func (s *Service) PlanTouches(ctx context.Context, touches []Touch) ([]string, error) {
	if len(touches) > MaxTouches {
		var v apperr.Validation
		v.Add("touches", "too_many", fmt.Sprintf("at most %d", MaxTouches))
		return nil, v.Err()
	}
	now := s.now()
	plans := make([]domain.Action, len(touches))
	checked := map[string]bool{}
	visits := false
	for i, t := range touches {
		a, err := domain.NewTouchPlan(t, fmt.Sprintf("touches[%d].", i), now)
		if err != nil {
			return nil, err
		}
		plans[i] = a
		visits = visits || a.AwaitsVisit()
		for _, c := range a.CustomerIDs() {
			if checked[c] {
				continue
			}
			if err := s.customers.Exists(ctx, c); err != nil {
				return nil, err
			}
			checked[c] = true
		}
	}
	if err := s.repo.CreateAllOnce(ctx, plans); err != nil {
		return nil, err
	}
	if visits {
		s.wakeVisits()
	}
	ids := make([]string, len(plans))
	for i, a := range plans {
		ids[i] = a.ID
	}
	return ids, nil
}

// VisitBatch is how many visit requests one RequestVisits pass takes.
const VisitBatch = 200

// RequestVisits answers up to VisitBatch of the touches' visit requests,
// oldest first: each is sent through the visits context (which chooses the
// day and asks its Visit workflow, a few at a time), and each answer is
// recorded on its plan as it comes; the request of a plan its assignee
// completed or cancelled meanwhile is dropped. It returns how many
// requests it took. The error is the first that must be retried (the
// database, the workflow engine, no calendars known yet): the requests not
// answered stay, for the next pass. The plan as stored decides — its
// assignee, department, title, due time and request — so every pass asks
// for a touch exactly what the first asked, under one update id (its
// plan's id).
func (s *Service) RequestVisits(ctx context.Context) (int, error) {
	if s.visits == nil {
		return 0, nil
	}
	pending, err := s.repo.PendingVisitTouches(ctx, VisitBatch)
	if err != nil {
		return 0, err
	}
	var reqs []visdomain.TouchRequest
	var planIDs []string
	settle := func(id string, change func(a *domain.Action) error) error {
		if _, err := s.repo.Update(ctx, id, change); err != nil && !errors.Is(err, domain.ErrVisitSettled) {
			return err
		}
		return nil // settled, or completed, cancelled or answered meanwhile
	}
	for _, a := range pending {
		var err error
		switch {
		case !a.AwaitsVisit():
			err = settle(a.ID, func(a *domain.Action) error { return a.DropVisitRequest() })
		case a.PlannedFor == nil || len(a.CustomerIDs()) == 0: // not a plan NewTouchPlan makes
			err = settle(a.ID, func(a *domain.Action) error {
				return a.NoteVisit(domain.TouchVisit{Sentence: domain.NoVisitMalformed}, s.now())
			})
		default:
			made, _ := a.VisitRequested()
			reqs = append(reqs, visdomain.TouchRequest{TouchID: a.ID, CustomerID: a.CustomerIDs()[0], AssigneeID: a.ActorID,
				Department: a.Department, Purpose: a.Title, PlannedAt: made, DueAt: *a.PlannedFor})
			planIDs = append(planIDs, a.ID)
		}
		if err != nil {
			return 0, err
		}
	}
	err = s.visits.ForTouches(ctx, reqs, func(i int, v visdomain.TouchAnswer) error {
		return settle(planIDs[i], func(a *domain.Action) error {
			return a.NoteVisit(domain.TouchVisit{VisitID: v.VisitID, Sentence: v.Sentence}, s.now())
		})
	})
	return len(pending), err
}

// VisitsWaiting is signalled when touches with visit requests have been
// planned: RequestVisits has work.
func (s *Service) VisitsWaiting() <-chan struct{} { return s.wake }

func (s *Service) wakeVisits() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// CampaignEvent is a campaign's event about a customer.
type CampaignEvent = domain.CampaignEvent
