// Package actions is the customer service's actions context: the customer's
// contact history across departments — action plans (a planned call, visit,
// report or submission) and action logs (what was done, the outcome, the
// next step), in the categories of the field studies (briefing or report,
// phone call, visit or reception, submission of materials). One action may
// concern several customers, contacts, leads and opportunities, and a logged
// contact closes the open follow-ups it answers.
//
// The context has the service's four parts, each in a package of its own:
// domain (the rules, pure), app (the use cases, with authorisation and
// scope), adapters (gorm storage, transactions) and ports (HTTP handlers and
// their OpenAPI operations, and the Temporal activities customer.RecordCaseEvent
// and customer.RecordSlipEvent by which the ServiceCase and InfoSlip workflows
// put every change of an after-sales case or an information routing slip on
// its customer's history, as an item nobody records or changes through
// /v1/actions — domain/caseevent.go says why it is an action row — and
// customer.PlanTouches, by which the marketing workflows put a campaign's
// touches on the owners' lists, domain/campaign.go; a visit touch's visit
// is requested through the visits context's one visit per customer and
// day by VisitRequests, in the service's background, domain/visittouch.go). This
// package only assembles them for the service (New: Routes, Register) and
// hands the operations to the service's OpenAPI document (Ops); it holds no
// rule, use case or storage of its own.
package actions

import (
	"context"
	"log/slog"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/worker"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/openapi"
	"github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/actions/app"
	"github.com/closeloop/closeloop/services/customer/internal/actions/ports"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
)

// Service is the actions context as the service mounts it: the use cases
// with their HTTP routes and their activities.
type Service struct {
	*app.Service
	http ports.HTTP
	acts ports.Activities
}

// New assembles the actions context over db: customers answers scope, fu
// lists and closes the first-contact follow-ups a logged contact answers, cs
// (may be nil) closes its care follow-ups.
func New(db *gorm.DB, customers *custadapters.Store, fu app.FollowUps, cs *care.Service) *Service {
	var c app.Care
	if cs != nil {
		c = cs
	}
	a := app.New(adapters.NewStore(db), adapters.Customers{Store: customers}, fu, c, adapters.NewID)
	return &Service{Service: a, http: ports.HTTP{Svc: a}, acts: ports.Activities{Svc: a}}
}

// Routes mounts the actions API on the authenticated /v1 group.
func (s *Service) Routes(v1 *gin.RouterGroup) { s.http.Routes(v1) }

// VisitRequests is the background task that answers the visit requests of
// campaigns' visit touches (ports.VisitRequests); log takes its warnings.
func (s *Service) VisitRequests(log *slog.Logger) func(ctx context.Context) error {
	return ports.VisitRequests{Svc: s.Service, Log: log}.Run
}

// Register adds the actions' activities (customer.RecordCaseEvent,
// customer.RecordSlipEvent, customer.PlanTouches) to the customer worker.
func (s *Service) Register(r worker.Registry) { s.acts.Register(r) }

// Ops documents the endpoints for the customer service's OpenAPI document.
func Ops() []openapi.Op { return ports.Ops() }
