package adapters

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// SLARow is one SLA target of a case as its workflow last wrote it.
type SLARow struct {
	CaseID      string
	Target      string
	State       string // running, paused, met, breached
	Priority    string
	BudgetMs    int64
	Business    bool
	Calendar    string
	DueAt       *time.Time
	WarnAt      *time.Time
	WarnedAt    *time.Time
	PausedSince *time.Time
	PausedMs    int64
	MetAt       *time.Time
	BreachedAt  *time.Time
	UsedMs      *int64
	RemainingMs int64
	FollowUpID  string `gorm:"column:follow_up_id"`
	UpdatedAt   *time.Time
}

func (SLARow) TableName() string { return "case_sla" }

// SLA stores the SLA rows of cases.
type SLA struct{ db *gorm.DB }

// NewSLA returns the repository over a migrated database.
func NewSLA(gdb *gorm.DB) *SLA { return &SLA{db: gdb} }

// Record writes a target's row and, with it, the timeline entry of a result
// (met, breached) — once: an entry whose id is stored is not added again,
// and a row older than the stored one (a retried write overtaken by a later
// one) does not replace it.
func (r *SLA) Record(ctx context.Context, row SLARow, result *domain.Entry) error {
	return r.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur SLARow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("case_id = ? AND target = ?", row.CaseID, row.Target).Take(&cur).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		case err != nil:
			return err
		case cur.UpdatedAt != nil && row.UpdatedAt != nil && cur.UpdatedAt.After(*row.UpdatedAt):
		default:
			if err := tx.Model(&SLARow{}).Where("case_id = ? AND target = ?", row.CaseID, row.Target).Select("*").Updates(&row).Error; err != nil {
				return err
			}
		}
		if result == nil {
			return nil
		}
		if applied, err := seen(tx, []domain.Entry{*result}); err != nil || applied {
			return err
		}
		return addEntries(tx, row.CaseID, []domain.Entry{*result})
	})
}

// Of returns a case's SLA rows, first response first.
func (r *SLA) Of(ctx context.Context, caseID string) ([]SLARow, error) {
	var rows []SLARow
	err := r.db.WithContext(ctx).Where("case_id = ?", caseID).Order("target").Find(&rows).Error
	return rows, err
}

// MarkStarted records that the case's workflow runs.
func (r *Cases) MarkStarted(ctx context.Context, id string, at time.Time) error {
	return r.db.WithContext(ctx).Model(&caseRow{}).Where("id = ? AND workflow_started_at IS NULL", id).
		Update("workflow_started_at", at).Error
}

// Unstarted returns up to limit cases filed before before whose workflow is
// not known to run, oldest first.
func (r *Cases) Unstarted(ctx context.Context, before time.Time, limit int) ([]domain.Case, error) {
	var rows []caseRow
	if err := r.db.WithContext(ctx).Where("workflow_started_at IS NULL AND created_at < ?", before).
		Order("created_at").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Case, len(rows))
	for i, row := range rows {
		out[i] = row.domain()
	}
	return out, nil
}
