package care

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// FollowUp is a care follow-up as the customer service records it (table
// care_followups): the follow-up id, whom and what it was opened for, its
// workflow, and how it closed.
type FollowUp struct {
	ID         string
	CustomerID string
	OwnerID    string
	PolicyKey  string // the customer's value class when it was opened
	AnchorAt   time.Time
	Epoch      int64
	WorkflowID string
	OpenedAt   time.Time
	ClosedAt   *time.Time
	State      string
	ClosedBy   string
	CloseNote  string
}

// TableName is the table.
func (FollowUp) TableName() string { return "care_followups" }

// openRow is an open care follow-up read with its customer as it is now.
type openRow struct {
	FollowUp
	CustID, CustOwner, CustClass, CustStage string
	CustDeleted                             *time.Time
	CustCareFrom, CustLastContact           *time.Time
}

func (r openRow) care() openCare {
	return openCare{OwnerID: r.OwnerID, PolicyKey: r.PolicyKey, AnchorAt: r.AnchorAt,
		CustOwner: r.CustOwner, CustClass: r.CustClass, CustStage: r.CustStage, CustDeleted: r.CustDeleted != nil,
		CustCareFrom: r.CustCareFrom, CustLastContact: r.CustLastContact, CustFound: r.CustID != ""}
}

// openRows reads open care follow-ups with their customers (a customer row
// that is gone reads as CustID "").
func (s *Service) openRows(ctx context.Context, where string, args ...any) *gorm.DB {
	return s.db.WithContext(ctx).Table("care_followups f").
		Select(`f.id, f.customer_id, f.owner_id, f.policy_key, f.anchor_at, f.epoch, f.workflow_id, f.opened_at, f.state,
			COALESCE(c.id, '') AS cust_id, COALESCE(c.owner_id, '') AS cust_owner, COALESCE(c.value_class, '') AS cust_class,
			COALESCE(c.lifecycle_stage, '') AS cust_stage, c.deleted_at AS cust_deleted, c.care_from AS cust_care_from,
			c.last_contact_at AS cust_last_contact`).
		Joins("LEFT JOIN customers c ON c.id = f.customer_id").
		Where("f.closed_at IS NULL").Where(where, args...)
}

// record stores care follow-ups as open unless recorded already (a retried
// page, or a close notice that came first).
func (s *Service) record(ctx context.Context, rows []FollowUp) error {
	if len(rows) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 200).Error
}

// closing closes one care follow-up.
type closing struct {
	// row is the follow-up; recorded when absent (a notice for a follow-up
	// the table does not hold), then closed.
	row             FollowUp
	state, by, note string
	at              time.Time
}

// close closes the follow-up's row and applies the close's effects on its
// customer, in one transaction, once: when the row is closed already
// (a retried notice, or another path got there first) it changes nothing
// and reports false.
func (s *Service) close(ctx context.Context, c closing) (bool, error) {
	at := ts(c.at)
	closed := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := c.row
		row.State, row.ClosedAt, row.ClosedBy, row.CloseNote = StateOpen, nil, "", ""
		if row.OpenedAt.IsZero() {
			row.OpenedAt = at
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return err
		}
		res := tx.Exec(`UPDATE care_followups SET closed_at = ?, state = ?, closed_by = ?, close_note = ? WHERE id = ? AND closed_at IS NULL`,
			at, c.state, truncate(c.by, 200), truncate(c.note, 2000), row.ID)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		closed = true
		return applyEffect(tx, c.row.CustomerID, c.state, c.by, ts(c.row.AnchorAt), at)
	})
	return closed && err == nil, err
}

// applyEffect applies closeEffect on the customer, its row locked: a contact
// recorded concurrently (Touch) lands before or after, never in between.
func applyEffect(tx *gorm.DB, customerID, state, by string, anchor, at time.Time) error {
	var cur struct {
		CareFrom, LastContactAt *time.Time
		CareEpoch               int64
	}
	res := tx.Table("customers").Clauses(clause.Locking{Strength: "UPDATE"}).
		Select("care_from, last_contact_at, care_epoch").Where("id = ?", customerID).Limit(1).Find(&cur)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error // no such customer: nothing to move
	}
	was := careFields{CareFrom: cur.CareFrom, LastContact: cur.LastContactAt, Epoch: cur.CareEpoch}
	now := closeEffect(was, state, by, anchor, at)
	if sameTime(now.CareFrom, was.CareFrom) && sameTime(now.LastContact, was.LastContact) && now.Epoch == was.Epoch {
		return nil
	}
	return tx.Exec(`UPDATE customers SET care_from = ?, last_contact_at = ?, care_epoch = ? WHERE id = ?`,
		now.CareFrom, now.LastContact, now.Epoch, customerID).Error
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
