package service

import (
	"context"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/idem"
)

// PurgeIdempotencyKeys is a Background task that removes expired idempotency keys hourly.
func PurgeIdempotencyKeys(gdb *gorm.DB, log *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if n, err := idem.Purge(ctx, gdb); err != nil && ctx.Err() == nil {
				log.Warn("purge idempotency keys", "error", err)
			} else if n > 0 {
				log.Info("purged idempotency keys", "count", n)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	}
}
