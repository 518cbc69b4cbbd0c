package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
)

// What the sales service tells about one customer, for the customer's page
// in the console: its leads and opportunities are the lists filtered by
// customer_id (Leads, Opportunities); CustomerTimeline is what happened to
// them, newest first. Each shows only what the caller's scope reaches (a
// rep's own leads, a manager's teams' and the pool), so a customer the
// caller may not see, or an id nobody has, reads as one with no sales.

// CustomerEvent is one entry of a customer's sales timeline: an event of one
// of its leads or opportunities.
type CustomerEvent struct {
	ID      string         `json:"id"`
	Kind    string         `json:"kind"`
	Actor   string         `json:"actor"`
	Summary string         `json:"summary"`
	Data    map[string]any `json:"data,omitempty"`
	At      time.Time      `json:"at"`
	// SubjectType is lead or opportunity; SubjectID its id; SubjectName the
	// lead's company or the opportunity's name.
	SubjectType string `json:"subject_type"`
	SubjectID   string `json:"subject_id"`
	SubjectName string `json:"subject_name"`
}

// CustomerTimeline returns a page of the events of the leads and
// opportunities filed under a customer that the caller may see, newest
// first; before is the position after which the page starts (a cursor of
// an earlier page).
func (a *App) CustomerTimeline(ctx context.Context, customerID string, limit int, before *adapters.Cursor) (Page[CustomerEvent], error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return Page[CustomerEvent]{}, err
	}
	if customerID == "" {
		e := apperr.Invalid("invalid_query", "customer_id is required")
		e.Fields = []apperr.FieldError{{Field: "customer_id", Code: "required", Message: "the customer's id"}}
		return Page[CustomerEvent]{}, e
	}
	if err := checkCustomerID(customerID); err != nil {
		return Page[CustomerEvent]{}, err
	}
	rows, err := a.store.CustomerTimeline(ctx, scopeOf(p), customerID, limit, before)
	if err != nil {
		return Page[CustomerEvent]{}, err
	}
	var leads, opps []string
	for _, e := range rows {
		if e.SubjectType == "lead" {
			leads = append(leads, e.SubjectID)
		} else {
			opps = append(opps, e.SubjectID)
		}
	}
	names, err := a.store.Names(ctx, leads, opps)
	if err != nil {
		return Page[CustomerEvent]{}, err
	}
	return paginate(rows, limit, func(e adapters.Event) CustomerEvent {
		return CustomerEvent{ID: e.ID, Kind: e.Kind, Actor: e.Actor, Summary: e.Summary, Data: decodeData(e.Data), At: e.At,
			SubjectType: e.SubjectType, SubjectID: e.SubjectID, SubjectName: names[e.SubjectID]}
	}, func(e adapters.Event) adapters.Cursor { return adapters.Cursor{At: e.At, ID: e.ID} }), nil
}

// checkCustomerID refuses a customer_id query value that is no customer id
// (400 invalid_query); "" (no filter) passes.
func checkCustomerID(id string) error {
	if id == "" {
		return nil
	}
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		e := apperr.Invalid("invalid_query", "customer_id must be a customer id (a UUID)")
		e.Fields = []apperr.FieldError{{Field: "customer_id", Code: "invalid", Message: "a customer id (a UUID)"}}
		return e
	}
	return nil
}
