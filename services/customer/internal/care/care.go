// Package care keeps existing customers from being neglected: per ABC class
// the care.cadence policy sets the longest gap without a logged contact, and
// when a customer's gap runs out its owner gets a care-contact follow-up that
// escalates when ignored (care.escalation_ladder).
//
// The follow-ups themselves — their deadlines, escalation and history — are
// the follow-up engine's (a service of its own). Care talks to it only
// through Temporal: it starts a FollowUp workflow per due customer, signals
// it to close, and is told when it closed (the notice its spec names,
// activity customer.CareFollowUpClosed). It keeps its own record of the care
// follow-ups it opened (table care_followups) and reads no engine table.
//
// # How it scales
//
// Nothing runs per customer while its gap is open. Each customer row carries
// its care anchor (care_from: the later of its last logged contact and when it
// entered care) and an epoch. The CareSweep workflow, on a schedule and right
// after every ABC reclassification, resolves the care terms (the cadence
// version and the business calendars) from the engine once, then asks this
// package for the customers whose care contact falls due within a lookahead —
// an index range scan per class — and starts one FollowUp workflow for each,
// with an id derived from (customer, anchor, epoch) so that concurrent sweeps
// and retried pages start it once. The follow-up's own durable timer then
// fires at the exact due instant. Running workflows therefore number the care
// contacts about to fall due or overdue, not the customers.
//
// # Keeping open follow-ups true
//
// A logged contact closes the open care follow-up (package actions, visit
// logs) and moves the anchor. The sweep's reconciliation pass closes any open
// care follow-up whose customer changed since it was opened: a new class
// (reclassification takes effect at once), a new owner, a lifecycle stage out
// of care, deletion — and one a contact has answered but that is still open;
// and it closes the record of one whose workflow ended without telling.
// Every close without a contact bumps the customer's epoch, so the next
// follow-up, if still due, gets a fresh id; a person who cancels a care
// follow-up waives that round, and the cadence restarts from the cancellation.
// A close's effects on the customer are applied once, in the transaction that
// closes the care_followups row, whichever of the notice, the reconciliation
// or a logged contact gets there first.
package care

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
)

// Stages are the lifecycle stages of customers in care.
var Stages = []string{"transacting", "service"}

// inCare is the SQL condition of the partial index ix_customers_care
// (care_from, id); the candidate query repeats it literally so the planner
// uses the index. Customer.NotInCareReason is the same rule with the class,
// which the query filters on the way: the index leaves value_class out so
// that an ABC class change stays a HOT update (schema migration 20).
const inCare = "deleted_at IS NULL AND lifecycle_stage IN ('transacting', 'service') AND owner_id <> ''"

// InCareSQL selects the customers in care, as the sweep finds them: inCare
// and a value class.
const InCareSQL = inCare + " AND value_class IN ('A', 'B', 'C')"

// Actor is who the sweep closes and opens follow-ups as.
const Actor = "system:care"

const parallelism = 16

func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Touch records a contact with the customers at an instant, inside the
// caller's transaction: their last contact and care anchor move forward to it
// (never back).
func Touch(tx *gorm.DB, customerIDs []string, at time.Time) error {
	if len(customerIDs) == 0 {
		return nil
	}
	at = ts(at)
	if err := tx.Exec(`UPDATE customers SET last_contact_at = ? WHERE id IN ? AND (last_contact_at IS NULL OR last_contact_at < ?)`,
		at, customerIDs, at).Error; err != nil {
		return err
	}
	return tx.Exec(`UPDATE customers SET care_from = ? WHERE id IN ? AND (care_from IS NULL OR care_from < ?)`, at, customerIDs, at).Error
}

// EnterCare restarts a customer's care anchor when it moves into a care stage
// from outside care (a prospect's first order): the cadence counts from then.
func EnterCare(tx *gorm.DB, customerID, from, to string, at time.Time) error {
	if !isCareStage(to) || isCareStage(from) {
		return nil
	}
	at = ts(at)
	return tx.Exec(`UPDATE customers SET care_from = ? WHERE id = ? AND (care_from IS NULL OR care_from < ?)`, at, customerID, at).Error
}

func isCareStage(s string) bool { return s == Stages[0] || s == Stages[1] }

// FollowUpID is the id of the care follow-up of a customer for one anchor and
// epoch: the same for every sweep that finds it due.
func FollowUpID(customerID string, anchor time.Time, epoch int64) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "closeloop/care\x00%s\x00%d\x00%d", customerID, ts(anchor).UnixMicro(), epoch)).String()
}

// ErrWorkflowGone is what Workflows.Signal returns when the workflow has
// ended (or never existed).
var ErrWorkflowGone = errors.New("the workflow is no longer running")

// Workflows starts, signals and watches the follow-up engine's FollowUp
// workflows (Temporal).
type Workflows interface {
	// StartFollowUp starts the FollowUp workflow; starting the same id twice
	// is not an error, nor is starting one that already ran.
	StartFollowUp(ctx context.Context, spec *followupv1.FollowUpSpec) error
	// Signal signals a running workflow; ErrWorkflowGone when it has ended.
	Signal(ctx context.Context, workflowID, name string, payload any) error
	// Ended returns which of the workflow ids have ended: no run is open and
	// at least one has closed.
	Ended(ctx context.Context, workflowIDs []string) (map[string]bool, error)
}

// Outcomes is optionally implemented by a Workflows: how an ended FollowUp
// workflow closed its follow-up, for the reconciliation of care follow-ups
// whose workflow ended without a close notice (those started by a release
// that did not ask for one). ok is false when the workflow did not say (it
// failed, was terminated, or is unknown).
type Outcomes interface {
	Outcome(ctx context.Context, workflowID string) (o Outcome, ok bool, err error)
}

// Outcome is how a follow-up closed.
type Outcome struct {
	State, By, Note string
	At              time.Time
}

// Service is the care use cases: the sweep's pages, the close notices and
// the contacts that answer care follow-ups.
type Service struct {
	db    *gorm.DB
	wf    Workflows
	now   func() time.Time
	cache termsCache
}

// New returns the service.
func New(gdb *gorm.DB, wf Workflows) *Service {
	return &Service{db: gdb, wf: wf, now: time.Now}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// each runs fn for 0..n-1 from a few goroutines (each call is a round trip to
// Temporal) and returns the first error.
func each(ctx context.Context, n int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		work  = make(chan int)
	)
	for range min(parallelism, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
