package app

import (
	"context"
	"strconv"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// MaxStandings bounds the standings one RecordStandings call stores (a
// page of the after-sales service's, at most 1000).
const MaxStandings = 1000

// RecordedStandings is what RecordStandings did: standings stored, and
// standings left out because the stored one is more recent.
type RecordedStandings struct {
	Recorded, Stale int
}

// RecordStandings stores the copy of customers' service standings the
// after-sales service sent (the customer.RecordStandings activity of the
// LoyaltySync workflow, run by the service itself: no caller, no scope).
// Each replaces the customer's stored standing unless that one is more
// recent (domain.Standing.Replaces). A malformed standing refuses the whole
// call (validation_failed) and stores nothing; a standing named twice
// keeps its most recent.
func (a *App) RecordStandings(ctx context.Context, in []domain.Standing) (RecordedStandings, error) {
	var v apperr.Validation
	v.Check(len(in) <= MaxStandings, "standings", "too_many", "at most "+strconv.Itoa(MaxStandings))
	latest := map[string]domain.Standing{}
	var ids []string
	for i, s := range in {
		domain.CheckStanding(&v, "standings["+strconv.Itoa(i)+"]", s)
		prev, seen := latest[s.CustomerID]
		if !seen {
			ids = append(ids, s.CustomerID)
		}
		if !seen || s.Replaces(&prev) {
			latest[s.CustomerID] = s
		}
	}
	if err := v.Err(); err != nil {
		return RecordedStandings{}, err
	}
	stored, err := a.store.Standings(ctx, ids)
	if err != nil {
		return RecordedStandings{}, err
	}
	var put []domain.Standing
	for _, id := range ids {
		s := latest[id]
		var cur *domain.Standing
		if st, ok := stored[id]; ok {
			cur = &st
		}
		if s.Replaces(cur) {
			put = append(put, s)
		}
	}
	n, err := a.store.PutStandings(ctx, put, time.Now())
	if err != nil {
		return RecordedStandings{}, err
	}
	return RecordedStandings{Recorded: n, Stale: len(in) - n}, nil
}
