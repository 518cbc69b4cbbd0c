package app

import (
	"context"
	"fmt"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
)

// Touch is a campaign touch as the marketing workflows hand it over.
type Touch = domain.Touch

// MaxTouches bounds the touches of one PlanTouches call (a segment page's).
const MaxTouches = 1000

// PlanTouches puts campaign touches on their assignees' lists and their
// customers' histories as action plans (the customer.PlanTouches activity
// of the marketing workflows, run by the service itself: there is no caller
// to authorise) and returns each touch's plan, in order. It is idempotent
// on each touch id: a touch planned before returns its plan as first
// planned, and nothing is stored twice. A malformed touch refuses the call
// (validation_failed), as does a customer that never existed (not found),
// before anything is stored; a deleted customer still gets its plan.
func (s *Service) PlanTouches(ctx context.Context, touches []Touch) ([]string, error) {
	if len(touches) > MaxTouches {
		var v apperr.Validation
		v.Add("touches", "too_many", fmt.Sprintf("at most %d", MaxTouches))
		return nil, v.Err()
	}
	now := s.now()
	plans := make([]domain.Action, len(touches))
	checked := map[string]bool{}
	for i, t := range touches {
		a, err := domain.NewTouchPlan(t, fmt.Sprintf("touches[%d].", i), now)
		if err != nil {
			return nil, err
		}
		plans[i] = a
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
	ids := make([]string, len(plans))
	for i, a := range plans {
		ids[i] = a.ID
	}
	return ids, nil
}

// CampaignEvent is a campaign's event about a customer.
type CampaignEvent = domain.CampaignEvent
