package adapters

import (
	"context"
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
		// The first write inserts; a concurrent or later one finds the row
		// (the insert does nothing) and replaces it unless it is older.
		ins := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if ins.Error != nil {
			return ins.Error
		}
		if ins.RowsAffected == 0 {
			var cur SLARow
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("case_id = ? AND target = ?", row.CaseID, row.Target).Take(&cur).Error; err != nil {
				return err
			}
			if cur.UpdatedAt == nil || row.UpdatedAt == nil || !cur.UpdatedAt.After(*row.UpdatedAt) {
				if err := tx.Model(&SLARow{}).Where("case_id = ? AND target = ?", row.CaseID, row.Target).Select("*").Updates(&row).Error; err != nil {
					return err
				}
			}
		}
		if result != nil {
			if applied, err := seen(tx, []domain.Entry{*result}); err != nil {
				return err
			} else if !applied {
				if err := addEntries(tx, row.CaseID, []domain.Entry{*result}); err != nil {
					return err
				}
			}
		}
		return RecordCaseFacts(tx, row.CaseID) // met and breached targets count in the reports
	})
}

// Of returns a case's SLA rows, first response first.
func (r *SLA) Of(ctx context.Context, caseID string) ([]SLARow, error) {
	var rows []SLARow
	err := r.db.WithContext(ctx).Where("case_id = ?", caseID).Order("target").Find(&rows).Error
	return rows, err
}

// OfCases returns the SLA rows of the cases, by case, first response first.
func (r *SLA) OfCases(ctx context.Context, ids []string) (map[string][]SLARow, error) {
	out := map[string][]SLARow{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []SLARow
	if err := r.db.WithContext(ctx).Where("case_id IN ?", ids).Order("case_id, target").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, row := range rows {
		out[row.CaseID] = append(out[row.CaseID], row)
	}
	return out, nil
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
