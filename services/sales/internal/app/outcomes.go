package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// CustomerOutcomes says what became of customers in sales between since
// and until (nil: now): the leads and opportunities created for each and
// the opportunities won, with their revenue and the first win
// (domain.Outcomes; the period is (since, until], a zero since no lower
// bound). Only customers with any outcome are listed. The marketing
// service's campaign evaluation asks it through the sales.CustomerOutcomes
// activity, for treated and held-out customers alike; it acts for no person,
// so it reads every lead and opportunity, with no caller's scope.
func (a *App) CustomerOutcomes(ctx context.Context, customerIDs []string, since time.Time, until *time.Time) ([]domain.CustomerOutcome, error) {
	end := a.now()
	if until != nil {
		end = *until
	}
	q, err := domain.NewOutcomesQuery(customerIDs, since, end)
	if err != nil {
		return nil, err
	}
	facts, err := a.store.CustomerOutcomeFacts(ctx, q.CustomerIDs, q.Since, q.Until)
	if err != nil {
		return nil, err
	}
	return domain.Outcomes(facts), nil
}
