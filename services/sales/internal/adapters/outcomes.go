package adapters

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// CustomerOutcomeFacts reads what domain.Outcomes combines for the
// customers ids in (since, until]: leads and opportunities created in the
// period and opportunities won in it, each in one query grouped by
// customer (the wins also by currency). Each query finds its rows through
// the customer_id indexes (ix_leads_customer_created,
// ix_opportunities_customer), so a thousand ids read only those customers'
// rows.
func (s *Store) CustomerOutcomeFacts(ctx context.Context, ids []string, since, until time.Time) (domain.OutcomeFacts, error) {
	f := domain.OutcomeFacts{Leads: map[string]int64{}, Opportunities: map[string]int64{}}
	if len(ids) == 0 {
		return f, nil
	}
	since, until = since.UTC(), until.UTC()
	q := s.db.WithContext(ctx)
	type count struct {
		CustomerID string
		N          int64
	}
	for _, c := range []struct {
		model any
		into  map[string]int64
	}{{&Lead{}, f.Leads}, {&Opportunity{}, f.Opportunities}} {
		var rows []count
		if err := q.Model(c.model).Select("customer_id, COUNT(*) AS n").
			Where("customer_id IN ? AND created_at > ? AND created_at <= ?", ids, since, until).
			Group("customer_id").Scan(&rows).Error; err != nil {
			return domain.OutcomeFacts{}, err
		}
		for _, r := range rows {
			c.into[r.CustomerID] = r.N
		}
	}
	var wins []struct {
		CustomerID, Currency string
		N, Amount            int64
		First                db.AggTime
	}
	if err := q.Model(&Opportunity{}).
		Select("customer_id, currency, COUNT(*) AS n, COALESCE(SUM(amount_minor), 0) AS amount, MIN(closed_at) AS first").
		Where("customer_id IN ? AND status = ? AND closed_at > ? AND closed_at <= ?", ids, domain.OppWon, since, until).
		Group("customer_id, currency").Scan(&wins).Error; err != nil {
		return domain.OutcomeFacts{}, err
	}
	for _, w := range wins {
		f.Wins = append(f.Wins, domain.CustomerWins{CustomerID: w.CustomerID, Currency: w.Currency, Count: w.N, AmountMinor: w.Amount, FirstAt: w.First.T})
	}
	return f, nil
}
