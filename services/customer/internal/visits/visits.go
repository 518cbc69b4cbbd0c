// Package visits is the customer service's visits context, in four parts:
//
//   - domain: the context's own rules (what a request must be to reach the
//     workflow, who may cancel, move or log a visit, what a booking, join,
//     cancellation or log stores, how visits are shown) — pure, tested
//     without a database;
//   - app: the use cases, with authorisation and scope, over the repository,
//     the customers, the calendars and the workflow through interfaces —
//     among them the visits campaigns' visit touches request (ForTouches,
//     for the actions context);
//   - adapters: the gorm repository of the visits tables; decides nothing;
//   - ports: the HTTP API and its OpenAPI operations, the Visit workflow's
//     activities, and the Temporal client of Visit workflows.
//
// The Visit workflow and its rules (who books, joins or is offered a day;
// reminders and escalations) are workflows/visit's; the schema is
// internal/schema/visits.go's.
//
// This package only wires the parts together for the service (New) and
// keeps the names the rest of the service and its tests use (Ops, NewStore,
// Row, Activities). It holds no rule and no storage of its own.
package visits

import (
	"context"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/openapi"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/visits/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/visits/app"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	"github.com/closeloop/closeloop/services/customer/internal/visits/ports"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Config is the visit settings of the customer service.
type Config = app.Config

// Temporal sends requests, cancellations and logs to Visit workflows.
type Temporal = ports.Temporal

// Row is a stored visit (the visits table).
type Row = adapters.Row

// Ops documents the visit API for the service's OpenAPI document.
func Ops() []openapi.Op { return ports.Ops() }

// Service is the visits context as the service mounts it: the use cases
// with their HTTP routes and their activities.
type Service struct {
	*app.Visits
	http ports.HTTP
	acts ports.Activities
}

// New wires the context over a migrated database; customers is the customer
// service's store, cals reads business calendars, wf sends to Visit workflows.
func New(gdb *gorm.DB, customers *custadapters.Store, cals app.Calendars, wf app.Workflows, cfg Config) *Service {
	a := app.New(adapters.New(gdb), adapters.Customers{Store: customers}, cals, wf, cfg)
	return &Service{Visits: a, http: ports.HTTP{Svc: a}, acts: ports.Activities{App: a}}
}

// Routes mounts the visit API on the authenticated /v1 group.
func (s *Service) Routes(v1 *gin.RouterGroup) { s.http.Routes(v1) }

// Register adds the Visit workflow's activities to the customer worker.
func (s *Service) Register(r worker.Registry) { s.acts.Register(r) }

// RegisterWorkflow adds the Visit workflow itself to the worker of the
// customer service's main queue, where the API starts new customer-days:
// hosted beside its activities, a run calls them as local activities
// (workflows/visit/host.go).
func (s *Service) RegisterWorkflow(r worker.Registry) {
	r.RegisterWorkflowWithOptions(visit.Visit, workflow.RegisterOptions{Name: wfc.WorkflowVisit})
}

// Store is the visits' storage as the Visit workflow's activities write it,
// over a database alone (no customers, calendars or workflows): for tests
// that drive the workflow and read what it stored.
type Store struct {
	repo *adapters.Repository
	acts *ports.Activities
}

// NewStore wraps a migrated database.
func NewStore(gdb *gorm.DB) *Store {
	repo := adapters.New(gdb)
	return &Store{repo: repo, acts: &ports.Activities{App: app.New(repo, nil, nil, nil, Config{})}}
}

// Book stores a booked visit (the BookVisit activity).
func (s *Store) Book(ctx context.Context, in *visit.BookInput) error { return s.acts.Book(ctx, in) }

// Join adds a participant (the JoinVisit activity).
func (s *Store) Join(ctx context.Context, in *visit.JoinInput) error { return s.acts.Join(ctx, in) }

// Log records a visit's log (the LogVisit activity).
func (s *Store) Log(ctx context.Context, in *visit.LogInput) error { return s.acts.Log(ctx, in) }

// Participants loads the visitors of the visits, by visit id.
func (s *Store) Participants(ctx context.Context, ids []string) (map[string][]domain.Participant, error) {
	return s.repo.Participants(ctx, ids)
}

// Events loads a visit's timeline, oldest first.
func (s *Store) Events(ctx context.Context, id string) ([]domain.Event, error) {
	return s.repo.Events(ctx, id)
}

// Activities are the Visit workflow's activities (ports.Activities) over a
// Store, for tests.
type Activities struct{ Store *Store }

// Register adds the activities under their contract names.
func (a *Activities) Register(r worker.Registry) { a.Store.acts.Register(r) }

// BookVisit is the BookVisit activity.
func (a *Activities) BookVisit(ctx context.Context, in *visit.BookInput) error {
	return a.Store.acts.BookVisit(ctx, in)
}

// DecideVisitRequest is the DecideVisitRequest activity.
func (a *Activities) DecideVisitRequest(ctx context.Context, in *visit.DecideInput) (*visit.DecideResult, error) {
	return a.Store.acts.DecideVisitRequest(ctx, in)
}

// JoinVisit is the JoinVisit activity.
func (a *Activities) JoinVisit(ctx context.Context, in *visit.JoinInput) error {
	return a.Store.acts.JoinVisit(ctx, in)
}

// RecordVisitEvent is the RecordVisitEvent activity.
func (a *Activities) RecordVisitEvent(ctx context.Context, in *visit.EventInput) error {
	return a.Store.acts.RecordVisitEvent(ctx, in)
}

// VisitBookedDays is the VisitBookedDays activity.
func (a *Activities) VisitBookedDays(ctx context.Context, in *visit.BookedDaysInput) (*visit.BookedDaysResult, error) {
	return a.Store.acts.VisitBookedDays(ctx, in)
}

// CancelVisit is the CancelVisit activity.
func (a *Activities) CancelVisit(ctx context.Context, in *visit.CancelInput) error {
	return a.Store.acts.CancelVisit(ctx, in)
}

// LogVisit is the LogVisit activity.
func (a *Activities) LogVisit(ctx context.Context, in *visit.LogInput) error {
	return a.Store.acts.LogVisit(ctx, in)
}
