// Package app holds the actions use cases: record a plan or log, get one,
// complete or cancel a plan, read a customer's history, close the
// follow-ups a logged contact answers, record a service case's or an
// information routing slip's change on its customer's history
// (caseevents.go, slipevents.go), plan marketing campaigns' touches and
// have the visits of visit touches requested (touches.go), and tell a
// customer's win-back of the contacts that answer it (winback.go). Each
// checks the caller's permission and data scope, asks the rules in package
// domain, and stores through the Repository, which owns the transactions. It holds no rule of its own about
// what an action is (domain) and no SQL (adapters); the follow-up service's
// API and the care context are reached through the interfaces below.
//
// A logged contact (a phone call or a visit/reception) closes the open
// follow-ups it answers, through their workflows: the care-contact follow-ups
// of its customers (care) and the first-contact follow-ups of its leads (or,
// without leads named, of its customers' leads owned by the person who logged
// it), which the follow-up service lists and closes through its API, asked as
// the person who logged the contact. Only follow-ups the person may close are
// touched; the answer lists what was closed and what could not be. The
// action is stored first: a follow-up service that does not answer leaves its
// follow-ups open (listed as not closed), never the action unsaved.
package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/services/followup/client"
)

// Repository stores actions and their links; it decides nothing.
type Repository interface {
	// Create stores a new action with its links, in one transaction with the
	// restart of its customers' care cadence at its time when restartCare.
	Create(ctx context.Context, a domain.Action, restartCare bool) error
	// CreateOnce stores a new action with its links unless one with its id
	// is stored, and reports whether it stored it.
	CreateOnce(ctx context.Context, a domain.Action) (bool, error)
	// CreateAllOnce stores, in one transaction, each of the actions with
	// its links unless one with its id is stored.
	CreateAllOnce(ctx context.Context, as []domain.Action) error
	// Get loads an action with its links (domain.ErrNotFound when none).
	Get(ctx context.Context, id string) (domain.Action, error)
	// PendingVisitTouches loads up to limit plans with a visit request,
	// oldest request first.
	PendingVisitTouches(ctx context.Context, limit int) ([]domain.Action, error)
	// Update loads the action, lets change decide, and stores what it
	// changed, in one transaction; it returns the action as stored.
	Update(ctx context.Context, id string, change func(*domain.Action) error) (domain.Action, error)
	// ContactCustomers maps each of contactIDs that is a (not deleted)
	// contact of one of customerIDs to its customer.
	ContactCustomers(ctx context.Context, contactIDs, customerIDs []string) (map[string]string, error)
	// History returns up to q.Limit+1 actions of q's page, newest first.
	History(ctx context.Context, q domain.HistoryQuery) ([]domain.Action, error)
}

// Customers answers whether the caller's scope reaches a customer, and
// whether a customer exists at all (deleted or not): nil, the customer
// domain's ErrCustomerNotFound, or a failure.
type Customers interface {
	Visible(ctx context.Context, id string, scope auth.Scope) error
	Exists(ctx context.Context, id string) error
}

// FollowUps is the follow-up service's API as actions use it, called as the
// person acting (client.Client; the context carries the caller's token).
type FollowUps interface {
	// OpenFirstContacts lists a customer's open first-contact follow-ups
	// the caller may see.
	OpenFirstContacts(ctx context.Context, customerID string) ([]client.FollowUp, error)
	// Complete closes a follow-up as done by the caller.
	Complete(ctx context.Context, id, note string) (client.FollowUp, error)
}

// Care closes the care follow-ups a logged contact answers (care.Service).
type Care interface {
	CloseAnswered(ctx context.Context, customerIDs []string, by string) ([]care.Answered, error)
}

// Service is the actions use cases.
type Service struct {
	repo      Repository
	customers Customers
	followups FollowUps
	care      Care    // nil: no care follow-ups are closed
	winback   WinBack // nil: no win-back hears of actions
	visits    Visits  // nil: visit touches stay plans, no visit is requested
	wake      chan struct{}
	now       func() time.Time
	newID     func() string
}

// New returns the service; fu lists and closes the first-contact follow-ups
// a logged contact answers, cs closes its care follow-ups, newID makes
// action ids.
func New(repo Repository, customers Customers, fu FollowUps, cs Care, newID func() string) *Service {
	return &Service{repo: repo, customers: customers, followups: fu, care: cs, newID: newID, wake: make(chan struct{}, 1),
		now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

// managerOrAdmin: who may change others' actions.
func managerOrAdmin(p auth.Principal) bool { return p.Has(auth.RoleManager) || p.Has(auth.RoleAdmin) }
