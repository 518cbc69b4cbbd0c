// Package marketing is the marketing service: campaigns and win-back of lost customers.
// It runs the shared service skeleton today — its API with health, metrics and
// OpenAPI, its own database and migrations, and a Temporal worker on the "marketing"
// task queue answering the SystemCheck ping — and grows its domain in later issues.
package marketing

import (
	"context"
	_ "embed"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
)

// TaskQueue is the marketing service's Temporal task queue.
const TaskQueue = "marketing"

//go:embed openapi.json
var openAPI []byte

// Spec describes the marketing service binary.
func Spec() service.Spec {
	return service.Spec{
		Name:            "marketing",
		DefaultHTTPAddr: ":8084",
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
