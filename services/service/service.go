// Package service is the after-sales service: service cases — a customer's
// request, complaint, repair, consultation or return — with their timeline
// and, as they land, their SLA targets (docs/architecture.md, "Service
// cases").
//
// This file is the service's contract at a glance: its name, task queue,
// configuration and how it is assembled. The pieces live in internal/, in
// the shape every service follows: domain (the rules: the case's states,
// its timeline, who sees, works and files which cases), app (the use cases:
// file a case, read cases and timelines), adapters (the migrations and the
// gorm repository) and ports (the HTTP API, its OpenAPI document, and the
// customer service's API, in which a case's customer is looked up as the
// caller).
//
// After creation a case will have one writer, its ServiceCase:<id>
// workflow; that workflow and its activities are not built yet, so the API
// files cases and reads them, and changes nothing else.
package service

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/httpx"
	platform "github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/ports"
)

// TaskQueue is the after-sales service's Temporal task queue.
const TaskQueue = "service"

// Config is the after-sales service's own configuration, next to
// platform.Config.
type Config struct {
	CustomerAPI string `env:"CUSTOMER_API_URL" default:"http://127.0.0.1:8081" help:"base URL of the customer service, in which a new case's customer is looked up as the caller"`
}

// OpenAPI returns the service's OpenAPI document, built from its request and response types.
func OpenAPI() []byte { return ports.OpenAPI() }

// Spec describes the after-sales service binary.
func Spec() platform.Spec {
	cfg := &Config{}
	return platform.Spec{
		Name:            "service",
		DefaultHTTPAddr: ":8083",
		TaskQueue:       TaskQueue,
		Migrations:      adapters.Migrations,
		Extra:           cfg,
		Setup: func(ctx context.Context, d *platform.Deps) (*platform.Module, error) {
			return Setup(d, *cfg)
		},
	}
}

// Setup assembles the service from its dependencies.
func Setup(d *platform.Deps, cfg Config) (*platform.Module, error) {
	customers := ports.NewCustomerAPI(cfg.CustomerAPI)
	cases := &ports.CasesHTTP{Cases: app.NewCases(d.DB, customers.Lookup)}
	return &platform.Module{
		Routes: func(v1 *gin.RouterGroup) {
			v1.Use(httpx.ForwardBearer) // customer look-ups are made as the caller
			cases.Routes(v1)
		},
		OpenAPI:    ports.OpenAPI(),
		Background: []func(context.Context) error{platform.PurgeIdempotencyKeys(d.DB, d.Log)},
	}, nil
}
