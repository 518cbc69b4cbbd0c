package ports

import (
	"context"

	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/customer/internal/activityerr"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// RecordStandings stores the copy of customers' service standings the
// LoyaltySync workflow read from the after-sales service. A malformed
// standing fails the call as non-retryable "invalid" and stores nothing; a
// failure of the database is retried.
func (a *Activities) RecordStandings(ctx context.Context, in *servicev1.RecordStandingsInput) (*servicev1.RecordStandingsResult, error) {
	standings := make([]domain.Standing, len(in.GetStandings()))
	for i, s := range in.GetStandings() {
		st := domain.Standing{CustomerID: s.GetCustomerId(), Level: s.GetLoyaltyLevel(), CSATAverage: s.CsatAverage, CSATCount: int(s.GetCsatCount())}
		if s.LatestCsat != nil {
			n := int(s.GetLatestCsat())
			st.LatestCSAT = &n
		}
		if s.LatestNps != nil {
			n := int(s.GetLatestNps())
			st.LatestNPS = &n
		}
		if s.GetAsOf() != nil && s.GetAsOf().CheckValid() == nil {
			st.AsOf = s.GetAsOf().AsTime().UTC()
		}
		standings[i] = st
	}
	out, err := a.app.RecordStandings(ctx, standings)
	if err != nil {
		return nil, activityerr.NonRetryable(err)
	}
	return &servicev1.RecordStandingsResult{Recorded: int32(out.Recorded), Stale: int32(out.Stale)}, nil
}
