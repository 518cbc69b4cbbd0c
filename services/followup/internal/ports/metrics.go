package ports

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
)

// Gauge names on /metrics (OpenTelemetry names; Prometheus shows them with
// dots as underscores): docs/dashboards.md builds its panels on them.
const (
	GaugeOpen    = "closeloop.followups.open"
	GaugeOverdue = "closeloop.followups.overdue"
)

// RegisterGauges reports, at every scrape, the open and overdue follow-ups per
// kind across the organisation: what managers chase, as a time series.
// A count that fails is logged and skipped (the scrape still answers).
func RegisterGauges(mp metric.MeterProvider, gdb *gorm.DB, log *slog.Logger) error {
	m := mp.Meter("github.com/closeloop/closeloop/services/followup")
	open, err := m.Int64ObservableGauge(GaugeOpen, metric.WithUnit("{follow-up}"),
		metric.WithDescription("Open follow-ups, by kind."))
	if err != nil {
		return err
	}
	overdue, err := m.Int64ObservableGauge(GaugeOverdue, metric.WithUnit("{follow-up}"),
		metric.WithDescription("Open follow-ups past their due time, by kind."))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		counts, err := store.OpenCounts(ctx, gdb, time.Now())
		if err != nil {
			log.Warn("follow-up gauges: counting open follow-ups failed", "error", err)
			return nil
		}
		for _, c := range counts {
			kind := metric.WithAttributes(attribute.String("kind", c.Kind))
			o.ObserveInt64(open, c.Open, kind)
			o.ObserveInt64(overdue, c.Overdue, kind)
		}
		return nil
	}, open, overdue)
	return err
}
