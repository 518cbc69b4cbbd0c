// Package app holds the after-sales service's use cases for service cases:
// one method per thing a person does, each reading top to bottom as the
// request — who is asking (the token), what they may do (domain.Scope), the
// rule (domain), and the store (adapters, which runs the transaction).
//
// Creating a case is the one write here. Every later change of a case —
// state, replies, notes, assignment, priority — will be an Update of the
// case's ServiceCase:<id> workflow, its only writer after creation
// (docs/architecture.md, "Service cases").
//
// Authorisation is the domain's Scope, not a permission of platform/auth:
// who sees, works and files a case follows from the roles and teams on the
// token together with the case's team, assignee and customer (domain
// scope.go), which a role → permission table cannot express. A case out of
// the caller's sight answers 404, never 403.
package app

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/idem"
	"github.com/closeloop/closeloop/services/service/internal/adapters"
	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// Customer is what a case copies of its customer: who owns it and their
// team (sales people read the cases of their customers).
type Customer struct {
	OwnerID, Team string
	// Name is its name as the caller sees it (shown on info slips).
	Name string
}

// CustomerLookup returns the customer with id as the caller sees it in the
// customer service; a customer that does not exist or that the caller may
// not see is a validation error on customer_id (422).
type CustomerLookup func(ctx context.Context, id string) (Customer, error)

// Cases serves the case use cases.
type Cases struct {
	repo     *adapters.Cases
	sla      *adapters.SLA
	db       *gorm.DB
	customer CustomerLookup
	wf       Workflows
	// Now is the clock (tests may set it).
	Now func() time.Time
}

// NewCases returns the use cases over a migrated database.
func NewCases(gdb *gorm.DB, customer CustomerLookup, wf Workflows) *Cases {
	return &Cases{repo: adapters.NewCases(gdb), sla: adapters.NewSLA(gdb), db: gdb, customer: customer, wf: wf, Now: time.Now}
}

// NewCase is a case as its filer sends it.
type NewCase struct {
	CustomerID, ContactID, Asset, OpportunityID string
	Type, Priority, Channel, Subject            string
	Description, AssigneeID, Team               string
	ReportedAt                                  *time.Time
	ContactEmail, Language                      string
}

// Created is the answer to a create: the response to send (the first one's,
// when an Idempotency-Key was seen before) and the new case's id.
type Created struct {
	Status   int
	Body     json.RawMessage
	Replayed bool
	ID       string
}

// Create files a case for a customer the caller sees, in state new. The
// customer is looked up in the customer service as the caller; its owner
// and team are copied onto the case. team defaults to the customer's team,
// else the caller's first team; priority to the type's default. Every bad
// field is reported at once (422), and nothing is stored. With an
// Idempotency-Key, a retry with the same body answers the first response
// and a different body 409.
func (a *Cases) Create(ctx context.Context, in NewCase, idemKey string, rawBody []byte) (Created, error) {
	p, scope, err := caller(ctx)
	if err != nil {
		return Created{}, err
	}
	if err := idem.ValidateKey(idemKey); err != nil {
		return Created{}, err
	}
	// Who works no case files none: refused before anyone is looked up.
	if !scope.Files() {
		return Created{}, domain.ErrFileNotAllowed
	}
	cust, unknown, err := a.lookup(ctx, in.CustomerID)
	if err != nil {
		return Created{}, err
	}
	team := in.Team
	if team == "" {
		team = cust.Team
	}
	if team == "" && len(p.Teams) > 0 {
		team = p.Teams[0]
	}
	c, first, err := domain.New(domain.Draft{
		ID: adapters.NewID(), CustomerID: in.CustomerID, ContactID: in.ContactID, Asset: in.Asset, OpportunityID: in.OpportunityID,
		Type: in.Type, Priority: in.Priority, Channel: in.Channel, Subject: in.Subject, Description: in.Description,
		AssigneeID: in.AssigneeID, Team: team, CustomerOwnerID: cust.OwnerID, CustomerTeam: cust.Team, CreatedBy: p.Subject,
		ReportedAt: in.ReportedAt, ContactEmail: in.ContactEmail, Language: in.Language,
	}, a.Now())
	if err := merge(unknown, err, in.Team == ""); err != nil {
		return Created{}, err
	}
	if err := scope.CheckFile(c); err != nil {
		return Created{}, err
	}
	res, err := idem.Do(ctx, a.db, idem.Request{Key: idemKey, Principal: p.Subject, Scope: "POST /v1/cases", Body: rawBody},
		func(tx *gorm.DB) (int, any, error) {
			stored, err := a.repo.In(tx).Create(ctx, c, first)
			return http.StatusCreated, CaseOf(stored), err
		})
	if err != nil {
		return Created{}, err
	}
	out := Created{Status: res.Status, Body: res.Body, Replayed: res.Replayed, ID: c.ID}
	if !res.Replayed && res.Status == http.StatusCreated {
		// The workflow starts in the background: the case is stored, and a
		// start that fails here is made by StartPending.
		go func(c domain.Case) {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = a.start(sctx, c)
		}(c)
	}
	if res.Replayed {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(res.Body, &v); err != nil {
			return Created{}, err
		}
		out.ID = v.ID
	}
	return out, nil
}

