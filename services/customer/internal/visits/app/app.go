// Package app holds the visit use cases: a department requests a visit
// (Request), its booker or a manager cancels or moves it (Cancel,
// Reschedule), a visitor or a manager logs it (Log), and anyone who may read
// customers sees visits in her scope (Get, List, ForCustomer); campaigns'
// visit touches request theirs (ForTouches, touches.go); and the writes of
// the Visit workflow's activities (Book, Join, RecordEvent, BookedDays,
// RecordCancel, RecordLog).
//
// Each use case checks the caller's permission and customer scope, applies
// the domain's rules, and hands the decision to the customer-day's Visit
// workflow (Workflows, a Temporal update) — the workflow is the only writer
// of visits, through the activities. It reaches storage, customers, the
// follow-up service's calendars and Temporal only through the interfaces
// below; it owns no transaction and no gorm, HTTP or Temporal code.
// Unknown visits and visits to customers out of scope are both not found.
package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"github.com/closeloop/closeloop/platform/auth"
	custdomain "github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/customer/internal/visits/domain"
	windomain "github.com/closeloop/closeloop/services/customer/internal/winback/domain"
	"github.com/closeloop/closeloop/services/followup/client"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Config is the visit settings of the customer service.
type Config = domain.Rules

// Repository loads and stores visits (adapters.Repository).
type Repository interface {
	Visit(ctx context.Context, id string) (domain.Visit, error)
	Participants(ctx context.Context, ids []string) (map[string][]domain.Participant, error)
	Events(ctx context.Context, id string) ([]domain.Event, error)
	List(ctx context.Context, scope auth.Scope, f domain.Filter) ([]domain.Visit, error)
	LiveVisitOn(ctx context.Context, customerID, day string) (bool, error)
	OtherVisitOn(ctx context.Context, customerID, day, visitID string) (bool, error)
	BookedDays(ctx context.Context, customerID, from, to string) ([]string, error)
	// RequestedVisits finds, among the visits of the customers, the
	// participants added by the requests (update ids): by request id.
	RequestedVisits(ctx context.Context, customerIDs, requestIDs []string) (map[string]*domain.Participant, error)

	Create(ctx context.Context, v domain.Visit, booker domain.Participant) error
	// Decide loads the customer-day, lets decide rule on it and stores the
	// decision, in one transaction.
	Decide(ctx context.Context, customerID, day, requestID string, decide func(domain.Day) domain.Decided) (domain.Decided, error)
	AddParticipant(ctx context.Context, p domain.Participant, notice domain.Event) error
	AddEvent(ctx context.Context, e domain.Event) error
	Update(ctx context.Context, id string, change func(*domain.Visit) error) error
}

// Customers loads customers within a scope; unknown and invisible ones are
// both custdomain.ErrCustomerNotFound.
type Customers interface {
	Customer(ctx context.Context, id string, scope auth.Scope) (domain.Customer, error)
}

// Calendars reads business calendars and policies from the follow-up
// service, as the caller (client.Client; the context carries the caller's
// token).
type Calendars interface {
	// Resolution is the named policies' versions in force now and the
	// calendars, the one assigned to a team (else its region, else the
	// default) included; NotFound from a follow-up service older than it.
	Resolution(ctx context.Context, team, region string, policies ...string) (client.Resolution, error)
	// AssignedCalendar is the current calendar of a team, else of a
	// region, else the default one.
	AssignedCalendar(ctx context.Context, team, region string) (client.Calendar, error)
}

// Workflows sends requests, cancellations and logs to Visit workflows.
type Workflows interface {
	// Request starts the customer-day's workflow unless it runs and sends the
	// request update; updateID ("" for a random one) makes a retry count once.
	Request(ctx context.Context, in *visit.Input, r *visit.Request, updateID string) (*visit.Decision, error)
	Cancel(ctx context.Context, workflowID string, c *visit.Cancel, updateID string) (*visit.State, error)
	Log(ctx context.Context, workflowID string, l *visit.Log, updateID string) (*visit.State, error)
}

// Visits is the visit use cases.
type Visits struct {
	repo      Repository
	customers Customers
	calendars Calendars
	wf        Workflows
	cfg       Config
	now       func() time.Time
	closeCare func(ctx context.Context, customerIDs []string, by string) error
	winback   WinBack // nil: no win-back hears of visit logs

	mu   sync.Mutex
	cals map[string]resolved // by team and region
	// calFetch lets concurrent misses of one team and region share one
	// call to the follow-up service (a burst of requests on a cold cache
	// would otherwise send one call each and time out together).
	calFetch singleflight.Group

	// Campaigns' visit touches read calendars from stored (touches.go);
	// storedCals caches them by team and region for the terms of storedAsOf.
	stored     StoredCalendars
	storedCals map[string]*calendar.Calendar
	storedAsOf time.Time
}

// New returns the use cases; cals reads the customers' business calendars.
func New(repo Repository, customers Customers, cals Calendars, wf Workflows, cfg Config) *Visits {
	if cfg.DefaultStart == "" {
		cfg.DefaultStart = "10:00"
	}
	if cfg.DefaultDuration <= 0 {
		cfg.DefaultDuration = time.Hour
	}
	return &Visits{repo: repo, customers: customers, calendars: cals, wf: wf, cfg: cfg,
		now: func() time.Time { return time.Now().UTC() }, cals: map[string]resolved{}}
}

// OnContact sets what closes a customer's care follow-up once a visit to it is
// logged (package care).
func (s *Visits) OnContact(fn func(ctx context.Context, customerIDs []string, by string) error) {
	s.closeCare = fn
}

// WinBack hears of visit logs, which answer a customer's win-back
// (winback.Service): it tells the customer's WinBack workflow, best effort.
type WinBack interface {
	Responded(ctx context.Context, e windomain.Event)
}

// UseWinBack makes a stored visit log heard by w.
func (s *Visits) UseWinBack(w WinBack) { s.winback = w }

// customerOf loads the customer within the caller's scope: unknown and
// invisible customers are both not found.
func (s *Visits) customerOf(ctx context.Context, id string, scope auth.Scope) (domain.Customer, error) {
	return s.customers.Customer(ctx, id, scope)
}

// visible loads a visit whose customer the caller may see.
func (s *Visits) visible(ctx context.Context, perm auth.Permission, id string) (auth.Principal, domain.Visit, error) {
	p, err := auth.Authorize(ctx, perm)
	if err != nil {
		return p, domain.Visit{}, err
	}
	r, err := s.repo.Visit(ctx, id)
	if err != nil {
		return p, r, err
	}
	if _, err := s.customerOf(ctx, r.CustomerID, p.Scope()); errors.Is(err, custdomain.ErrCustomerNotFound) {
		return p, r, domain.ErrNotFound
	} else if err != nil {
		return p, r, err
	}
	return p, r, nil
}

// UpdateID derives a workflow update's id from an Idempotency-Key, the
// caller, the workflow and the update ("" without a key: Temporal picks one).
func UpdateID(key, subject, workflowID, name string) string {
	if key == "" {
		return ""
	}
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/update\x00"+subject+"\x00"+key+"\x00"+workflowID+"\x00"+name)).String()
}
