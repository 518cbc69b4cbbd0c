// Package winback is the customer service's side of a win-back: a lost
// customer's WinBack workflow (workflows, run by the marketing engine) marks
// the customer while its cadence runs (customer.MarkWinBack); whatever the
// customer service then records that answers it — a call or visit logged
// (or a plan of one done), a visit's log, a person moving the customer out
// of lost — signals the workflow (winback-response) once stored; the
// workflow also asks for the first response since an instant before each
// touch (customer.WinBackResponses), and returns a customer that responded
// to the prospect list (customer.WinBackReturned).
//
// The context has the service's four parts, each in a package of its own:
// domain (what a mark request, a response and a return mean, pure), app
// (the use cases; Temporal behind the Signals interface), adapters (gorm:
// the mark on the customer's row, the events of the actions, visits and
// stage history, the return's one transaction) and ports (the activities
// and the Temporal client). This package only wires them for the service.
package winback

import (
	"log/slog"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"gorm.io/gorm"

	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/winback/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/winback/app"
	"github.com/closeloop/closeloop/services/customer/internal/winback/ports"
)

// Service is the win-back context as the service mounts it: the use cases
// (Responded is what the other contexts call) and their activities.
type Service struct {
	*app.Service
	acts ports.Activities
}

// New assembles the context over db: customers is the customer store, tc
// the Temporal client WinBack workflows are signalled through, log takes
// the warnings of failed signals.
func New(db *gorm.DB, customers *custadapters.Store, tc client.Client, log *slog.Logger) *Service {
	a := app.New(adapters.New(db, customers), ports.Signals{Client: tc}, log)
	return &Service{Service: a, acts: ports.Activities{Svc: a}}
}

// Register adds the win-back activities (customer.MarkWinBack,
// customer.WinBackResponses, customer.WinBackReturned) to the customer
// worker.
func (s *Service) Register(r worker.Registry) { s.acts.Register(r) }