// lookup asks the customer service for the customer as the caller. A
// customer it does not show is returned as unknown (a field error to report
// with the others); a customer id the domain will refuse anyway is not
// looked up.
func (a *Cases) lookup(ctx context.Context, id string) (cust Customer, unknown, err error) {
	if id == "" || !domain.ValidRef(id) {
		return Customer{}, nil, nil
	}
	cust, err = a.customer(ctx, id)
	if e := apperr.From(err); err != nil && e.Kind == apperr.KindRule {
		return Customer{}, err, nil
	}
	return cust, nil, err
}

// merge reports the unknown customer with the draft's own field errors. The
// team is not "required" when the caller left it to default from a
// customer that could not be looked up: the customer is what to fix.
func merge(unknown, draft error, teamDefaulted bool) error {
	if unknown == nil {
		return draft
	}
	var v apperr.Validation
	for _, f := range apperr.From(unknown).Fields {
		v.Add(f.Field, f.Code, f.Message)
	}
	if draft != nil {
		for _, f := range apperr.From(draft).Fields {
			if f.Field == "customer_id" || (teamDefaulted && f.Field == "team" && f.Code == "required") {
				continue
			}
			v.Add(f.Field, f.Code, f.Message)
		}
	}
	return v.Err()
}

// Get returns a case the caller sees (404 otherwise).
func (a *Cases) Get(ctx context.Context, id string) (CaseView, error) {
	_, scope, err := caller(ctx)
	if err != nil {
		return CaseView{}, err
	}
	c, err := a.read(ctx, scope, id)
	if err != nil {
		return CaseView{}, err
	}
	v := CaseOf(c)
	if domain.Active(c.State) && a.wf != nil {
		// Live: the targets as of now, from the case's workflow; the rows
		// (as of their last change) when it does not answer in time.
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		snap, err := a.wf.Query(qctx, c.ID)
		cancel()
		if err == nil && len(snap.GetSla()) > 0 {
			v.SLA = slaOfSnapshot(snap)
			now := a.Now().UTC()
			for i := range v.SLA {
				v.SLA[i].AsOf = &now
			}
			return v, nil
		}
	}
	rows, err := a.sla.Of(ctx, c.ID)
	if err != nil {
		return CaseView{}, err
	}
	v.SLA = slaOf(rows)
	return v, nil
}

func (a *Cases) read(ctx context.Context, scope domain.Scope, id string) (domain.Case, error) {
	if id == "" || !domain.ValidRef(id) {
		return domain.Case{}, domain.ErrCaseNotFound
	}
	c, err := a.repo.Get(ctx, id)
	if err != nil {
		return domain.Case{}, err
	}
	return c, scope.Check(c, false)
}

// List returns a page of the cases the caller sees that f selects, newest
// first. A bad filter value is a 400 naming the parameter.
func (a *Cases) List(ctx context.Context, f domain.Filter, after *adapters.Cursor, limit int, encode func(any) string) (CasePage, error) {
	_, scope, err := caller(ctx)
	if err != nil {
		return CasePage{}, err
	}
	if err := f.Check(); err != nil {
		return CasePage{}, badQuery(err)
	}
	page, err := a.repo.List(ctx, scope, f, after, limit)
	if err != nil {
		return CasePage{}, err
	}
	ids := make([]string, len(page.Items))
	for i, c := range page.Items {
		ids[i] = c.ID
	}
	rows, err := a.sla.OfCases(ctx, ids)
	if err != nil {
		return CasePage{}, err
	}
	out := CasePage{Items: make([]CaseView, 0, len(page.Items))}
	for _, c := range page.Items {
		v := CaseOf(c)
		v.SLA = slaOf(rows[c.ID])
		out.Items = append(out.Items, v)
	}
	if page.Next != nil {
		out.NextCursor = encode(page.Next)
	}
	return out, nil
}

// Timeline returns a page of a case's timeline, oldest first: every entry
// for who works the case and who reads every case, the public ones for who
// reads it through its customer (domain.Scope.SeesInternal).
func (a *Cases) Timeline(ctx context.Context, id string, after *adapters.Cursor, limit int, encode func(any) string) (TimelinePage, error) {
	_, scope, err := caller(ctx)
	if err != nil {
		return TimelinePage{}, err
	}
	c, err := a.read(ctx, scope, id)
	if err != nil {
		return TimelinePage{}, err
	}
	internal := scope.SeesInternal(c)
	page, err := a.repo.Timeline(ctx, c.ID, internal, after, limit)
	if err != nil {
		return TimelinePage{}, err
	}
	out := TimelinePage{Items: make([]EntryView, 0, len(page.Items)), IncludesInternal: internal}
	for _, e := range page.Items {
		out.Items = append(out.Items, EntryOf(e))
	}
	if page.Next != nil {
		out.NextCursor = encode(page.Next)
	}
	return out, nil
}

// caller is the signed-in principal and its case scope.
func caller(ctx context.Context) (auth.Principal, domain.Scope, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return p, domain.Scope{}, apperr.Unauthenticated("unauthenticated", "a bearer token is required")
	}
	return p, domain.ScopeOf(p), nil
}

// badQuery turns a filter's field errors into a 400, like every other bad
// query parameter (the contract check's invalid_query).
func badQuery(err error) error {
	e := apperr.From(err)
	if e.Kind != apperr.KindRule || len(e.Fields) == 0 {
		return err
	}
	out := apperr.Invalid("invalid_query", "a query parameter has a value it does not take: "+e.Fields[0].Field+": "+e.Fields[0].Message)
	out.Fields = e.Fields
	return out
}
