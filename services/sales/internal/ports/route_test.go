package ports_test

import (
	"context"
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"

	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/ports"
)

// RouteLead without a lead is refused as invalid, not retried, and touches
// no store.
func TestRouteLeadRefusesAnInputWithoutItsLead(t *testing.T) {
	for _, in := range []*salesv1.RouteLeadInput{{}, {Lead: &salesv1.LeadData{Region: "north"}}} {
		_, err := (&ports.Activities{}).RouteLead(context.Background(), in)
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || !app.NonRetryable() || app.Type() != "invalid" {
			t.Errorf("%v: %v, want a non-retryable invalid error", in, err)
		}
	}
}
