package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// SegmentCustomer is what a campaign knows of one customer of its segment.
type SegmentCustomer struct {
	ID, Name, ValueClass, LifecycleStage, RelationshipStage, Region, Industry, OwnerID, Team string
	LastContactAt                                                                            *time.Time
	LostAt                                                                                   *time.Time
	LostReason, LostCompetitor                                                               string
	// Standing is the copy of the customer's service standing (nil: none,
	// the level is unknown).
	Standing *domain.Standing
}

// SegmentPage is one page of a segment: its customers in id order, the
// cursor of the next page ("" after the last), and — when asked — how many
// customers the whole segment holds.
type SegmentPage struct {
	Customers   []SegmentCustomer
	NextAfterID string
	Total       int64
}

// SegmentPage reads one keyset page of the live customers a campaign's
// segment filter means (domain.PlanSegment) — the customer.SegmentPage
// activity of the marketing workflows, run by the service itself: no
// caller, no scope. A malformed request is refused (validation_failed).
func (a *App) SegmentPage(ctx context.Context, r domain.SegmentRequest) (SegmentPage, error) {
	plan, err := domain.PlanSegment(r)
	if err != nil {
		return SegmentPage{}, err
	}
	rows, total, err := a.store.SegmentPage(ctx, plan)
	if err != nil {
		return SegmentPage{}, err
	}
	page := SegmentPage{Total: total, Customers: make([]SegmentCustomer, 0, min(len(rows), plan.Limit))}
	if len(rows) > plan.Limit {
		rows = rows[:plan.Limit]
		page.NextAfterID = rows[len(rows)-1].ID
	}
	ids := make([]string, len(rows))
	for i, c := range rows {
		ids[i] = c.ID
	}
	standings, err := a.store.Standings(ctx, ids)
	if err != nil {
		return SegmentPage{}, err
	}
	for _, c := range rows {
		sc := SegmentCustomer{ID: c.ID, Name: c.Name, ValueClass: c.ValueClass, LifecycleStage: c.LifecycleStage,
			RelationshipStage: c.RelationshipStage, Region: c.Region, Industry: c.Industry, OwnerID: c.OwnerID, Team: c.Team,
			LastContactAt: c.LastContactAt, LostAt: c.LostAt, LostReason: c.LostReason, LostCompetitor: c.LostCompetitor}
		if st, ok := standings[c.ID]; ok {
			sc.Standing = &st
		}
		page.Customers = append(page.Customers, sc)
	}
	return page, nil
}
