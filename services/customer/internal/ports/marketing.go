package ports

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/timestamppb"

	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/customer/internal/activityerr"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// RegisterMarketingActivities adds the activities the marketing workflows
// use to read campaign segments (customer.SegmentPage), and the one the
// LoyaltySync workflow keeps the standings segments filter on with
// (customer.RecordStandings).
func (a *Activities) RegisterMarketingActivities(r worker.Registry) {
	r.RegisterActivityWithOptions(a.SegmentPage, activity.RegisterOptions{Name: customerc.ActivitySegmentPage})
	r.RegisterActivityWithOptions(a.RecordStandings, activity.RegisterOptions{Name: customerc.ActivityRecordStandings})
}

// SegmentPage reads one keyset page of the live customers matching a
// campaign's segment filter, after in.after_id in id order. A malformed
// input (an unknown class or stage, a negative limit, an instant out of
// range, a days-since-contact bound without as_of) fails as non-retryable
// "invalid"; a failure of the database is retried.
func (a *Activities) SegmentPage(ctx context.Context, in *marketingv1.SegmentPageInput) (*marketingv1.SegmentPageResult, error) {
	f := in.GetFilter()
	r := domain.SegmentRequest{AfterID: in.GetAfterId(), Limit: int(in.GetLimit()), WithCount: in.GetWithCount(),
		Filter: domain.SegmentFilter{ValueClasses: f.GetValueClasses(), LifecycleStages: f.GetLifecycleStages(), RelationshipStages: f.GetRelationshipStages(),
			Regions: f.GetRegions(), Industries: f.GetIndustries(), OwnerIDs: f.GetOwnerIds(), Teams: f.GetTeams(), CustomerIDs: f.GetCustomerIds(),
			MinDaysSinceContact: int(f.GetMinDaysSinceContact()), MaxDaysSinceContact: int(f.GetMaxDaysSinceContact()),
			LoyaltyLevels: f.GetLoyaltyLevels(), MinSatisfaction: f.MinSatisfaction, MaxSatisfaction: f.MaxSatisfaction}}
	if in.GetAsOf() != nil {
		if in.GetAsOf().CheckValid() != nil {
			return nil, activityerr.Invalid("as_of", "an instant in range")
		}
		t := in.GetAsOf().AsTime()
		r.AsOf = &t
	}
	if f.GetLostBefore() != nil {
		if f.GetLostBefore().CheckValid() != nil {
			return nil, activityerr.Invalid("filter.lost_before", "an instant in range")
		}
		t := f.GetLostBefore().AsTime()
		r.Filter.LostBefore = &t
	}
	page, err := a.app.SegmentPage(ctx, r)
	if err != nil {
		return nil, activityerr.NonRetryable(err)
	}
	out := &marketingv1.SegmentPageResult{NextAfterId: page.NextAfterID, Total: page.Total, Customers: make([]*marketingv1.CustomerFacts, len(page.Customers))}
	for i, c := range page.Customers {
		out.Customers[i] = &marketingv1.CustomerFacts{CustomerId: c.ID, Name: c.Name, ValueClass: c.ValueClass, LifecycleStage: c.LifecycleStage,
			RelationshipStage: c.RelationshipStage, Region: c.Region, Industry: c.Industry, OwnerId: c.OwnerID, Team: c.Team,
			LastContactAt: stamp(c.LastContactAt), LostAt: stamp(c.LostAt), LostReason: c.LostReason, LostCompetitor: c.LostCompetitor,
			LoyaltyLevel: domain.LevelOf(c.Standing)}
		if st := c.Standing; st != nil {
			out.Customers[i].CsatAverage, out.Customers[i].CsatCount = st.CSATAverage, int32(st.CSATCount)
			out.Customers[i].StandingAsOf = timestamppb.New(st.AsOf)
		}
	}
	return out, nil
}

func stamp(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}
