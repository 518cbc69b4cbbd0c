package ports

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/temporalx"
	servicec "github.com/closeloop/closeloop/proto/contract/service"
	servicev1 "github.com/closeloop/closeloop/proto/gen/closeloop/service/v1"
	"github.com/closeloop/closeloop/services/service/internal/app"
)

// StandingActivities are the activities of the LoyaltySync workflow on the
// service's side: the customers' standings, a page at a time.
type StandingActivities struct {
	Standings *app.Standings
}

// Register adds the activities to the service's worker.
func (a *StandingActivities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.LoyaltyPage, activity.RegisterOptions{Name: servicec.ActivityLoyaltyPage})
}

// LoyaltyPage is the ActivityLoyaltyPage activity. A malformed request (no
// as_of, a malformed id) fails as non-retryable validation_failed; a
// failure of the database is retried.
func (a *StandingActivities) LoyaltyPage(ctx context.Context, in *servicev1.LoyaltyPageInput) (*servicev1.LoyaltyPageResult, error) {
	var asOf time.Time
	if in.GetAsOf() != nil && in.GetAsOf().CheckValid() == nil {
		asOf = in.GetAsOf().AsTime()
	}
	page, next, err := a.Standings.Page(ctx, in.GetAfterId(), in.GetCustomerIds(), int(in.GetLimit()), asOf)
	if err != nil {
		return nil, temporalx.NonRetryable(err)
	}
	out := &servicev1.LoyaltyPageResult{NextAfterId: next, Standings: make([]*servicev1.CustomerStanding, len(page))}
	for i, s := range page {
		out.Standings[i] = StandingOf(s)
	}
	return out, nil
}

// StandingOf is a customer's standing as the contract carries it.
func StandingOf(s app.CustomerStanding) *servicev1.CustomerStanding {
	out := &servicev1.CustomerStanding{CustomerId: s.CustomerID, LoyaltyLevel: s.Level, CsatCount: int32(s.CSATCount), AsOf: timestamppb.New(s.AsOf)}
	out.CsatAverage = s.CSATAverage
	if s.LatestCSAT != nil {
		n := int32(*s.LatestCSAT)
		out.LatestCsat = &n
	}
	if s.NPS != nil {
		n := int32(*s.NPS)
		out.LatestNps = &n
	}
	return out
}
