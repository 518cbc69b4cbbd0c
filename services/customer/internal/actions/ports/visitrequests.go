package ports

import (
	"context"
	"log/slog"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/customer/internal/actions/app"
	visdomain "github.com/closeloop/closeloop/services/customer/internal/visits/domain"
)

// VisitRequests answers the visit requests of campaigns' visit touches in
// the background of the customer service, one RequestVisits pass after
// another: at once while passes find full batches, when PlanTouches has
// stored new requests, and otherwise every Every — which also picks up
// what another replica stored, and retries a pass that failed. Replicas
// may take the same requests at the same moment: each is sent under its
// plan's update id and answered on its plan once, so that costs round
// trips, never a second visit.
type VisitRequests struct {
	Svc   *app.Service
	Log   *slog.Logger
	Every time.Duration // default 10 s
}

// Run passes until ctx ends.
func (r VisitRequests) Run(ctx context.Context) error {
	every := r.Every
	if every <= 0 {
		every = 10 * time.Second
	}
	for {
		n, err := r.Svc.RequestVisits(ctx)
		switch e := apperr.From(err); {
		case ctx.Err() != nil:
			return nil
		case err != nil && e.Code == visdomain.CodeCalendarsUnknown:
			r.Log.Debug("visit touches wait for the first care sweep's calendars")
		case err != nil:
			r.Log.Warn("visit touches: a pass failed; retried later", "error", err)
		case n == app.VisitBatch:
			continue // more are waiting
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.Svc.VisitsWaiting():
			t.Stop()
		case <-t.C:
		}
	}
}
