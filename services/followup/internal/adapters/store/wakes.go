package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/services/followup/internal/domain"
)

// Wake is a signal a policy rollout owes a follow-up's workflow: stored with
// the deadline the rollout re-computed for it, in the same transaction, and
// removed once the workflow is signalled (rollout_wakes).
type Wake struct {
	FollowUpID string
	// The rollout's policy or calendar and version (none for the
	// reconciliation): what the signal names.
	Policy, Calendar string
	Version          int64
	// Carried is true when the rollout stored the re-computed deadline,
	// so the signal carries it; false when it left the record as it stood
	// and the workflow resolves for itself.
	Carried bool
	// At is when the record says the workflow next acts: its due time or
	// next escalation step; nil when its ladder is done.
	At        *time.Time
	CreatedAt time.Time
}

// wakeRow is a row of rollout_wakes.
type wakeRow struct {
	FollowUpID       string `gorm:"primaryKey"`
	Policy, Calendar string
	Version          int64
	Carried          bool
	WakeAt           *time.Time
	CreatedAt        time.Time
}

func (wakeRow) TableName() string { return "rollout_wakes" }

// UpdateEachOwing is UpdateEach for a rollout's store: fn also says what
// wake-up each follow-up's workflow is owed (ok false: none), and the
// wake-ups are stored in the same transaction as the changes — replacing
// any an earlier rollout left for the same follow-up — so that no stored
// change is ever left without the signal that tells its workflow.
func (r *FollowUps) UpdateEachOwing(ctx context.Context, ids []string, fn func(*domain.FollowUp) (Wake, bool, error)) error {
	if len(ids) == 0 {
		return nil
	}
	return db.Transaction(ctx, r.db, func(tx *gorm.DB) error {
		rows, err := lockEach(tx, ids)
		if err != nil {
			return err
		}
		var owed []wakeRow
		for _, row := range rows {
			err := save(tx, row, func(f *domain.FollowUp) error {
				w, ok, err := fn(f)
				if ok {
					owed = append(owed, wakeRow{FollowUpID: f.ID, Policy: w.Policy, Calendar: w.Calendar, Version: w.Version,
						Carried: w.Carried, WakeAt: w.At, CreatedAt: w.CreatedAt})
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		if len(owed) == 0 {
			return nil
		}
		return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "follow_up_id"}}, UpdateAll: true}).
			CreateInBatches(owed, 200).Error
	})
}

// WakeSelect selects a rollout's wake-ups: those of its policy or calendar
// and version, and — for the reconciliation — also any left before
// StaleBefore by a rollout that did not live to signal them.
type WakeSelect struct {
	Policy, Calendar string
	Version          int64
	StaleBefore      *time.Time
}

// OwedWake is a wake-up with the follow-up it is for as it stands now
// (Open false: closed since, its workflow is not signalled).
type OwedWake struct {
	Wake
	FollowUp domain.FollowUp
	Open     bool
}

// Wakes returns up to limit of the wake-ups sel selects, the soonest next
// action first (those with none last), each with its follow-up.
func (r *FollowUps) Wakes(ctx context.Context, sel WakeSelect, limit int) ([]OwedWake, error) {
	q := r.db.WithContext(ctx).Where("policy = ? AND calendar = ? AND version = ?", sel.Policy, sel.Calendar, sel.Version)
	if sel.StaleBefore != nil {
		q = r.db.WithContext(ctx).Where("(policy = ? AND calendar = ? AND version = ?) OR created_at < ?",
			sel.Policy, sel.Calendar, sel.Version, *sel.StaleBefore)
	}
	var ws []wakeRow
	if err := q.Order("wake_at IS NULL, wake_at, follow_up_id").Limit(limit).Find(&ws).Error; err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return nil, nil
	}
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.FollowUpID
	}
	var rows []followUpRow
	if err := r.db.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	byID := make(map[string]followUpRow, len(rows))
	for _, f := range rows {
		byID[f.ID] = f
	}
	out := make([]OwedWake, len(ws))
	for i, w := range ws {
		f, ok := byID[w.FollowUpID]
		out[i] = OwedWake{Wake: Wake{FollowUpID: w.FollowUpID, Policy: w.Policy, Calendar: w.Calendar, Version: w.Version,
			Carried: w.Carried, At: w.WakeAt, CreatedAt: w.CreatedAt}, FollowUp: f.domain(), Open: ok && f.ClosedAt == nil}
	}
	return out, nil
}

// DropWakes removes the wake-ups ws once their workflows are signalled:
// each only if it is still the one read (a later rollout may have taken the
// entry over since, and owes that signal still).
func (r *FollowUps) DropWakes(ctx context.Context, ws []Wake) error {
	if len(ws) == 0 {
		return nil
	}
	return db.Transaction(ctx, r.db, func(tx *gorm.DB) error {
		byRollout := map[[2]string]map[int64][]string{}
		for _, w := range ws {
			k := [2]string{w.Policy, w.Calendar}
			if byRollout[k] == nil {
				byRollout[k] = map[int64][]string{}
			}
			byRollout[k][w.Version] = append(byRollout[k][w.Version], w.FollowUpID)
		}
		for k, versions := range byRollout {
			for v, ids := range versions {
				err := tx.Where("follow_up_id IN ? AND policy = ? AND calendar = ? AND version = ?", ids, k[0], k[1], v).
					Delete(&wakeRow{}).Error
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}
