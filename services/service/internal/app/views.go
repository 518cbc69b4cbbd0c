package app

import (
	"time"

	"github.com/closeloop/closeloop/services/service/internal/domain"
)

// CaseView is a case as the API shows it. Instants are UTC.
type CaseView struct {
	ID            string `json:"id"`
	CustomerID    string `json:"customer_id"`
	ContactID     string `json:"contact_id"`
	Asset         string `json:"asset"`
	OpportunityID string `json:"opportunity_id"`
	// Type: request, complaint, repair, consultation or returns.
	Type string `json:"type"`
	// Priority: P1 (most urgent) to P4.
	Priority string `json:"priority"`
	// Channel: phone, email, web, visit or internal.
	Channel     string `json:"channel"`
	Subject     string `json:"subject"`
	Description string `json:"description"`
	// State: new, open, pending_customer, pending_internal, resolved or closed.
	State string `json:"state"`
	// AssigneeID is who works the case; empty: it waits in Team's queue.
	AssigneeID string `json:"assignee_id"`
	Team       string `json:"team"`
	// CustomerOwnerID and CustomerTeam are the customer's owner and team
	// as the customer service said when the case was filed.
	CustomerOwnerID string `json:"customer_owner_id"`
	CustomerTeam    string `json:"customer_team"`
	// FollowOnOf is the closed case this one follows on from.
	FollowOnOf      string     `json:"follow_on_of"`
	ReopenedCount   int        `json:"reopened_count"`
	Version         int64      `json:"version"`
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	FirstResponseAt *time.Time `json:"first_response_at"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	// ReportedAt: when the customer reported it, if before it was filed
	// (the SLA targets count from then).
	ReportedAt *time.Time `json:"reported_at"`
	// ContactEmail and Language: where and in which language the
	// satisfaction survey goes.
	ContactEmail string `json:"contact_email"`
	Language     string `json:"language"`
	// SLA is the case's first-response and resolution targets (empty until
	// its workflow has started them).
	SLA   []SLAView `json:"sla"`
	Links CaseLinks `json:"links"`
}

// SLAView is one SLA target of a case.
type SLAView struct {
	// Target: first_response or resolution.
	Target string `json:"target"`
	// State: running, paused, met or breached.
	State string `json:"state"`
	// AtRisk: running past its warning point.
	AtRisk bool `json:"at_risk"`
	// DueAt is the deadline (while paused: if the hold ended at as_of).
	DueAt  *time.Time `json:"due_at"`
	WarnAt *time.Time `json:"warn_at"`
	// RemainingMs is the time left before the deadline as of AsOf, counted
	// like the budget (business or elapsed time); negative once breached.
	RemainingMs int64      `json:"remaining_ms"`
	AsOf        *time.Time `json:"as_of"`
	PausedMs    int64      `json:"paused_ms"`
	BudgetMs    int64      `json:"budget_ms"`
	// Business: the budget counts the working hours of Calendar.
	Business   bool       `json:"business"`
	Calendar   string     `json:"calendar"`
	MetAt      *time.Time `json:"met_at"`
	BreachedAt *time.Time `json:"breached_at"`
	// FollowUpID is the follow-up chasing the target now.
	FollowUpID string `json:"follow_up_id"`
}

// CaseLinks are the case's own paths in this API.
type CaseLinks struct {
	Self     string `json:"self"`
	Timeline string `json:"timeline"`
}

// CaseOf is the view of c.
func CaseOf(c domain.Case) CaseView {
	self := "/v1/cases/" + c.ID
	return CaseView{
		ID: c.ID, CustomerID: c.CustomerID, ContactID: c.ContactID, Asset: c.Asset, OpportunityID: c.OpportunityID,
		Type: c.Type, Priority: c.Priority, Channel: c.Channel, Subject: c.Subject, Description: c.Description, State: c.State,
		AssigneeID: c.AssigneeID, Team: c.Team, CustomerOwnerID: c.CustomerOwnerID, CustomerTeam: c.CustomerTeam,
		FollowOnOf: c.FollowOnOf, ReopenedCount: c.ReopenedCount, Version: c.Version, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, FirstResponseAt: c.FirstResponseAt, ResolvedAt: c.ResolvedAt, ClosedAt: c.ClosedAt,
		ReportedAt: c.ReportedAt, ContactEmail: c.ContactEmail, Language: c.Language,
		SLA:   []SLAView{},
		Links: CaseLinks{Self: self, Timeline: self + "/timeline"},
	}
}

// CasePage is a page of cases, newest first.
type CasePage struct {
	Items []CaseView `json:"items"`
	// NextCursor, when not empty, is the cursor of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// EntryView is a timeline entry. Which fields a kind uses:
// created (body: the subject; to, to_team: assignee and team; from: the case
// it follows on from), state_changed and priority_changed (from, to, reason),
// assigned (from, to: assignees, "" the queue; from_team, to_team; reason),
// note (body), reply (body, direction), sla_met and sla_breached (target,
// due_at; at: when).
type EntryView struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Actor is the user who made the change ("workflow" for the case's own).
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
	// Visibility: public (the customer sees it too) or internal (staff only).
	Visibility string     `json:"visibility"`
	Body       string     `json:"body,omitempty"`
	Direction  string     `json:"direction,omitempty"`
	From       string     `json:"from,omitempty"`
	To         string     `json:"to,omitempty"`
	FromTeam   string     `json:"from_team,omitempty"`
	ToTeam     string     `json:"to_team,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	Target     string     `json:"target,omitempty"`
	DueAt      *time.Time `json:"due_at,omitempty"`
}

// EntryOf is the view of e.
func EntryOf(e domain.Entry) EntryView {
	return EntryView{ID: e.ID, Kind: e.Kind, Actor: e.Actor, At: e.At, Visibility: e.Visibility, Body: e.Body, Direction: e.Direction,
		From: e.From, To: e.To, FromTeam: e.FromTeam, ToTeam: e.ToTeam, Reason: e.Reason, Target: e.Target, DueAt: e.DueAt}
}

// TimelinePage is a page of a case's timeline, oldest first.
type TimelinePage struct {
	Items []EntryView `json:"items"`
	// IncludesInternal says whether internal entries are shown: false for
	// who reads the case only because its customer is theirs.
	IncludesInternal bool `json:"includes_internal"`
	// NextCursor, when not empty, is the cursor of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}
