package adapters

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// The slips table is the outbox of the slips' workflows: Create stores a
// slip with no workflow_started_at; MarkStarted records that its InfoSlip
// workflow runs; Unstarted finds those whose start failed (the engine was
// unreachable when the slip was sent), for the service's start loop.

// MarkStarted records that the slip's workflow runs.
func (r *Slips) MarkStarted(ctx context.Context, id string, at time.Time) error {
	return r.db.WithContext(ctx).Model(&slipRow{}).Where("id = ? AND workflow_started_at IS NULL", id).
		Update("workflow_started_at", at).Error
}

// Unstarted returns up to limit slips sent before before whose workflow is
// not known to run, oldest first.
func (r *Slips) Unstarted(ctx context.Context, before time.Time, limit int) ([]domain.Slip, error) {
	var ids []string
	if err := r.db.WithContext(ctx).Model(&slipRow{}).Where("workflow_started_at IS NULL AND created_at < ?", before).
		Order("created_at").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Slip, 0, len(ids))
	for _, id := range ids {
		s, err := r.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
