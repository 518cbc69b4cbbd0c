// Package app holds the win-back use cases of the customer service: mark
// the customer whose WinBack workflow runs (MarkWinBack), tell that
// workflow when the customer responds (Responded, called by the contexts
// that record contacts and stage changes), find the first response since an
// instant for a workflow that asks (Responses), and return a customer that
// responded to the prospect list (Returned). The marketing workflows call
// the first, third and fourth through activities (package ports), as the
// service itself: there is no caller to authorise.
//
// Telling the workflow is best effort and happens after the change is
// stored: a change is never refused or rolled back because Temporal did
// not answer; the WinBack workflow asks Responses before each touch, so a
// lost signal only delays the stop to the next touch.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

// Repository stores marks and win-back changes and reads the events that
// may answer a win-back; it decides nothing.
type Repository interface {
	// Mark returns the campaign whose win-back the customer is in ("":
	// none), or the customer domain's ErrCustomerNotFound.
	Mark(ctx context.Context, customerID string) (string, error)
	// Exists is nil for a customer ever created (deleted or not), else
	// the customer domain's ErrCustomerNotFound.
	Exists(ctx context.Context, customerID string) error
	// Update locks the customer, lets decide say what changes, and stores
	// it in one transaction.
	Update(ctx context.Context, customerID string, decide func(domain.Customer) (domain.Change, error)) error
	// Events returns the customer's events of the window.
	Events(ctx context.Context, w domain.Window) ([]domain.Event, error)
}

// Signals tells WinBack workflows of responses (Temporal).
type Signals interface {
	// WinBackResponse signals the customer's WinBack workflow of the
	// campaign. A workflow that has ended (or never ran) is not an error.
	WinBackResponse(ctx context.Context, customerID, campaignID string, r domain.Response) error
}

// signalTimeout bounds how long a change waits for Temporal to take a
// signal: the change is stored already, and the workflow asks anyway.
const signalTimeout = 5 * time.Second

// Service is the win-back use cases.
type Service struct {
	repo    Repository
	signals Signals
	log     *slog.Logger
	now     func() time.Time
}

// New returns the service; signals tells workflows of responses, log
// takes the warnings of the signals that fail.
func New(repo Repository, signals Signals, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{repo: repo, signals: signals, log: log, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

// MarkWinBack sets or clears the customer's mark (domain.Mark): idempotent.
// A malformed request is refused (validation_failed), a customer that never
// existed is not found.
func (s *Service) MarkWinBack(ctx context.Context, m domain.Mark) error {
	if err := m.Check(); err != nil {
		return err
	}
	return s.repo.Update(ctx, m.CustomerID, func(c domain.Customer) (domain.Change, error) {
		return domain.Change{Mark: m.Apply(c.Mark)}, nil
	})
}

// Responded hears of something stored about a customer (a contact logged,
// a visit's log, a lifecycle change) and, when it is a response
// (domain.ResponseOf) and the customer is in a win-back, tells that
// campaign's WinBack workflow. It never fails the caller: a failure is
// logged as a warning.
func (s *Service) Responded(ctx context.Context, e domain.Event) {
	r, ok := domain.ResponseOf(e)
	if !ok {
		return
	}
	campaign, err := s.repo.Mark(ctx, e.CustomerID)
	if err != nil {
		s.log.WarnContext(ctx, "win-back: could not read the customer's mark; its workflow finds the response before its next touch",
			"customer_id", e.CustomerID, "kind", r.Kind, "ref", r.Ref, "error", err)
		return
	}
	if campaign == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), signalTimeout)
	defer cancel()
	if err := s.signals.WinBackResponse(ctx, e.CustomerID, campaign, r); err != nil {
		s.log.WarnContext(ctx, "win-back: could not signal the response; the workflow finds it before its next touch",
			"customer_id", e.CustomerID, "campaign_id", campaign, "kind", r.Kind, "ref", r.Ref, "error", err)
	}
}

// Responses is the customer's first response recorded after since, if any
// (domain.FirstResponse over domain.WindowSince). A customer that never
// existed is not found.
func (s *Service) Responses(ctx context.Context, customerID string, since time.Time) (domain.Response, bool, error) {
	if err := domain.CheckCustomer(customerID); err != nil {
		return domain.Response{}, false, err
	}
	if err := s.repo.Exists(ctx, customerID); err != nil {
		return domain.Response{}, false, err
	}
	events, err := s.repo.Events(ctx, domain.WindowSince(customerID, since))
	if err != nil {
		return domain.Response{}, false, err
	}
	r, ok := domain.FirstResponse(events, since)
	return r, ok, nil
}

// Returned returns a customer that responded to a win-back to the prospect
// list, with the response on its history, and clears the campaign's mark
// (domain.Returned): idempotent. A malformed request is refused
// (validation_failed), a customer that never existed is not found.
func (s *Service) Returned(ctx context.Context, r domain.Return) error {
	if err := r.Check(); err != nil {
		return err
	}
	at := s.now()
	return s.repo.Update(ctx, r.CustomerID, func(c domain.Customer) (domain.Change, error) {
		return domain.Returned(c, r, at)
	})
}
