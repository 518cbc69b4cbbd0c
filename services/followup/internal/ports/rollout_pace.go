package ports

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/closeloop/closeloop/services/followup/internal/app"
)

// A rollout's pacing on /metrics (docs/dashboards.md, docs/operations.md).
const (
	MetricRolloutWindow  = "closeloop.followups.rollout.window"
	MetricRolloutSignals = "closeloop.followups.rollout.signals"
	MetricRolloutTakenIn = "closeloop.followups.rollout.taken_in"
	// MetricRolloutUnsignalled counts follow-ups whose stored change moved
	// nothing their workflow waits for: no signal sent.
	MetricRolloutUnsignalled = "closeloop.followups.rollout.unsignalled"
)

// RolloutPace is app.RolloutObserver on OpenTelemetry and the service's
// log: the window a wake page ended with, the signals it sent, how long
// the workflows it checked took to take their signal in, the follow-ups a
// store page left unsignalled, and a log line a page.
type RolloutPace struct {
	window      metric.Int64Gauge
	signals     metric.Int64Counter
	unsignalled metric.Int64Counter
	takenIn     metric.Float64Histogram
	log         *slog.Logger
}

// NewRolloutPace registers the instruments; mp nil: the log line only.
func NewRolloutPace(mp metric.MeterProvider, log *slog.Logger) (*RolloutPace, error) {
	r := &RolloutPace{log: log}
	if mp == nil {
		return r, nil
	}
	m := mp.Meter("github.com/closeloop/closeloop/services/followup")
	var err error
	if r.window, err = m.Int64Gauge(MetricRolloutWindow, metric.WithUnit("{signal}"),
		metric.WithDescription("How many of a policy rollout's signals its last wake page let run ahead of the workflows taking them in; it follows the workers' pace.")); err != nil {
		return nil, err
	}
	if r.signals, err = m.Int64Counter(MetricRolloutSignals, metric.WithUnit("{signal}"),
		metric.WithDescription("Signals policy rollouts' wake pages sent to running follow-ups.")); err != nil {
		return nil, err
	}
	if r.unsignalled, err = m.Int64Counter(MetricRolloutUnsignalled, metric.WithUnit("{follow-up}"),
		metric.WithDescription("Follow-ups whose change a policy rollout stored without signalling their workflow: the change brought nothing it waits for sooner, and it takes the new versions when its timer fires at the instant it waits for.")); err != nil {
		return nil, err
	}
	r.takenIn, err = m.Float64Histogram(MetricRolloutTakenIn, metric.WithUnit("s"),
		metric.WithDescription("How long a follow-up a rollout's wake page checked took from its signal to having taken it in: how far the rollout runs ahead of the workers."),
		metric.WithExplicitBucketBoundaries(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
	return r, err
}

// TakenIn records one checked workflow.
func (r *RolloutPace) TakenIn(d time.Duration) {
	if r.takenIn != nil {
		r.takenIn.Record(context.Background(), d.Seconds())
	}
}

// WakePage records a page's end.
func (r *RolloutPace) WakePage(p app.WakePagePace) {
	if r.window != nil {
		ctx := context.Background()
		r.window.Record(ctx, int64(p.WindowTo))
		r.signals.Add(ctx, int64(p.Signalled))
	}
	r.log.Info("rollout wake page", "signalled", p.Signalled, "window_from", p.WindowFrom, "window_to", p.WindowTo,
		"carried", p.Carried, "handed", p.Handed, "checks", p.Checks, "waited", p.Waited, "gave_up", p.GaveUp,
		"slowest_taken_in", p.SlowestTakenIn.Round(time.Millisecond).String(), "took", p.Took.Round(time.Millisecond).String())
}

// StorePage records a store page's end.
func (r *RolloutPace) StorePage(stored, unsignalled int64) {
	if r.unsignalled != nil {
		r.unsignalled.Add(context.Background(), unsignalled)
	}
	r.log.Info("rollout store page", "stored", stored, "unsignalled", unsignalled)
}
