// Package sales is the sales service: territories and lead assignment, leads
// and their first-contact escalation, opportunities in the four-stage funnel
// with stale-stage follow-ups, timelines and the funnel report; and, for the
// marketing service's campaign evaluation, what became of a list of
// customers in a period (activity sales.CustomerOutcomes).
//
// This file is the service's contract at a glance: its name, task queue,
// configuration and how it is assembled. The pieces live in internal/:
// domain (rules), app (use cases), adapters (storage, migrations) and ports
// (HTTP handlers, Temporal activities, the workflow and customer-service
// clients). The Lead and Opportunity workflows live in workflows/lead; the
// service hosts the Lead workflow of the leads it starts (workflows/lead/host.go).
//
// It does not own customers (a lead's company is found or created, and its
// owner claimed, through the customer service's activities; whether a person
// may see a customer is asked of its API), nor follow-ups and timer policies
// (the follow-up engine, embedded in the lead workflows as Track).
package sales

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/closeloop/closeloop/platform/service"
	salesc "github.com/closeloop/closeloop/proto/contract/sales"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/app"
	"github.com/closeloop/closeloop/services/sales/internal/ports"
	"github.com/closeloop/closeloop/workflows/lead"
)

// TaskQueue is the sales service's Temporal task queue.
const TaskQueue = salesc.TaskQueue

// Config is the sales service's own configuration, next to service.Config.
type Config struct {
	CustomerAPI string        `env:"CUSTOMER_API_URL" default:"http://127.0.0.1:8081" help:"base URL of the customer service, used to look customers up as the caller (and, with SERVICE_CLIENT_ID, to find a new lead's customer as the sales service)"`
	FollowUpAPI string        `env:"FOLLOWUP_API_URL" default:"http://127.0.0.1:8086" help:"base URL of the follow-up service, which a new lead's first-contact follow-up calls as the sales service when SERVICE_CLIENT_ID is set"`
	CreateWait  time.Duration `env:"LEAD_CREATE_WAIT" default:"5s" help:"how long POST /v1/leads and /v1/opportunities wait for the workflow to store and assign the new record before answering 202 Accepted"`
	UpdateWait  time.Duration `env:"WORKFLOW_UPDATE_WAIT" default:"10s" help:"how long a change to a lead or opportunity waits for its workflow before answering 503 (nothing changed)"`
	TemporalUI  string        `env:"TEMPORAL_UI_URL" default:"http://localhost:8233" help:"Temporal web UI base URL that leads and opportunities link their workflow to; empty for no link"`
}

// OpenAPI returns the service's OpenAPI document.
func OpenAPI() []byte { return ports.OpenAPI() }

// Spec describes the sales service binary.
func Spec() service.Spec {
	cfg := &Config{}
	return service.Spec{
		Name:            "sales",
		DefaultHTTPAddr: ":8082",
		TaskQueue:       TaskQueue,
		Migrations:      adapters.Migrations,
		Extra:           cfg,
		Setup: func(ctx context.Context, d *service.Deps) (*service.Module, error) {
			return Setup(d, *cfg)
		},
	}
}

// Setup assembles the service from its dependencies.
func Setup(d *service.Deps, cfg Config) (*service.Module, error) {
	store := adapters.NewStore(d.DB)
	wf := ports.TemporalWorkflows{Client: d.Temporal, UpdateWait: cfg.UpdateWait, UI: cfg.TemporalUI, Namespace: d.Config.Temporal.Namespace,
		CallsLocal: d.ServiceTokens != nil}
	a := app.New(store, wf, ports.NewCustomerAPI(cfg.CustomerAPI), app.Options{CreateWait: cfg.CreateWait})
	h := &ports.HTTP{App: a}
	acts := &ports.Activities{Store: store, App: a}
	return &service.Module{
		Routes: func(v1 *gin.RouterGroup) { h.Routes(v1) },
		Register: func(r worker.Registry) {
			acts.Register(r)
			if d.ServiceTokens != nil {
				// New leads call the customer and follow-up services as
				// local activities, as the sales service (remote.go).
				ports.RemoteActivities{Auth: d.ServiceTokens, Customer: cfg.CustomerAPI, FollowUp: cfg.FollowUpAPI}.Register(r)
			}
			// New leads run here, their sales activities local
			// (workflows/lead/host.go); the worker keeps leads started
			// before, and opportunities.
			r.RegisterWorkflowWithOptions(lead.Lead, workflow.RegisterOptions{Name: wfc.WorkflowLead})
		},
		OpenAPI:    ports.OpenAPI(),
		Background: []func(context.Context) error{service.PurgeIdempotencyKeys(d.DB, d.Log)},
	}, nil
}
