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
// After filing a case has one writer, its ServiceCase:<id> workflow
// (workflows/servicecase): every change the API takes is an update of it,
// applied by this service's activities (ports/activities.go), which also
// record the SLA targets' rows the workflow computes.
package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/worker"

	"github.com/closeloop/closeloop/platform/httpx"
	platform "github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/app"
	"github.com/closeloop/closeloop/services/service/internal/domain"
	"github.com/closeloop/closeloop/services/service/internal/ports"
	"github.com/closeloop/closeloop/workflows/loyalty"
)

// TaskQueue is the after-sales service's Temporal task queue.
const TaskQueue = "service"

// Config is the after-sales service's own configuration, next to
// platform.Config.
type Config struct {
	CustomerAPI string        `env:"CUSTOMER_API_URL" default:"http://127.0.0.1:8081" help:"base URL of the customer service, in which a new case's customer is looked up as the caller"`
	UpdateWait  time.Duration `env:"UPDATE_WAIT" default:"10s" help:"how long a change of a case waits for its workflow before answering 503"`
	StartEvery  time.Duration `env:"CASE_START_INTERVAL" default:"15s" help:"how often cases and info slips filed, and survey answers given, while the workflow engine was unreachable are looked for and their workflows started (a case's, a slip's, an answer's loyalty sync)"`
	Departments string        `env:"DEPARTMENTS" default:"sales=north,south;service=service,service-west;marketing=marketing" help:"the organisation's departments and their teams (department=team,team;…): info slips are routed to departments, notices addressed to them; the first team of a department gets its slips when the sender names none"`
	// Surveys: the satisfaction surveys (SURVEY_*, SMTP_*; docs/satisfaction.md).
	Surveys ports.SurveyConfig
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
	wf := ports.CaseWorkflows{Client: d.Temporal, UpdateWait: cfg.UpdateWait}
	uc := app.NewCases(d.DB, customers.Lookup, wf)
	cases := &ports.CasesHTTP{Cases: uc}
	reports := &ports.ReportsHTTP{Reports: app.NewReports(d.DB)}
	acts := &ports.Activities{Cases: adapters.NewCases(d.DB), SLA: adapters.NewSLA(d.DB)}
	surveys, err := ports.NewSurveys(d, cfg.Surveys)
	if err != nil {
		return nil, err
	}
	org, err := domain.ParseOrg(cfg.Departments)
	if err != nil {
		return nil, err
	}
	slipWF := ports.SlipWorkflows{Client: d.Temporal, Org: org, UpdateWait: cfg.UpdateWait}
	people := ports.NewPeopleAPI(cfg.CustomerAPI)
	slipUC := app.NewSlips(d.DB, customers.Lookup, people.Lookup, org, slipWF)
	slips := &ports.SlipsHTTP{Slips: slipUC}
	slipActs := &ports.SlipActivities{Slips: adapters.NewSlips(d.DB), Org: org}
	notices := &ports.NoticesHTTP{Notices: app.NewNotices(d.DB, org, nil)}
	notices.Notices.Workflows = noticeWorkflows(d, notices.Notices, people)
	notices.Notices.Log = d.Log
	noticeActs := &ports.NoticeActivities{Notices: notices.Notices, Chases: ports.NoticeChases{Client: d.Temporal}}
	standings := app.NewStandings(d.DB)
	if d.Log != nil {
		standings.Log = d.Log
	}
	if d.Temporal != nil {
		c := d.Temporal
		standings.Start = func(ctx context.Context, customerID, surveyID string, answeredAt time.Time) error {
			return loyalty.StartAfterAnswer(ctx, c, customerID, surveyID, answeredAt)
		}
	}
	surveys.Surveys.Answered = standings.Answered
	standingActs := &ports.StandingActivities{Standings: standings}
	return &platform.Module{
		Register: func(r worker.Registry) {
			acts.Register(r)
			slipActs.Register(r)
			noticeActs.Register(r)
			surveys.Register(r)
			standingActs.Register(r)
		},
		Routes: func(v1 *gin.RouterGroup) {
			v1.Use(httpx.ForwardBearer) // customer look-ups are made as the caller
			cases.Routes(v1)
			surveys.Routes(v1)
			reports.Routes(v1)
			notices.Routes(v1)
			slips.Routes(v1)
		},
		Pages:   surveys.Public, // the survey links customers open, without login
		OpenAPI: ports.OpenAPI(),
		Background: []func(context.Context) error{platform.PurgeIdempotencyKeys(d.DB, d.Log), startPending(uc, cfg.StartEvery, d.Log),
			startPending(slipUC, cfg.StartEvery, d.Log),
			surveys.Background(), standings.Syncer(cfg.StartEvery)},
	}, nil
}

// noticeWorkflows is where a published notice goes (app.NoticeWorkflows):
// its readers from the people of the organisation's teams in the user
// directory (ports.NoticeReaders), and its Notice workflow, which chases
// those who miss the acknowledgement deadline (ports.NoticeChases). The
// tests put a directory of their own here.
var noticeWorkflows = func(d *platform.Deps, n *app.Notices, people *ports.PeopleAPI) app.NoticeWorkflows {
	return ports.NoticeWorkflows{NoticeReaders: ports.NoticeReaders{People: people, Org: n.Org, Notices: n},
		NoticeChases: ports.NoticeChases{Client: d.Temporal}}
}

// startPending starts, every interval, the workflows of cases whose start
// failed when they were filed (the engine was unreachable): the cases table
// is the outbox of case workflows.
func startPending(uc interface {
	StartPending(ctx context.Context, grace time.Duration, batch int) (int, error)
}, every time.Duration, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if n, err := uc.StartPending(ctx, every, 100); err != nil {
				log.WarnContext(ctx, "starting the workflows of pending cases", "started", n, "error", err)
			} else if n > 0 {
				log.InfoContext(ctx, "started the workflows of pending cases", "started", n)
			}
		}
	}
}
