package app

import (
	"context"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	windomain "github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

// LifecycleChange is a requested lifecycle stage change.
type LifecycleChange struct {
	To, Reason string
	// Competitor is the competitor a customer lost went to (to lost only).
	Competitor string
}

// ChangeLifecycle moves a customer to another lifecycle stage, if allowed,
// with the change in its stage history; a customer that becomes lost keeps
// when, why and to which competitor while it stays lost. A customer leaving
// lost while it is in a win-back answers it (its WinBack workflow is told,
// once the change is stored).
func (a *App) ChangeLifecycle(ctx context.Context, id string, in LifecycleChange) (CustomerView, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return CustomerView{}, err
	}
	if !validID(id) {
		return CustomerView{}, domain.ErrCustomerNotFound
	}
	var v apperr.Validation
	domain.CheckLifecycleChange(&v, in.To, in.Reason, in.Competitor)
	if err := v.Err(); err != nil {
		return CustomerView{}, err
	}
	to := domain.LifecycleStage(in.To)
	var sc adapters.StageChangeRecord
	rec, err := a.store.UpdateCustomer(ctx, id, p.Scope(), false, func(tx *gorm.DB, c *adapters.CustomerRecord) (adapters.Audit, error) {
		from := domain.LifecycleStage(c.LifecycleStage)
		if !domain.CanTransition(from, to) {
			allowed := domain.Transitions(from)
			return adapters.Audit{}, domain.ErrInvalidTransition.
				Withf("a %s customer cannot become %s", from, to).With("from", from).With("allowed", allowed)
		}
		at := nowUTC()
		lost := domain.LostAfter(to, in.Reason, in.Competitor, at)
		sc = adapters.StageChangeRecord{ToStage: in.To, Reason: in.Reason, Competitor: lost.Competitor, Actor: p.Subject, At: at}
		if err := care.EnterCare(tx, c.ID, c.LifecycleStage, in.To, at); err != nil {
			return adapters.Audit{}, err
		}
		if err := adapters.ApplyLifecycle(tx, c, &sc, lost); err != nil {
			return adapters.Audit{}, err
		}
		return adapters.Audit{Action: "lifecycle_change", Actor: p.Subject, Reason: in.Reason}, nil
	})
	if err != nil {
		return CustomerView{}, err
	}
	if a.winback != nil {
		a.winback.Responded(ctx, windomain.Event{Source: windomain.SourceStage, CustomerID: rec.ID, Ref: sc.ID,
			From: sc.FromStage, To: sc.ToStage, By: sc.Actor, At: sc.At})
	}
	return customerView(rec), nil
}

// StageHistory returns a page of the customer's lifecycle and relationship
// stage changes, oldest first; cursor is the id of the last change of the
// previous page.
func (a *App) StageHistory(ctx context.Context, id, cursor string, limit int) (Page[StageChangeView], error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return Page[StageChangeView]{}, err
	}
	if !validID(id) {
		return Page[StageChangeView]{}, domain.ErrCustomerNotFound
	}
	if _, err := a.store.GetCustomer(ctx, id, p.Scope(), false); err != nil {
		return Page[StageChangeView]{}, err
	}
	if cursor != "" && !validID(cursor) {
		return Page[StageChangeView]{}, apperr.Invalid("invalid_cursor", "the cursor is not one this API returned")
	}
	rows, err := a.store.ListStageChanges(ctx, id, cursor, limit+1)
	if err != nil {
		return Page[StageChangeView]{}, err
	}
	out := Page[StageChangeView]{Items: make([]StageChangeView, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextCursor = rows[len(rows)-1].ID
	}
	for _, r := range rows {
		out.Items = append(out.Items, StageChangeView{ID: r.ID, Kind: r.Kind, From: r.FromStage, To: r.ToStage, Reason: r.Reason,
			Competitor: r.Competitor, Actor: r.Actor, At: r.At})
	}
	return out, nil
}
