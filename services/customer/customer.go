// Package customer is the customer service: the master data every other
// Closeloop service depends on — companies and their hierarchy, contacts,
// territory (region, industry) and owning rep, lifecycle and relationship
// stages, value inputs and the ABC class, with a full audit trail.
//
// This file is the service's whole contract at a glance: its name, task queue,
// configuration and how it is assembled. The pieces live in internal/:
// domain (rules), app (use cases), adapters (storage, migrations) and ports
// (HTTP handlers, Temporal activities).
package customer

import (
	"context"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/service"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/app"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/ports"
)

// Config is the customer service's own configuration, next to service.Config.
type Config struct {
	ABCAShare   float64 `env:"ABC_A_SHARE" default:"0.80" help:"cumulative value share that makes a customer class A (Pareto: top 80%)"`
	ABCBShare   float64 `env:"ABC_B_SHARE" default:"0.95" help:"cumulative value share that makes a customer class B (the next 15%); the rest are C"`
	ABCPageSize int32   `env:"ABC_PAGE_SIZE" default:"2000" help:"customers classified per activity call during ABC reclassification"`
}

// OpenAPI returns the service's OpenAPI document, built from its request and response types.
func OpenAPI() []byte { return ports.OpenAPI() }

// Spec describes the customer service binary.
func Spec() service.Spec {
	cfg := &Config{}
	return service.Spec{
		Name:            "customer",
		DefaultHTTPAddr: ":8081",
		TaskQueue:       customerc.TaskQueue,
		Migrations:      adapters.Migrations,
		Extra:           cfg,
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			return Setup(d, *cfg)
		},
	}
}

// Setup assembles the service from its dependencies.
func Setup(d *service.Deps, cfg Config) (*service.Module, error) {
	t := domain.Thresholds{AShare: cfg.ABCAShare, BShare: cfg.ABCBShare}
	if !t.Valid() {
		return nil, apperr.Invalid("invalid_config", "ABC_A_SHARE and ABC_B_SHARE must satisfy 0 < A < B < 1")
	}
	store := adapters.NewStore(d.DB)
	a := app.New(store, ports.TemporalReclassifier{Client: d.Temporal, PageSize: cfg.ABCPageSize}, t)
	h := ports.NewHTTP(a)
	acts := ports.NewActivities(a)
	return &service.Module{
		Routes:     func(v1 *gin.RouterGroup) { h.Routes(v1) },
		Register:   func(r worker.Registry) { acts.Register(r) },
		OpenAPI:    ports.OpenAPI(),
		Background: []func(context.Context) error{service.PurgeIdempotencyKeys(d.DB, d.Log)},
	}, nil
}
