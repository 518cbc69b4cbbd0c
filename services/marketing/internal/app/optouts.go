package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// OptOutView is a customer's opt-out of marketing.
type OptOutView struct {
	CustomerID string    `json:"customer_id"`
	Reason     string    `json:"reason"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// ErrNotOptedOut answers for a customer without an opt-out.
var ErrNotOptedOut = apperr.NotFound("opt_out_not_found", "the customer has not opted out")

// mayOptOut: the marketing department and admins record opt-outs (a rep
// whose customer asks passes it on); analysts read them.
func (a *App) mayOptOut(act domain.Actor, write bool) error {
	if !a.org.SeesCampaigns(act) {
		return domain.ErrNotFound
	}
	if write && !(act.Has(domain.RoleAdmin) || a.org.IsMarketer(act) || a.org.IsMarketingManager(act)) {
		return domain.ErrReadOnly
	}
	return nil
}

// OptOut records that a customer wants no marketing: no campaign touches
// them from now on, and a running win-back cadence stops at once (the
// customer is not handed to sales: an opt-out is not interest).
func (a *App) OptOut(ctx context.Context, customerID, reason string) (OptOutView, error) {
	act, _ := actor(ctx)
	if err := a.mayOptOut(act, true); err != nil {
		return OptOutView{}, err
	}
	var v apperr.Validation
	_, perr := uuid.Parse(customerID)
	v.Check(perr == nil, "customer_id", "invalid", "a customer id")
	v.Check(len([]rune(reason)) <= domain.MaxNote, "reason", "too_long", "at most 500 characters")
	if err := v.Err(); err != nil {
		return OptOutView{}, err
	}
	o, err := a.optOut(ctx, customerID, reason, act.ID)
	if err != nil {
		return OptOutView{}, err
	}
	return optOutView(o), nil
}

// GetOptOut reads a customer's opt-out.
func (a *App) GetOptOut(ctx context.Context, customerID string) (OptOutView, error) {
	act, _ := actor(ctx)
	if err := a.mayOptOut(act, false); err != nil {
		return OptOutView{}, err
	}
	m, err := a.store.OptOuts(ctx, []string{customerID})
	if err != nil {
		return OptOutView{}, err
	}
	o, ok := m[customerID]
	if !ok {
		return OptOutView{}, ErrNotOptedOut
	}
	return optOutView(o), nil
}

// OptIn removes a customer's opt-out (the customer asked for marketing
// again).
func (a *App) OptIn(ctx context.Context, customerID string) error {
	act, _ := actor(ctx)
	if err := a.mayOptOut(act, true); err != nil {
		return err
	}
	removed, err := a.store.RemoveOptOut(ctx, customerID)
	if err == nil && !removed {
		return ErrNotOptedOut
	}
	return err
}

func optOutView(o adapters.OptOut) OptOutView {
	return OptOutView{CustomerID: o.CustomerID, Reason: o.Reason, By: o.CreatedBy, At: o.CreatedAt.UTC()}
}

// CandidateView is a lost customer past the inactivity period that no
// running win-back campaign has taken.
type CandidateView struct {
	CustomerSample
	ListedAt time.Time `json:"listed_at"`
}

// CandidatePage is a page of win-back candidates, longest lost first.
type CandidatePage struct {
	Items      []CandidateView `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// Candidates lists the win-back candidates.
func (a *App) Candidates(ctx context.Context, cursor string, limit int) (CandidatePage, error) {
	act, _ := actor(ctx)
	if !a.org.SeesCampaigns(act) {
		return CandidatePage{Items: []CandidateView{}}, nil
	}
	after, ok := decodeCursor(cursor)
	if !ok {
		var v apperr.Validation
		v.Add("cursor", "invalid", "a cursor from a previous page")
		return CandidatePage{}, badQuery(v.Err())
	}
	limit = clampLimit(limit)
	var afterLost *time.Time
	afterID := ""
	if after != nil {
		afterLost, afterID = &after.At, after.ID
	}
	cs, err := a.store.Candidates(ctx, afterLost, afterID, limit+1)
	if err != nil {
		return CandidatePage{}, err
	}
	out := CandidatePage{Items: []CandidateView{}}
	if len(cs) > limit {
		cs = cs[:limit]
		last := cs[limit-1]
		if last.LostAt != nil {
			out.NextCursor = encodeCursor(adapters.Cursor{At: *last.LostAt, ID: last.CustomerID})
		}
	}
	for _, c := range cs {
		out.Items = append(out.Items, CandidateView{CustomerSample: CustomerSample{ID: c.CustomerID, Name: c.CustomerName, ValueClass: c.ValueClass,
			LifecycleStage: domain.StageLost, Region: c.Region, Industry: c.Industry, OwnerID: c.OwnerID, Team: c.Team, LostAt: utcp(c.LostAt),
			LostReason: c.LostReason, LostCompetitor: c.LostCompetitor}, ListedAt: c.ListedAt.UTC()})
	}
	return out, nil
}
