package adapters

import (
	"context"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/customer/internal/domain"
)

// AddContact inserts a contact for a customer the caller was already allowed to see.
func (s *Store) AddContact(ctx context.Context, tx *gorm.DB, ct *ContactRecord, actor string) error {
	t := now()
	ct.CreatedAt, ct.UpdatedAt = t, t
	if err := tx.Create(ct).Error; err != nil {
		return err
	}
	return writeAudit(ctx, tx, ct.CustomerID, "contact", ct.ID, Audit{Action: "contact_create", Actor: actor}, map[string]any{}, ct.auditView())
}

// ListContacts returns a customer's live contacts by name.
func (s *Store) ListContacts(ctx context.Context, customerID string) ([]ContactRecord, error) {
	var rows []ContactRecord
	err := s.db.WithContext(ctx).Where("customer_id = ? AND deleted_at IS NULL", customerID).Order("is_primary DESC, name, id").Limit(1000).Find(&rows).Error
	return rows, err
}

// GetContact loads one live contact of a customer.
func (s *Store) GetContact(ctx context.Context, customerID, id string) (ContactRecord, error) {
	var ct ContactRecord
	err := s.db.WithContext(ctx).Where("id = ? AND customer_id = ? AND deleted_at IS NULL", id, customerID).Take(&ct).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ct, domain.ErrContactNotFound
	}
	return ct, err
}

// UpdateContact locks a contact, applies fn and audits the difference. A
// deletion is an update that sets DeletedAt.
func (s *Store) UpdateContact(ctx context.Context, customerID, id string, fn func(*ContactRecord) (Audit, error)) (ContactRecord, error) {
	var out ContactRecord
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ct ContactRecord
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("id = ? AND customer_id = ? AND deleted_at IS NULL", id, customerID).Take(&ct).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return domain.ErrContactNotFound
		}
		if err != nil {
			return err
		}
		before := ct.auditView()
		a, err := fn(&ct)
		if err != nil {
			return err
		}
		ct.UpdatedAt = now()
		if err := tx.Save(&ct).Error; err != nil {
			return err
		}
		out = ct
		return writeAudit(ctx, tx, customerID, "contact", ct.ID, a, before, ct.auditView())
	})
	return out, err
}

// ListAudit returns a customer's audit trail, newest first, after the given entry id.
func (s *Store) ListAudit(ctx context.Context, customerID, beforeID string, limit int) ([]AuditRecord, error) {
	q := s.db.WithContext(ctx).Where("customer_id = ?", customerID)
	if beforeID != "" {
		q = q.Where("id < ?", beforeID)
	}
	var rows []AuditRecord
	err := q.Order("id DESC").Limit(limit).Find(&rows).Error
	return rows, err
}

// ListStageChanges returns up to limit of a customer's stage changes after
// the one with id after ("": from the first), oldest first.
func (s *Store) ListStageChanges(ctx context.Context, customerID, after string, limit int) ([]StageChangeRecord, error) {
	var rows []StageChangeRecord
	q := s.db.WithContext(ctx).Where("customer_id = ?", customerID)
	if after != "" {
		q = q.Where("id > ?", after)
	}
	err := q.Order("id").Limit(limit).Find(&rows).Error
	return rows, err
}
