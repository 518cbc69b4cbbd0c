package store

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// OpenCount is how many follow-ups of a kind are open, and how many of those
// are overdue, at an instant.
type OpenCount struct {
	Kind    string
	Open    int64
	Overdue int64
}

// OpenCounts counts the open follow-ups per kind at an instant. It reads the
// partial index of open rows only, so it costs the open follow-ups, not the
// history.
func OpenCounts(ctx context.Context, gdb *gorm.DB, at time.Time) ([]OpenCount, error) {
	var out []OpenCount
	err := gdb.WithContext(ctx).Table("follow_ups").
		Select("kind, COUNT(*) AS open, SUM(CASE WHEN due_at < ? THEN 1 ELSE 0 END) AS overdue", at.UTC()).
		Where("closed_at IS NULL").Group("kind").Order("kind").Scan(&out).Error
	return out, err
}
