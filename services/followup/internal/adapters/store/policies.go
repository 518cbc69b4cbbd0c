package store

import (
	"context"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// policyVersionRow is a row of policy_versions.
type policyVersionRow domain.PolicyVersion

func (policyVersionRow) TableName() string { return "policy_versions" }

// Policies stores timer policy versions and the policies' and calendars'
// audit trail.
type Policies struct{ db *gorm.DB }

// NewPolicies returns the repository over a migrated database.
func NewPolicies(gdb *gorm.DB) *Policies { return &Policies{db: gdb} }

func versions(rows []policyVersionRow) []domain.PolicyVersion {
	out := make([]domain.PolicyVersion, len(rows))
	for i, r := range rows {
		out[i] = domain.PolicyVersion(r)
	}
	return out
}

// Versions returns every version of a policy, oldest first.
func (r *Policies) Versions(ctx context.Context, name string) ([]domain.PolicyVersion, error) {
	return policyVersions(ctx, r.db, name)
}

func policyVersions(ctx context.Context, tx *gorm.DB, name string) ([]domain.PolicyVersion, error) {
	var rows []policyVersionRow
	err := tx.WithContext(ctx).Where("policy = ?", name).Order("version").Find(&rows).Error
	return versions(rows), err
}

// AllVersions returns every version of every policy, by policy and version.
func (r *Policies) AllVersions(ctx context.Context) ([]domain.PolicyVersion, error) {
	var rows []policyVersionRow
	err := r.db.WithContext(ctx).Order("policy, version").Find(&rows).Error
	return versions(rows), err
}

// Update loads a policy's history in a transaction, lets fn change it
// (domain.PolicyHistory's Add and Withdraw) and stores what it changed: the
// versions it added, the withdrawals, and the audit entries. A version
// created concurrently under the same number is domain.ErrConcurrentChange.
// fn must not use the repositories: the transaction holds SQLite's one
// connection.
func (r *Policies) Update(ctx context.Context, name string, fn func(*domain.PolicyHistory) error) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		loaded, err := policyVersions(ctx, tx, name)
		if err != nil {
			return err
		}
		h := domain.PolicyHistory{Policy: name, Versions: slices.Clone(loaded)}
		if err := fn(&h); err != nil {
			return err
		}
		for i, v := range h.Versions[:len(loaded)] {
			if loaded[i].WithdrawnAt != nil || v.WithdrawnAt == nil {
				continue
			}
			err := tx.Model(&policyVersionRow{}).Where("policy = ? AND version = ? AND withdrawn_at IS NULL", name, v.Version).
				Updates(map[string]any{"withdrawn_at": *v.WithdrawnAt, "withdrawn_by": v.WithdrawnBy}).Error
			if err != nil {
				return err
			}
		}
		for _, v := range h.Versions[len(loaded):] {
			row := policyVersionRow(v)
			if err := tx.Create(&row).Error; err != nil {
				if db.IsUniqueViolation(err) {
					return domain.ErrConcurrentChange
				}
				return err
			}
		}
		for _, a := range h.Audit {
			if err := writeAudit(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// Seed stores a policy's first version with its audit entry unless the
// policy has that version: replicas seeding at once store it once.
func (r *Policies) Seed(ctx context.Context, v domain.PolicyVersion, a domain.AuditEntry) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		row := policyVersionRow(v)
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return writeAudit(ctx, tx, a)
	})
}
