package app

import (
	"time"

	"github.com/closeloop/closeloop/services/customer/internal/actions/domain"
)

// View is an action as the API shows it.
type View struct {
	ID             string     `json:"id"`
	Kind           string     `json:"kind"`
	Status         string     `json:"status"`
	Category       string     `json:"category"`
	Department     string     `json:"department"`
	ActorID        string     `json:"actor_id"`
	Title          string     `json:"title"`
	Summary        string     `json:"summary,omitempty"`
	Outcome        string     `json:"outcome,omitempty"`
	NextStep       string     `json:"next_step,omitempty"`
	PlannedFor     *time.Time `json:"planned_for,omitempty"`
	DoneAt         *time.Time `json:"done_at,omitempty"`
	OccurredAt     time.Time  `json:"occurred_at"`
	CustomerIDs    []string   `json:"customer_ids"`
	ContactIDs     []string   `json:"contact_ids"`
	LeadIDs        []string   `json:"lead_ids"`
	OpportunityIDs []string   `json:"opportunity_ids"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// A service case's item (category service_case): the case
	// (/cases/{case_id} in the console), what happened to it (filed,
	// first_response, waiting_for_customer, resumed, resolved, reopened,
	// closed, priority_changed, assigned, breached) and its team. Absent on
	// a person's action.
	CaseID    string `json:"case_id,omitempty"`
	CaseEvent string `json:"case_event,omitempty"`
	CaseTeam  string `json:"case_team,omitempty"`
	// An information routing slip's item (category info_slip): the slip
	// (/slips/{slip_id} in the console) and what happened to it (sent,
	// acknowledged, done, rejected, forwarded, added, rerouted, closed,
	// withdrawn). Absent on every other item.
	SlipID    string `json:"slip_id,omitempty"`
	SlipEvent string `json:"slip_event,omitempty"`
	// The marketing campaign of a touch's plan (department marketing, put
	// on the owner's list by the campaign) or of a campaign's item
	// (category campaign: a customer won back). Absent on every other item.
	CampaignID string `json:"campaign_id,omitempty"`
}

// Closed reports what a logged contact did to open follow-ups.
type Closed struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Owner string `json:"owner_id"`
}

// NotClosed is a matching follow-up that could not be closed, and why.
type NotClosed struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// Result is the answer to creating or completing an action.
type Result struct {
	Action          View        `json:"action"`
	ClosedFollowUps []Closed    `json:"closed_follow_ups"`
	NotClosed       []NotClosed `json:"not_closed,omitempty"`
}

// HistoryCursor is a position in a customer's history (newest first).
type HistoryCursor = domain.HistoryCursor

// HistoryPage is a page of a customer's contact history.
type HistoryPage struct {
	Items      []View `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

func view(a domain.Action) View {
	v := View{ID: a.ID, Kind: a.Kind, Status: a.Status, Category: a.Category, Department: a.Department, ActorID: a.ActorID, Title: a.Title,
		Summary: a.Summary, Outcome: a.Outcome, NextStep: a.NextStep, PlannedFor: a.PlannedFor, DoneAt: a.DoneAt, OccurredAt: a.OccurredAt,
		CustomerIDs: []string{}, ContactIDs: []string{}, LeadIDs: []string{}, OpportunityIDs: []string{}, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		CampaignID: a.CampaignID}
	if a.Case != nil {
		v.CaseID, v.CaseEvent, v.CaseTeam = a.Case.ID, a.Case.Event, a.Case.Team
	}
	if a.Slip != nil {
		v.SlipID, v.SlipEvent = a.Slip.ID, a.Slip.Event
	}
	for _, l := range a.Links {
		switch l.SubjectType {
		case domain.SubjectCustomer:
			v.CustomerIDs = append(v.CustomerIDs, l.SubjectID)
		case domain.SubjectContact:
			v.ContactIDs = append(v.ContactIDs, l.SubjectID)
		case domain.SubjectLead:
			v.LeadIDs = append(v.LeadIDs, l.SubjectID)
		case domain.SubjectOpportunity:
			v.OpportunityIDs = append(v.OpportunityIDs, l.SubjectID)
		}
	}
	return v
}
