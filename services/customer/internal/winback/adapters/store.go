// Package adapters is the win-back context's gorm storage: the customer's
// mark (customers.winback_campaign_id, migration 18), the events that may
// answer a win-back as the other contexts stored them (actions and
// action_links, visits, stage_changes), and the one transaction in which a
// win-back changes a customer — its mark, a lifecycle change with its
// stage history entry and its history item. It loads facts and stores
// decisions; what a mark request, a response or a return means is package
// domain's.
package adapters

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	actadapters "github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/services/customer/internal/winback/domain"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Store is the win-back repository (app.Repository).
type Store struct {
	db        *gorm.DB
	customers *custadapters.Store
}

// New returns the store over db; customers is the customer store, whose
// UpdateCustomer locks, audits and saves a customer.
func New(db *gorm.DB, customers *custadapters.Store) *Store {
	return &Store{db: db, customers: customers}
}

// Mark returns the campaign whose win-back the customer is in ("" when
// none); custdomain.ErrCustomerNotFound when the customer never existed.
func (s *Store) Mark(ctx context.Context, customerID string) (string, error) {
	c, err := s.customers.GetCustomer(ctx, customerID, auth.Scope{All: true}, true)
	if err != nil {
		return "", err
	}
	return deref(c.WinbackCampaignID), nil
}

// Update locks the customer (deleted or not), lets decide say what the
// win-back changes, and stores it in the same transaction: the mark, and a
// lifecycle change — its stage history entry, the stage, the record of a
// loss, the care anchor of a customer entering care, the audit entry — with
// its history item (once per item id). custdomain.ErrCustomerNotFound when
// the customer never existed; an error from decide is returned as is,
// nothing stored.
func (s *Store) Update(ctx context.Context, customerID string, decide func(domain.Customer) (domain.Change, error)) error {
	_, err := s.customers.UpdateCustomer(ctx, customerID, auth.Scope{All: true}, true, func(tx *gorm.DB, c *custadapters.CustomerRecord) (custadapters.Audit, error) {
		mark := deref(c.WinbackCampaignID)
		ch, err := decide(domain.Customer{Stage: c.LifecycleStage, Deleted: c.DeletedAt != nil, Mark: mark})
		if err != nil {
			return custadapters.Audit{}, err
		}
		if ch.Mark != mark {
			var v *string
			if ch.Mark != "" {
				v = &ch.Mark
			}
			if err := tx.Exec(`UPDATE customers SET winback_campaign_id = ? WHERE id = ?`, v, c.ID).Error; err != nil {
				return custadapters.Audit{}, err
			}
		}
		if ch.To == "" {
			return custadapters.Audit{Action: "update", Actor: domain.Actor}, nil
		}
		at := ch.At.UTC().Truncate(time.Microsecond)
		if err := care.EnterCare(tx, c.ID, c.LifecycleStage, ch.To, at); err != nil {
			return custadapters.Audit{}, err
		}
		sc := custadapters.StageChangeRecord{ToStage: ch.To, Reason: ch.Reason, Actor: ch.Actor, At: at}
		if err := custadapters.ApplyLifecycle(tx, c, &sc, ch.Lost); err != nil {
			return custadapters.Audit{}, err
		}
		if ch.Item != nil {
			if _, err := actadapters.CreateOnceTx(tx, *ch.Item); err != nil {
				return custadapters.Audit{}, err
			}
		}
		return custadapters.Audit{Action: "lifecycle_change", Actor: ch.Actor, Reason: ch.Reason}, nil
	})
	return err
}

// Events returns the customer's events of the window, recorded after
// w.Since: its actions of w.ActionKind in w.Categories (by when they became
// so: a log's update instant), its visits logged, and its lifecycle changes
// from w.FromStage — the earliest w.Limit of each source.
func (s *Store) Events(ctx context.Context, w domain.Window) ([]domain.Event, error) {
	db := s.db.WithContext(ctx)
	since := w.Since.UTC()
	var out []domain.Event

	var actions []actadapters.Row
	linked := db.Model(&actadapters.Link{}).Select("action_id").Where("customer_id = ? AND subject_type = ?", w.CustomerID, actdomain.SubjectCustomer)
	if err := db.Where("id IN (?) AND kind = ? AND category IN ? AND updated_at > ?", linked, w.ActionKind, w.Categories, since).
		Order("updated_at, id").Limit(w.Limit).Find(&actions).Error; err != nil {
		return nil, err
	}
	for _, a := range actions {
		out = append(out, domain.Event{Source: domain.SourceAction, CustomerID: w.CustomerID, Ref: a.ID, Category: a.Category, Kind: a.Kind,
			By: a.ActorID, At: a.UpdatedAt})
	}

	var visits []struct {
		ID       string
		LoggedBy *string
		LoggedAt time.Time
	}
	if err := db.Table("visits").Select("id, logged_by, logged_at").
		Where("customer_id = ? AND status = ? AND logged_at > ?", w.CustomerID, visit.StatusDone, since).
		Order("logged_at, id").Limit(w.Limit).Find(&visits).Error; err != nil {
		return nil, err
	}
	for _, v := range visits {
		out = append(out, domain.Event{Source: domain.SourceVisit, CustomerID: w.CustomerID, Ref: v.ID, By: deref(v.LoggedBy), At: v.LoggedAt})
	}

	var stages []custadapters.StageChangeRecord
	if err := db.Where("customer_id = ? AND kind = ? AND from_stage = ? AND at > ?", w.CustomerID, "lifecycle", w.FromStage, since).
		Order("at, id").Limit(w.Limit).Find(&stages).Error; err != nil {
		return nil, err
	}
	for _, sc := range stages {
		out = append(out, domain.Event{Source: domain.SourceStage, CustomerID: w.CustomerID, Ref: sc.ID, From: sc.FromStage, To: sc.ToStage,
			By: sc.Actor, At: sc.At})
	}
	return out, nil
}

// Exists is nil when the customer was ever created (deleted or not), else
// custdomain.ErrCustomerNotFound (or a failure).
func (s *Store) Exists(ctx context.Context, customerID string) error {
	_, err := s.customers.GetCustomer(ctx, customerID, auth.Scope{All: true}, true)
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
