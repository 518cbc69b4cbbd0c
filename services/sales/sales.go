// Package sales is the sales service: leads, territories, the four-stage funnel and lead escalation.
// It runs the shared service skeleton today — its API with health, metrics and
// OpenAPI, its own database and migrations, and a Temporal worker on the "sales"
// task queue answering the SystemCheck ping — and grows its domain in later issues.
package sales

import (
	"context"
	_ "embed"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
)

// TaskQueue is the sales service's Temporal task queue.
const TaskQueue = "sales"

//go:embed openapi.json
var openAPI []byte

// Spec describes the sales service binary.
func Spec() service.Spec {
	return service.Spec{
		Name:            "sales",
		DefaultHTTPAddr: ":8082",
		TaskQueue:       TaskQueue,
		Migrations:      adapters.Migrations,
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			return &service.Module{
				OpenAPI:    openAPI,
				Background: []func(context.Context) error{service.PurgeIdempotencyKeys(d.DB, d.Log)},
			}, nil
		},
	}
}
