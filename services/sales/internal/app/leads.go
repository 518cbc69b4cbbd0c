package app

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	salesv1 "github.com/closeloop/closeloop/proto/gen/closeloop/sales/v1"
	"github.com/closeloop/closeloop/services/sales/internal/adapters"
	"github.com/closeloop/closeloop/services/sales/internal/domain"
)

// LeadInput is a new lead from the API.
type LeadInput struct {
	Source, CustomerID, CompanyName, TaxID, ContactName, ContactEmail, ContactPhone string
	Region, Industry, Interest, Notes                                               string
	ReceivedAt                                                                      *time.Time
	// Import trusts received_at as the first-contact SLA's start; it needs
	// leads:assign (managers, admins).
	Import bool
}

// LeadView is a lead as the API shows it.
type LeadView struct {
	ID           string `json:"id"`
	Source       string `json:"source"`
	CustomerID   string `json:"customer_id"`
	CompanyName  string `json:"company_name"`
	TaxID        string `json:"tax_id,omitempty"`
	ContactName  string `json:"contact_name,omitempty"`
	ContactEmail string `json:"contact_email,omitempty"`
	ContactPhone string `json:"contact_phone,omitempty"`
	Region       string `json:"region"`
	Industry     string `json:"industry"`
	Interest     string `json:"interest,omitempty"`
	Notes        string `json:"notes,omitempty"`
	State        string `json:"state"`
	CloseReason  string `json:"close_reason,omitempty"`
	OwnerID      string `json:"owner_id"`
	Team         string `json:"team"`
	TerritoryID  string `json:"territory_id"`
	ManagerID    string `json:"manager_id"`
	Pooled       bool   `json:"pooled"`
	// Note, on a new lead that went out of its creator's scope, says whom to
	// ask; owner, customer, territory and manager are then not shown.
	Note           string     `json:"note,omitempty"`
	AssignedAt     *time.Time `json:"assigned_at"`
	AssignmentWhy  string     `json:"assignment_reason"`
	FirstContactAt *time.Time `json:"first_contact_at"`
	OpportunityID  string     `json:"opportunity_id,omitempty"`
	ReceivedAt     time.Time  `json:"received_at"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	ClosedAt       *time.Time `json:"closed_at"`
	WorkflowID     string     `json:"workflow_id"`
	WorkflowURL    string     `json:"workflow_url,omitempty"`
}

func (a *App) leadView(l adapters.Lead) LeadView {
	wid := wfc.LeadWorkflowID(l.ID)
	return LeadView{ID: l.ID, Source: l.Source, CustomerID: l.CustomerID, CompanyName: l.CompanyName, TaxID: l.TaxID,
		ContactName: l.ContactName, ContactEmail: l.ContactEmail, ContactPhone: l.ContactPhone, Region: l.Region, Industry: l.Industry,
		Interest: l.Interest, Notes: l.Notes, State: l.State, CloseReason: l.CloseReason, OwnerID: l.OwnerID, Team: l.Team,
		TerritoryID: l.TerritoryID, ManagerID: l.ManagerID, Pooled: l.Pooled, AssignedAt: l.AssignedAt, AssignmentWhy: l.AssignmentWhy,
		FirstContactAt: l.FirstContactAt, OpportunityID: l.OpportunityID, ReceivedAt: l.ReceivedAt, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, ClosedAt: l.ClosedAt, WorkflowID: wid, WorkflowURL: a.wf.Link(wid)}
}

// CreateLead validates a lead and starts its workflow, which stores it,
// finds or creates its customer and assigns it. stored is false when the
// workflow had not stored it within the wait (the lead is accepted: 202).
func (a *App) CreateLead(ctx context.Context, in LeadInput, k Keyed) (view LeadView, stored bool, err error) {
	idemKey := k.Key
	p, err := auth.Authorize(ctx, auth.PermLeadsWrite)
	if err != nil {
		return LeadView{}, false, err
	}
	if in.Import {
		if _, err := auth.Authorize(ctx, auth.PermLeadsAssign); err != nil {
			return LeadView{}, false, apperr.Forbidden("forbidden", "importing leads timed from received_at needs leads:assign (managers, admins)")
		}
	}
	now := a.now()
	nl := domain.NewLead{Source: in.Source, CustomerID: strings.TrimSpace(in.CustomerID), CompanyName: strings.TrimSpace(in.CompanyName),
		TaxID: strings.TrimSpace(in.TaxID), ContactName: strings.TrimSpace(in.ContactName), ContactEmail: strings.TrimSpace(in.ContactEmail),
		ContactPhone: strings.TrimSpace(in.ContactPhone), Region: strings.TrimSpace(in.Region), Industry: strings.TrimSpace(in.Industry),
		Interest: in.Interest, Notes: in.Notes}
	if in.ReceivedAt != nil {
		nl.ReceivedAt = in.ReceivedAt.UTC()
	}
	var v apperr.Validation
	if err := domain.CheckLead(nl, now); err != nil {
		appendFields(&v, err)
	}
	if nl.CustomerID != "" {
		_, perr := uuid.Parse(nl.CustomerID)
		v.Check(perr == nil, "customer_id", "invalid", "must be a customer id")
	}
	v.Check(len(idemKey) <= 200, "Idempotency-Key", "too_long", "at most 200 characters")
	if err := v.Err(); err != nil {
		return LeadView{}, false, err
	}
	req, err := a.checkKey(ctx, p, "POST /v1/leads", k)
	if err != nil {
		return LeadView{}, false, err
	}
	defer func() { err = a.remembered(ctx, req, stored, view, err) }()
	if nl.CustomerID != "" {
		c, err := a.customers.Lookup(ctx, nl.CustomerID)
		if err != nil {
			return LeadView{}, false, err
		}
		// The customer's master data wins over what the lead says.
		nl.CompanyName, nl.Region, nl.Industry = c.Name, c.Region, c.Industry
	}
	if nl.ReceivedAt.IsZero() {
		nl.ReceivedAt = now
	}
	id := uuid.Must(uuid.NewV7()).String()
	if idemKey != "" {
		id = uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/lead\x00"+p.Subject+"\x00"+idemKey)).String()
	}
	data := &salesv1.LeadData{Id: id, Source: nl.Source, CustomerId: nl.CustomerID, CompanyName: nl.CompanyName, TaxId: nl.TaxID,
		ContactName: nl.ContactName, ContactEmail: nl.ContactEmail, ContactPhone: nl.ContactPhone, Region: nl.Region, Industry: nl.Industry,
		Interest: nl.Interest, Notes: nl.Notes, ReceivedAt: timestamppb.New(nl.ReceivedAt), CreatedBy: p.Subject, Imported: in.Import}
	// Start the workflow and wait until it has settled the first assignment
	// (the customer claimed, so the owner shown is final).
	s, err := a.wf.StartLead(ctx, &salesv1.LeadInput{Lead: data}, a.opts.CreateWait)
	if err != nil {
		return LeadView{}, false, err
	}
	var l adapters.Lead
	ok := false
	if s.GetSettled() {
		l, err = a.store.Lead(ctx, id)
		ok = err == nil
	}
	if !ok {
		// Accepted: the workflow holds it and will store it.
		if l, err := a.store.Lead(ctx, id); err == nil {
			return a.createdView(p, l), false, nil
		}
		wid := wfc.LeadWorkflowID(id)
		return LeadView{ID: id, Source: nl.Source, CustomerID: nl.CustomerID, CompanyName: nl.CompanyName, Region: nl.Region, Industry: nl.Industry,
			State: domain.LeadNew, ReceivedAt: nl.ReceivedAt, CreatedBy: p.Subject, WorkflowID: wid, WorkflowURL: a.wf.Link(wid)}, false, nil
	}
	return a.createdView(p, l), true, nil
}

// createdView is the new lead as its creator may see it. A lead that went
// to a customer or team outside the creator's scope answers only that it
// exists and which team handles it: never the customer's id, its owner, the
// territory or the manager.
func (a *App) createdView(p auth.Principal, l adapters.Lead) LeadView {
	v := a.leadView(l)
	if domain.Visible(scopeOf(p), l.OwnerID, l.Team, l.Pooled) {
		return v
	}
	v.CustomerID, v.OwnerID, v.TerritoryID, v.ManagerID, v.AssignmentWhy, v.AssignedAt = "", "", "", "", "", nil
	v.Note = "handled by team " + l.Team + ": ask its managers"
	if l.Team == "" {
		v.Note = "waiting in the pool: ask a manager"
	}
	return v
}

// lead returns a lead the caller may see.
func (a *App) lead(ctx context.Context, p auth.Principal, id string) (adapters.Lead, error) {
	if _, err := uuid.Parse(id); err != nil {
		return adapters.Lead{}, domain.ErrLeadNotFound
	}
	l, err := a.store.Lead(ctx, id)
	if err != nil {
		return l, err
	}
	if !domain.Visible(scopeOf(p), l.OwnerID, l.Team, l.Pooled) {
		return adapters.Lead{}, domain.ErrLeadNotFound
	}
	return l, nil
}

// Lead returns one lead.
func (a *App) Lead(ctx context.Context, id string) (LeadView, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return LeadView{}, err
	}
	l, err := a.lead(ctx, p, id)
	if err != nil {
		return LeadView{}, err
	}
	return a.leadView(l), nil
}

// EscalationView is the live state of a lead's workflow.
type EscalationView struct {
	LeadID       string     `json:"lead_id"`
	State        string     `json:"state"`
	OwnerID      string     `json:"owner_id"`
	Pooled       bool       `json:"pooled"`
	FollowUpID   string     `json:"follow_up_id,omitempty"`
	DueAt        *time.Time `json:"due_at"`
	NextDeadline *time.Time `json:"next_deadline"`
	NextAction   string     `json:"next_action,omitempty"`
	Level        int        `json:"level"`
	WorkflowID   string     `json:"workflow_id"`
	WorkflowURL  string     `json:"workflow_url,omitempty"`
}

// LeadEscalation asks the lead's workflow for its state and next deadline.
func (a *App) LeadEscalation(ctx context.Context, id string) (EscalationView, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return EscalationView{}, err
	}
	if _, err := a.lead(ctx, p, id); err != nil {
		return EscalationView{}, err
	}
	s, err := a.wf.QueryLead(ctx, id)
	if err != nil {
		return EscalationView{}, err
	}
	wid := wfc.LeadWorkflowID(id)
	return EscalationView{LeadID: id, State: s.GetState(), OwnerID: s.GetAssignment().GetOwnerId(), Pooled: s.GetAssignment().GetPooled(),
		FollowUpID: s.GetFollowUpId(), DueAt: ts(s.GetDueAt()), NextDeadline: ts(s.GetNextDeadline()), NextAction: s.GetNextAction(),
		Level: int(s.GetLevel()), WorkflowID: wid, WorkflowURL: a.wf.Link(wid)}, nil
}

// Leads lists the leads in the caller's scope, newest first.
func (a *App) Leads(ctx context.Context, f adapters.LeadFilter) (Page[LeadView], error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return Page[LeadView]{}, err
	}
	var v apperr.Validation
	if f.State != "" {
		v.Check(contains(domain.LeadStates, f.State), "state", "invalid", "one of "+strings.Join(domain.LeadStates, ", "))
	}
	if err := v.Err(); err != nil {
		return Page[LeadView]{}, err
	}
	if err := checkCustomerID(f.CustomerID); err != nil {
		return Page[LeadView]{}, err
	}
	rows, err := a.store.ListLeads(ctx, scopeOf(p), f)
	if err != nil {
		return Page[LeadView]{}, err
	}
	return paginate(rows, f.Limit, a.leadView, func(l adapters.Lead) adapters.Cursor { return adapters.Cursor{At: l.CreatedAt, ID: l.ID} }), nil
}

// ContactInput is a logged contact.
type ContactInput struct {
	Channel, Summary string
	At               *time.Time
}

// commandAllowed checks that p may change lead l: its owner, a manager of
// its team (or of the pool), or an admin.
func commandAllowed(p auth.Principal, l adapters.Lead) error {
	if p.Has(auth.RoleAdmin) || l.OwnerID == p.Subject {
		return nil
	}
	if p.Has(auth.RoleManager) && domain.Visible(auth.Scope{Teams: p.Teams}, l.OwnerID, l.Team, l.Pooled) {
		return nil
	}
	return domain.ErrLeadNotFound
}

// writableLead returns a lead the caller may change (see commandAllowed).
func (a *App) writableLead(ctx context.Context, id string) (auth.Principal, adapters.Lead, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsWrite)
	if err != nil {
		return p, adapters.Lead{}, err
	}
	l, err := a.lead(ctx, p, id)
	if err != nil {
		return p, l, err
	}
	return p, l, commandAllowed(p, l)
}

// LogContact records a contact with the lead. The first one ends the
// first-contact follow-up and its escalation.
func (a *App) LogContact(ctx context.Context, id string, in ContactInput) (LeadView, error) {
	p, l, err := a.writableLead(ctx, id)
	if err != nil {
		return LeadView{}, err
	}
	now := a.now()
	at := now
	if in.At != nil {
		at = in.At.UTC()
	}
	if err := domain.CheckContact(in.Channel, in.Summary, at, now); err != nil {
		return LeadView{}, err
	}
	if err := domain.CheckLeadCommand(l.State, domain.OpContact); err != nil {
		return LeadView{}, err
	}
	return a.command(ctx, &salesv1.LeadCommand{LeadId: id, Op: domain.OpContact, Actor: p.Subject, Channel: in.Channel, Summary: strings.TrimSpace(in.Summary), At: timestamppb.New(at)})
}

// CloseInput qualifies, disqualifies or converts a lead.
type CloseInput struct {
	Reason      string
	Opportunity *OpportunityInput // convert
}

// Qualify marks a contacted lead qualified.
func (a *App) Qualify(ctx context.Context, id, reason string) (LeadView, error) {
	return a.leadCommand(ctx, id, domain.OpQualify, CloseInput{Reason: reason})
}

// Disqualify closes a lead with a reason.
func (a *App) Disqualify(ctx context.Context, id, reason string) (LeadView, error) {
	if strings.TrimSpace(reason) == "" {
		var v apperr.Validation
		v.Add("reason", "required", "say why the lead is disqualified")
		return LeadView{}, v.Err()
	}
	return a.leadCommand(ctx, id, domain.OpDisqualify, CloseInput{Reason: reason})
}

// Convert turns a contacted or qualified lead into an opportunity.
func (a *App) Convert(ctx context.Context, id string, in CloseInput) (LeadView, error) {
	return a.leadCommand(ctx, id, domain.OpConvert, in)
}

func (a *App) leadCommand(ctx context.Context, id, op string, in CloseInput) (LeadView, error) {
	p, l, err := a.writableLead(ctx, id)
	if err != nil {
		return LeadView{}, err
	}
	var v apperr.Validation
	v.Check(utf8.RuneCountInString(in.Reason) <= domain.MaxText, "reason", "too_long", "at most 4000 characters")
	cmd := &salesv1.LeadCommand{LeadId: id, Op: op, Actor: p.Subject, Reason: strings.TrimSpace(in.Reason), At: timestamppb.New(a.now())}
	if op == domain.OpConvert {
		o := in.Opportunity
		if o == nil {
			o = &OpportunityInput{}
		}
		if o.Stage == 0 {
			o.Stage = domain.StageSpotted
		}
		name := strings.TrimSpace(o.Name)
		if name == "" {
			name = l.CompanyName
		}
		v.Check(utf8.RuneCountInString(name) <= domain.MaxName, "opportunity.name", "too_long", "at most 200 characters")
		v.Check(o.Stage >= domain.FirstStage && o.Stage <= domain.LastStage, "opportunity.stage", "out_of_range", "1, 2, 3 or 4")
		domain.CheckMoney(&v, "opportunity.", o.AmountMinor, o.Currency, o.ExpectedClose, o.Probability)
		v.Check(l.CustomerID != "", "customer_id", "not_ready", "the lead's customer is not known yet; retry in a moment")
		cmd.Opportunity = &salesv1.OpportunityData{Id: uuid.NewSHA1(uuid.NameSpaceOID, []byte("closeloop/opportunity-of-lead\x00"+id)).String(),
			LeadId: id, CustomerId: l.CustomerID, Name: name, OwnerId: l.OwnerID, Team: l.Team, TerritoryId: l.TerritoryID, Region: l.Region,
			Stage: int32(o.Stage), AmountMinor: o.AmountMinor, Currency: o.Currency, ExpectedClose: o.ExpectedClose,
			Probability: int32(o.Probability), CreatedBy: p.Subject}
		if l.Pooled || l.OwnerID == "" {
			v.Add("owner_id", "unassigned", "assign the lead to a rep before converting it")
		}
	}
	if err := v.Err(); err != nil {
		return LeadView{}, err
	}
	if err := domain.CheckLeadCommand(l.State, op); err != nil {
		return LeadView{}, err
	}
	if op == domain.OpConvert {
		if err := a.ownerSeesCustomer(ctx, l.CustomerID, l.OwnerID); err != nil {
			return LeadView{}, err
		}
	}
	return a.command(ctx, cmd)
}

func (a *App) command(ctx context.Context, cmd *salesv1.LeadCommand) (LeadView, error) {
	// A rep acts on their own lead only: if it changes hands between the
	// check above and the workflow, the workflow refuses (404, like any
	// lead that is not theirs).
	if p, ok := auth.FromContext(ctx); ok && !p.Has(auth.RoleManager) && !p.Has(auth.RoleAdmin) {
		cmd.ExpectedOwnerId = p.Subject
	}
	if _, err := a.wf.LeadCommand(ctx, cmd); err != nil {
		return LeadView{}, err
	}
	l, err := a.store.Lead(ctx, cmd.GetLeadId())
	if err != nil {
		return LeadView{}, err
	}
	return a.leadView(l), nil
}

// ReassignInput is a manual reassignment.
type ReassignInput struct {
	ToOwnerID string
	ToPool    bool
	Reason    string
	// MoveCustomer moves the lead's customer to the new owner too: the only
	// way a lead on a customer someone owned changes hands.
	MoveCustomer bool
}

// Reassign hands a lead to another rep (or back to the pool) through the
// lead workflow's reassign update, whose validator refuses what the lead's
// state does not allow.
func (a *App) Reassign(ctx context.Context, id string, in ReassignInput) (LeadView, error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsAssign)
	if err != nil {
		return LeadView{}, err
	}
	l, err := a.lead(ctx, p, id)
	if err != nil {
		return LeadView{}, err
	}
	var v apperr.Validation
	in.ToOwnerID = strings.TrimSpace(in.ToOwnerID)
	v.Check(strings.TrimSpace(in.Reason) != "", "reason", "required", "say why the lead changes hands")
	v.Check(utf8.RuneCountInString(in.Reason) <= domain.MaxText, "reason", "too_long", "at most 4000 characters")
	v.Check(!(in.ToPool && in.ToOwnerID != ""), "to_pool", "conflict", "either to_owner_id or to_pool")
	v.Check(len(in.ToOwnerID) <= 200, "to_owner_id", "too_long", "at most 200 characters")
	v.Check(!in.MoveCustomer || in.ToOwnerID != "", "move_customer", "needs_owner", "name the new owner (to_owner_id) to move the customer to")
	if err := v.Err(); err != nil {
		return LeadView{}, err
	}
	if !domain.LeadOpen(l.State) {
		return LeadView{}, domain.ErrLeadClosed
	}
	if in.ToOwnerID != "" {
		if err := a.checkTarget(ctx, p, l, in.ToOwnerID); err != nil {
			return LeadView{}, err
		}
	}
	if _, err := a.wf.Reassign(ctx, id, &salesv1.ReassignRequest{ToOwnerId: in.ToOwnerID, ToPool: in.ToPool, Actor: p.Subject,
		Reason: strings.TrimSpace(in.Reason), AnyTerritory: p.Has(auth.RoleAdmin), MoveCustomer: in.MoveCustomer}); err != nil {
		return LeadView{}, err
	}
	l, err = a.store.Lead(ctx, id)
	if err != nil {
		return LeadView{}, err
	}
	return a.leadView(l), nil
}

// checkTarget refuses, before asking the workflow, a rep who is not in the
// lead's territory (admins may pick any active member of any territory) or
// who has no room for another lead.
func (a *App) checkTarget(ctx context.Context, p auth.Principal, l adapters.Lead, rep string) error {
	if rep == l.OwnerID {
		return domain.ErrSameOwner
	}
	terrs, err := a.store.ListTerritories(ctx)
	if err != nil {
		return err
	}
	for _, t := range terrs {
		if l.TerritoryID != "" && t.ID != l.TerritoryID && !p.Has(auth.RoleAdmin) {
			continue
		}
		if l.TerritoryID == "" && !p.Has(auth.RoleAdmin) && !contains(p.Teams, t.Team) {
			continue
		}
		reps, err := a.store.Reps(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, r := range reps {
			if r.RepID != rep || !r.Active {
				continue
			}
			if r.Load >= r.Capacity {
				return domain.ErrRepAtCapacity.With("capacity", r.Capacity).With("open_leads", r.Load)
			}
			return nil
		}
	}
	return domain.ErrRepNotInTerritory
}

// TimelineEvent is one entry of a timeline.
type TimelineEvent struct {
	ID      string         `json:"id"`
	Kind    string         `json:"kind"`
	Actor   string         `json:"actor"`
	Summary string         `json:"summary"`
	Data    map[string]any `json:"data,omitempty"`
	At      time.Time      `json:"at"`
}

// LeadTimeline returns a lead's timeline.
func (a *App) LeadTimeline(ctx context.Context, id string, limit int, after *adapters.Cursor) (Page[TimelineEvent], error) {
	p, err := auth.Authorize(ctx, auth.PermLeadsRead)
	if err != nil {
		return Page[TimelineEvent]{}, err
	}
	if _, err := a.lead(ctx, p, id); err != nil {
		return Page[TimelineEvent]{}, err
	}
	return a.timeline(ctx, "lead", id, limit, after)
}

func (a *App) timeline(ctx context.Context, subject, id string, limit int, after *adapters.Cursor) (Page[TimelineEvent], error) {
	rows, err := a.store.Timeline(ctx, subject, id, limit, after)
	if err != nil {
		return Page[TimelineEvent]{}, err
	}
	return paginate(rows, limit, func(e adapters.Event) TimelineEvent {
		return TimelineEvent{ID: e.ID, Kind: e.Kind, Actor: e.Actor, Summary: e.Summary, Data: decodeData(e.Data), At: e.At}
	}, func(e adapters.Event) adapters.Cursor { return adapters.Cursor{At: e.At, ID: e.ID} }), nil
}

func ts(t *timestamppb.Timestamp) *time.Time {
	if t == nil {
		return nil
	}
	v := t.AsTime()
	return &v
}

func appendFields(v *apperr.Validation, err error) {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		for _, f := range ae.Fields {
			v.Add(f.Field, f.Code, f.Message)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }
