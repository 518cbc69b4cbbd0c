// Package app holds the sales service's use cases: one method per thing a
// user can do. Each checks the caller's permission and data scope, validates
// with the domain rules, and then either lets the store run the transaction
// (territories, reads, opportunity edits) or hands the change to the lead's or
// opportunity's workflow as a Temporal Update, because the workflow is the
// only writer of a lead's assignment and state and of an opportunity's stage:
// its timers must never disagree with the record. Callers outside their scope
// get "not found", never "forbidden", so ids do not leak existence.
package app

import (
	"context"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
)

// Workflows starts, updates and queries the Lead and Opportunity workflows.
type Workflows interface {
	// StartLead starts the lead's workflow and waits up to wait for its first
	// assignment to settle, in one call (update-with-start). An error means
	// the workflow was not started; a nil snapshot that it was, but has not
	// settled within wait.
	StartLead(ctx context.Context, in *salesv1.LeadInput, wait time.Duration) (*salesv1.LeadSnapshot, error)
	Reassign(ctx context.Context, leadID string, req *salesv1.ReassignRequest) (*salesv1.LeadSnapshot, error)
	LeadCommand(ctx context.Context, cmd *salesv1.LeadCommand) (*salesv1.LeadSnapshot, error)
	QueryLead(ctx context.Context, leadID string) (*salesv1.LeadSnapshot, error)
	StartOpportunity(ctx context.Context, in *salesv1.OpportunityInput) error
	OpportunityCommand(ctx context.Context, cmd *salesv1.OpportunityCommand) (*salesv1.OpportunitySnapshot, error)
	QueryOpportunity(ctx context.Context, id string) (*salesv1.OpportunitySnapshot, error)
	// Link is the Temporal UI address of a workflow ("" when not configured).
	Link(workflowID string) string
}

// CustomerRef is what the sales service needs to know of a customer.
type CustomerRef struct {
	ID, Name, Region, Industry, OwnerID, Team string
}

// Customers looks a customer up in the customer service as the caller sees
// it: a customer the caller may not see is unknown.
type Customers interface {
	Lookup(ctx context.Context, id string) (CustomerRef, error)
}

// Options tune the use cases.
type Options struct {
	// CreateWait is how long a create waits for the workflow to store the new
	// lead or opportunity before answering 202 Accepted.
	CreateWait time.Duration
}

// App is the sales service.
type App struct {
	store     *adapters.Store
	wf        Workflows
	customers Customers
	opts      Options
	now       func() time.Time
}

// New returns the service.
func New(store *adapters.Store, wf Workflows, customers Customers, opts Options) *App {
	if opts.CreateWait <= 0 {
		opts.CreateWait = 5 * time.Second
	}
	return &App{store: store, wf: wf, customers: customers, opts: opts, now: func() time.Time { return time.Now().UTC() }}
}

// Store returns the store (the activities use it directly).
func (a *App) Store() *adapters.Store { return a.store }

// scopeOf returns the principal's scope over leads and opportunities.
func scopeOf(p auth.Principal) auth.Scope { return p.Scope() }

// waitFor polls get until it finds the row or wait runs out.
func waitFor[T any](ctx context.Context, wait time.Duration, get func() (T, error)) (T, bool) {
	deadline := time.Now().Add(wait)
	delay := 5 * time.Millisecond
	for {
		v, err := get()
		if err == nil {
			return v, true
		}
		if time.Now().Add(delay).After(deadline) || ctx.Err() != nil {
			var zero T
			return zero, false
		}
		time.Sleep(delay)
		delay = min(delay*2, 100*time.Millisecond)
	}
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// paginate turns up to limit+1 rows (the store reads one more than a page to
// know whether another follows) into a page of views with the cursor of the
// last row shown.
func paginate[R, V any](rows []R, limit int, view func(R) V, key func(R) adapters.Cursor) Page[V] {
	page := Page[V]{Items: make([]V, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			page.NextCursor = httpx.EncodeCursor(key(rows[i-1]))
			break
		}
		page.Items = append(page.Items, view(r))
	}
	return page
}
