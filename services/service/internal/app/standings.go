package app

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Standings: the copy of every customer's service standing (loyalty level,
// average CSAT, latest NPS) that the customer service keeps for campaign
// segments (docs/satisfaction.md, "The copy in the customer service"). The
// rule stays here (domain.LoyaltyOf); the LoyaltySync workflow reads it a
// page at a time (service.LoyaltyPage) and hands it to the customer
// service. Two things start a sync: every survey answer (its transaction
// queues one in standing_syncs, and the background loop below starts
// LoyaltySync:<customer>:<survey> from that outbox, so no accepted answer
// is left uncopied), and the daily schedule, because a level also changes
// as answers age out of the window.

// Limits of a standings page.
const (
	DefaultStandingPage = 500
	MaxStandingPage     = 1000
)

// CustomerStanding is one customer's loyalty as the rule has it at AsOf.
type CustomerStanding struct {
	CustomerID string
	AsOf       time.Time
	domain.Loyalty
}

// StartStandingSync starts the sync of one customer's standing after one
// answer, as of the answer's instant; starting it again for the same
// answer starts nothing new and is no error.
type StartStandingSync func(ctx context.Context, customerID, surveyID string, answeredAt time.Time) error

// Standings serves the standings' use cases.
type Standings struct {
	repo *adapters.Surveys
	// Start starts a sync after an answer; nil: answers stay queued.
	Start StartStandingSync
	Log   *slog.Logger
	Now   func() time.Time
	kick  chan struct{}
}

// NewStandings returns the standings' use cases over a migrated database.
func NewStandings(gdb *gorm.DB) *Standings {
	return &Standings{repo: adapters.NewSurveys(gdb), Log: slog.Default(), Now: time.Now, kick: make(chan struct{}, 1)}
}

// Answered wakes the background loop: an answer was just stored.
func (s *Standings) Answered() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Page applies the loyalty rule at asOf to one keyset page of customers:
// the customers named (each, answers or not, in id order), or else up to
// limit of those that ever answered a survey after after. next is the
// cursor of the next page, "" after the last. A malformed request is
// refused (validation_failed).
func (s *Standings) Page(ctx context.Context, after string, ids []string, limit int, asOf time.Time) (out []CustomerStanding, next string, err error) {
	var v apperr.Validation
	v.Check(!asOf.IsZero(), "as_of", "required", "the instant the rule is applied at")
	v.Check(limit >= 0, "limit", "invalid", "must not be negative")
	v.Check(after == "" || isUUID(after), "after_id", "invalid", "a customer id")
	v.Check(len(ids) <= MaxStandingPage, "customer_ids", "too_many", "at most 1000")
	for _, id := range ids {
		if !v.Check(isUUID(id), "customer_ids", "invalid", "customer ids") {
			break
		}
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if limit == 0 {
		limit = DefaultStandingPage
	}
	limit = min(limit, MaxStandingPage)
	if len(ids) > 0 {
		ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	} else {
		if ids, err = s.repo.AnsweredCustomers(ctx, after, limit+1); err != nil {
			return nil, "", err
		}
		if len(ids) > limit {
			ids = ids[:limit]
			next = ids[limit-1]
		}
	}
	facts, err := s.repo.LoyaltyFactsOf(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	asOf = asOf.UTC()
	out = make([]CustomerStanding, 0, len(ids))
	for _, id := range ids {
		out = append(out, CustomerStanding{CustomerID: id, AsOf: asOf, Loyalty: domain.LoyaltyOf(facts[id], asOf)})
	}
	return out, next, nil
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// StartPending starts the syncs of answers not yet started, oldest first,
// and returns how many it started.
func (s *Standings) StartPending(ctx context.Context, batch int) (int, error) {
	if s.Start == nil {
		return 0, nil
	}
	pending, err := s.repo.PendingStandingSyncs(ctx, batch)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, p := range pending {
		if err := s.Start(ctx, p.CustomerID, p.SurveyID, p.AnsweredAt); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.repo.StandingSyncStarted(ctx, p.SurveyID, s.Now()); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Syncer is a background task: StartPending after every answer, and every
// interval for the syncs the workflow engine could not start.
func (s *Standings) Syncer(interval time.Duration) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		return outboxLoop(ctx, interval, s.Start == nil, s.kick, func(ctx context.Context) {
			for {
				n, err := s.StartPending(ctx, 100)
				if err != nil && ctx.Err() == nil {
					s.Log.WarnContext(ctx, "loyalty syncs still to be started", "started", n, "error", err)
				}
				if err != nil || n < 100 {
					return
				}
			}
		})
	}
}
