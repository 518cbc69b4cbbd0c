package app

import (
	"time"

	marketingv1 "github.com/closeloop/closeloop/proto/gen/closeloop/marketing/v1"
	"github.com/closeloop/closeloop/services/marketing/internal/adapters"
	"github.com/closeloop/closeloop/services/marketing/internal/domain"
)

// CampaignView is a campaign as the API shows it.
type CampaignView struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Objective string `json:"objective"`
	// Type: winback, cross_sell, event, visit_drive, mailing, other.
	Type string `json:"type"`
	// Channels: email, phone_call, visit, event.
	Channels []string `json:"channels"`
	// Segment: the saved filter over customers (a win-back campaign's
	// names lifecycle stage lost).
	Segment domain.Segment `json:"segment"`
	// Holdout: the share of the segment kept out as control group (0–0.5).
	Holdout        float64 `json:"holdout"`
	EnrolNewcomers bool    `json:"enrol_newcomers"`
	// EmailSubject and EmailBody: the email its email touches send.
	EmailSubject    string  `json:"email_subject,omitempty"`
	EmailBody       string  `json:"email_body,omitempty"`
	Budget          float64 `json:"budget"`
	ExpectedCost    float64 `json:"expected_cost"`
	ExpectedRevenue float64 `json:"expected_revenue"`
	StartsOn        string  `json:"starts_on"`
	EndsOn          string  `json:"ends_on"`
	OwnerID         string  `json:"owner_id"`
	Team            string  `json:"team"`
	// State: draft, approved, running, completed, cancelled.
	State      string     `json:"state"`
	Version    int        `json:"version"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ApprovedBy string     `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
	LaunchedBy string     `json:"launched_by,omitempty"`
	LaunchedAt *time.Time `json:"launched_at,omitempty"`
	EndedBy    string     `json:"ended_by,omitempty"`
	EndedAt    *time.Time `json:"ended_at,omitempty"`
	EndReason  string     `json:"end_reason,omitempty"`
	// Launch: what the launch enrolled, once it has finished.
	Launch *LaunchView `json:"launch,omitempty"`
	// ApprovalRequest: who asked the team's marketing managers to approve
	// the draft and when, while the draft is as they asked for it (an edit
	// since, or a state change, makes it stale and it is left out).
	ApprovalRequest *ApprovalRequestView `json:"approval_request,omitempty"`
}

// ApprovalRequestView is a draft's request for approval.
type ApprovalRequestView struct {
	By     string    `json:"by"`
	ByName string    `json:"by_name,omitempty"`
	At     time.Time `json:"at"`
}

// LaunchView is what a campaign's launch enrolled.
type LaunchView struct {
	FinishedAt time.Time `json:"finished_at"`
	Enrolled   int64     `json:"enrolled"`
	HeldOut    int64     `json:"held_out"`
	Skipped    int64     `json:"skipped"`
}

func (a *App) view(c adapters.Campaign) CampaignView {
	v := CampaignView{ID: c.ID, Name: c.Name, Objective: c.Objective, Type: string(c.Type), Channels: orEmpty(c.Channels), Segment: c.Segment,
		Holdout: c.Holdout, EnrolNewcomers: c.EnrolNewcomers, EmailSubject: c.EmailSubject, EmailBody: c.EmailBody, Budget: c.Budget, ExpectedCost: c.ExpectedCost, ExpectedRevenue: c.ExpectedRevenue,
		StartsOn: c.StartsOn.Format(time.DateOnly), EndsOn: c.EndsOn.Format(time.DateOnly), OwnerID: c.OwnerID, Team: c.Team,
		State: string(c.State), Version: c.Version, CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		ApprovedBy: c.ApprovedBy, ApprovedAt: c.ApprovedAt, LaunchedBy: c.LaunchedBy, LaunchedAt: c.LaunchedAt, EndedBy: c.EndedBy,
		EndReason: c.EndReason}
	switch {
	case c.CompletedAt != nil:
		v.EndedAt = c.CompletedAt
	case c.CancelledAt != nil:
		v.EndedAt = c.CancelledAt
	}
	if c.LaunchDoneAt != nil {
		v.Launch = &LaunchView{FinishedAt: *c.LaunchDoneAt, Enrolled: c.LaunchEnrolled, HeldOut: c.LaunchHeldOut, Skipped: c.LaunchSkipped}
	}
	if r := c.ApprovalRequest; r.Current(c.Campaign) {
		v.ApprovalRequest = &ApprovalRequestView{By: r.By, ByName: r.ByName, At: r.At}
	}
	return v
}

// CostView is a cost entry.
type CostView struct {
	ID        string    `json:"id"`
	Amount    float64   `json:"amount"`
	Note      string    `json:"note"`
	SpentOn   string    `json:"spent_on"`
	By        string    `json:"by"`
	CreatedAt time.Time `json:"created_at"`
}

func costView(e domain.CostEntry) CostView {
	return CostView{ID: e.ID, Amount: e.Amount, Note: e.Note, SpentOn: e.SpentOn.Format(time.DateOnly), By: e.By, CreatedAt: e.CreatedAt}
}

// CostList is a campaign's cost entries and their sum (the actual cost).
type CostList struct {
	Items []CostView `json:"items"`
	Total float64    `json:"total"`
}

// Filter is a segment as the customer service reads it.
func Filter(s domain.Segment) *marketingv1.SegmentFilter {
	f := &marketingv1.SegmentFilter{ValueClasses: s.ValueClasses, LifecycleStages: s.LifecycleStages, RelationshipStages: s.RelationshipStages,
		Regions: s.Regions, Industries: s.Industries, OwnerIds: s.OwnerIDs, Teams: s.Teams, MinDaysSinceContact: -1, MaxDaysSinceContact: -1,
		LoyaltyLevels: s.LoyaltyLevels, MinSatisfaction: s.MinSatisfaction, MaxSatisfaction: s.MaxSatisfaction}
	if s.MinDaysSinceContact != nil {
		f.MinDaysSinceContact = int32(*s.MinDaysSinceContact)
	}
	if s.MaxDaysSinceContact != nil {
		f.MaxDaysSinceContact = int32(*s.MaxDaysSinceContact)
	}
	return f
}

// FactsOf is a customer's facts as the domain reads them.
func FactsOf(c *marketingv1.CustomerFacts) domain.Facts {
	f := domain.Facts{CustomerID: c.GetCustomerId(), ValueClass: c.GetValueClass(), LifecycleStage: c.GetLifecycleStage(),
		RelationshipStage: c.GetRelationshipStage(), Region: c.GetRegion(), Industry: c.GetIndustry(), OwnerID: c.GetOwnerId(), Team: c.GetTeam(),
		LoyaltyLevel: c.GetLoyaltyLevel(), CSATAverage: c.CsatAverage}
	if c.GetLastContactAt() != nil {
		t := c.GetLastContactAt().AsTime()
		f.LastContactAt = &t
	}
	if c.GetLostAt() != nil {
		t := c.GetLostAt().AsTime()
		f.LostAt = &t
	}
	return f
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
