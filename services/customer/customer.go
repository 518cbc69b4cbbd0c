// Package customer is the customer service: the master data every other
// Closeloop service depends on — companies and their hierarchy, contacts,
// territory (region, industry) and owning rep, lifecycle and relationship
// stages, value inputs and the ABC class, the care cadence of existing
// customers, the user directory (who may own a customer), with a full audit
// trail.
//
// Beside customers it holds contexts of its own, each a package: visits
// (internal/visits: one visit per customer-day), the departments' actions
// (internal/actions: plans and logs of calls and meetings, and marketing
// campaigns' touches), care (internal/care: the care cadence of existing
// customers), the timeline (internal/timeline: a customer's history across
// them, newest first), analytics (internal/analytics: classes, the Pareto
// series, stages and care coverage of a manager's book), win-back
// (internal/winback: the lost customer whose WinBack workflow runs, and the
// responses that stop it) and campaigns' email touches (internal/touchmail:
// where a customer's email goes, and each email on its history). Campaigns'
// segments are customer master data (customer.SegmentPage:
// internal/domain/segment.go).
//
// It does not own leads, opportunities or territories (the sales service),
// nor follow-ups, timer policies or business calendars (the follow-up
// service, services/followup: care starts follow-up workflows and is told
// when they close; visits and actions read calendars and close follow-ups
// through its API as the user), nor any workflow: those run in the worker
// (workflows/), calling this service's activities on its task queue.
//
// This file is the service's whole contract at a glance: its name, task queue,
// configuration and how it is assembled. The pieces live in internal/:
// domain (rules), app (use cases), adapters (storage, migrations) and ports
// (HTTP handlers, Temporal activities).
package customer

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/httpx"
	"github.com/closeloop/closeloop/platform/service"
	customerc "github.com/closeloop/closeloop/proto/contract/customer"
	"github.com/closeloop/closeloop/services/customer/internal/actions"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/analytics"
	"github.com/closeloop/closeloop/services/customer/internal/app"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/ports"
	"github.com/closeloop/closeloop/services/customer/internal/schema"
	"github.com/closeloop/closeloop/services/customer/internal/timeline"
	"github.com/closeloop/closeloop/services/customer/internal/touchmail"
	"github.com/closeloop/closeloop/services/customer/internal/visits"
	"github.com/closeloop/closeloop/services/customer/internal/winback"
	followupclient "github.com/closeloop/closeloop/services/followup/client"
)

// Config is the customer service's own configuration, next to service.Config.
type Config struct {
	ABCAShare   float64 `env:"ABC_A_SHARE" default:"0.80" help:"cumulative value share that makes a customer class A (Pareto: top 80%)"`
	ABCBShare   float64 `env:"ABC_B_SHARE" default:"0.95" help:"cumulative value share that makes a customer class B (the next 15%); the rest are C"`
	ABCPageSize int32   `env:"ABC_PAGE_SIZE" default:"2000" help:"customers classified per activity call during ABC reclassification"`
	// The follow-up service (its API is called as the user).
	FollowUpAPI string `env:"FOLLOWUP_API_URL" default:"http://127.0.0.1:8086" help:"base URL of the follow-up service: the customer service reads calendars and closes first-contact follow-ups through it, as the caller"`
	// Visits.
	VisitAllowNonWorkingDays bool          `env:"VISIT_ALLOW_NON_WORKING_DAYS" default:"false" help:"allow visits on days without working time in the customer's business calendar (weekends, holidays), each only with a manager's or admin's explicit allow_non_working_day override, recorded on its timeline"`
	VisitDefaultStart        string        `env:"VISIT_DEFAULT_START" default:"10:00" help:"start of a visit whose request names none, HH:MM in the customer's calendar time zone"`
	VisitDefaultDuration     time.Duration `env:"VISIT_DEFAULT_DURATION" default:"1h" help:"length of a visit whose request names none"`
	VisitDecisionWait        time.Duration `env:"VISIT_DECISION_WAIT" default:"10s" help:"how long a visit request, cancellation or log waits for the visit workflow's answer before answering 503 update_pending"`
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
		Migrations:      schema.Migrations,
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

	// Follow-ups are the follow-up service's: care starts and signals their
	// workflows; visits and actions call its API as the user.
	engine := ports.TemporalEngine{Client: d.Temporal}
	cs := care.New(d.DB, care.Temporal{Workflows: engine, Client: d.Temporal})
	a.UseCare(cs)
	fapi := followupclient.New(cfg.FollowUpAPI) // the follow-up service's API, called as the user
	vs := visits.New(d.DB, store, fapi, visits.Temporal{Client: d.Temporal, Wait: cfg.VisitDecisionWait}, visits.Config{
		AllowNonWorkingDays: cfg.VisitAllowNonWorkingDays, DefaultStart: cfg.VisitDefaultStart, DefaultDuration: cfg.VisitDefaultDuration})
	as := actions.New(d.DB, store, fapi, cs)
	// Campaigns' visit touches go through the one visit per customer and
	// day: actions has the visits context request them (in the background,
	// Background below), in the calendars the latest care sweep resolved (a
	// touch has no caller to read them from the follow-up service as).
	vs.UseStoredCalendars(cs)
	as.UseVisits(vs)
	vs.OnContact(func(ctx context.Context, ids []string, by string) error {
		_, err := cs.CloseAnswered(ctx, ids, by)
		return err
	})
	// Win-back: a contact logged, a visit's log or a lifecycle change out
	// of lost signals the customer's WinBack workflow once stored.
	wb := winback.New(d.DB, store, d.Temporal, d.Log)
	a.UseWinBack(wb)
	as.UseWinBack(wb)
	vs.UseWinBack(wb)
	activities := func(r worker.Registry) {
		acts.Register(r)
		acts.RegisterLeadActivities(r)
		acts.RegisterMarketingActivities(r) // customer.SegmentPage: campaigns' segments
		vs.Register(r)
		// customer.RecordCaseEvent, customer.RecordSlipEvent: cases' and slips' changes on the customer's history;
		// customer.PlanTouches: campaigns' touches as action plans.
		as.Register(r)
		wb.Register(r) // customer.MarkWinBack, customer.WinBackResponses, customer.WinBackReturned
		// customer.TouchAddresses, customer.RecordTouchEmails: campaigns' email touches.
		touchmail.New(d.DB).Register(r)
		(&care.Activities{Care: cs}).Register(r)
	}
	m := &service.Module{
		Routes: func(v1 *gin.RouterGroup) {
			v1.Use(httpx.ForwardBearer) // calls to the follow-up service are made as the caller
			h.Routes(v1)
			vs.Routes(v1)
			as.Routes(v1)
			timeline.New(d.DB, store).Routes(v1)
			analytics.New(d.DB, cs).Routes(v1)
		},
		// For the sales service's worker, which runs EnsureCustomer as a local
		// activity of a new lead (platform/activityhttp), as the callers of
		// SERVICE_CALLERS.
		Internal: acts.InternalRoutes,
		Register: func(r worker.Registry) {
			activities(r)
			vs.RegisterWorkflow(r) // new customer-days run here, their visit activities local
		},
		OpenAPI:    ports.OpenAPI(),
		Background: []func(context.Context) error{service.PurgeIdempotencyKeys(d.DB, d.Log), as.VisitRequests(d.Log)},
	}
	// The same activities on the bulk queue: the page activities of launches
	// and sweeps run there (customerc.BulkTaskQueue); no workflow.
	m.Queues = map[string]func(worker.Registry){customerc.BulkTaskQueue: activities}
	return m, nil
}
