// Package service is the after-sales (service) service: after-sales service requests with response and resolution deadlines.
// It runs the shared service skeleton today — its API with health, metrics and
// OpenAPI, its own database and migrations, and a Temporal worker on the "service"
// task queue answering the SystemCheck ping — and grows its domain in later issues.
package service

import (
	"context"
	_ "embed"

	platform "github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
)

// TaskQueue is the after-sales (service) service's Temporal task queue.
const TaskQueue = "service"

//go:embed openapi.json
var openAPI []byte

// Spec describes the after-sales (service) service binary.
func Spec() platform.Spec {
	return platform.Spec{
		Name:            "service",
		DefaultHTTPAddr: ":8083",
		TaskQueue:       TaskQueue,
		Migrations:      adapters.Migrations,
		Setup: func(ctx context.Context, d *platform.Deps) (*platform.Module, error) {
			return &platform.Module{
				OpenAPI:    openAPI,
				Background: []func(context.Context) error{platform.PurgeIdempotencyKeys(d.DB, d.Log)},
			}, nil
		},
	}
}
