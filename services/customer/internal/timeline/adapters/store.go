// Package adapters reads a customer's timeline from the tables of the
// service's contexts — action_links and actions (internal/actions), visits
// and visit_participants (internal/visits), stage_changes (customers) — one
// query per source, each reading only the page it is asked for, newest first
// along an index that starts with the customer (ix_action_links_customer,
// ix_visits_customer_start, ix_stage_changes_customer_at). It decides
// nothing: the order, where a page starts and how sources merge are package
// domain's; it writes nothing.
package adapters

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/auth"
	actadapters "github.com/closeloop/closeloop/services/customer/internal/actions/adapters"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	custadapters "github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/timeline/domain"
)

// Store reads timelines (app.Repository).
type Store struct {
	db        *gorm.DB
	customers *custadapters.Store
}

// New returns the store over db; customers answers scope.
func New(db *gorm.DB, customers *custadapters.Store) *Store {
	return &Store{db: db, customers: customers}
}

// Visible is nil when the customer (not deleted) is in scope, else the
// customer store's error (ErrCustomerNotFound when it is not).
func (s *Store) Visible(ctx context.Context, id string, scope auth.Scope) error {
	_, err := s.customers.GetCustomer(ctx, id, scope, false)
	return err
}

// bounded restricts q to the rows within b, on the at and id columns.
func bounded(q *gorm.DB, b *domain.Bound, at, id string) *gorm.DB {
	switch {
	case b == nil:
		return q
	case b.AtToo:
		return q.Where(at+" <= ?", b.Before)
	case b.IDBelow != "":
		return q.Where("("+at+", "+id+") < (?, ?)", b.Before, b.IDBelow)
	default:
		return q.Where(at+" < ?", b.Before)
	}
}

// Actions returns up to n actions linked to the customer (to it, one of its
// contacts, or a lead or opportunity filed under it) within b, newest first.
// A service case's item carries its case (case_id, case_event, case_team)
// and a slip's item its slip (slip_id, slip_event), read from its actions
// row with the rest.
func (s *Store) Actions(ctx context.Context, customerID string, b *domain.Bound, n int) ([]domain.Entry, error) {
	db := s.db.WithContext(ctx)
	// An action linked to the customer more than once (itself and a contact)
	// has adjacent links in the index's order: DISTINCT keeps one and the
	// scan stops after n; the page's actions are joined to it.
	page := bounded(db.Table("action_links").Distinct("occurred_at", "action_id").Where("customer_id = ?", customerID), b, "occurred_at", "action_id").
		Order("occurred_at DESC, action_id DESC").Limit(n)
	var rows []actadapters.Row
	if err := db.Table("actions").Select("actions.*").Joins("JOIN (?) p ON p.action_id = actions.id", page).
		Order("actions.occurred_at DESC, actions.id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return []domain.Entry{}, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var links []actadapters.Link
	if err := db.Where("action_id IN ?", ids).Order("action_id, subject_type, subject_id").Find(&links).Error; err != nil {
		return nil, err
	}
	byID := make(map[string]*domain.Entry, len(rows))
	for _, r := range rows {
		byID[r.ID] = &domain.Entry{Source: domain.SourceAction, ID: r.ID, At: r.OccurredAt.UTC(), Kind: r.Kind, Actor: r.ActorID, Department: r.Department,
			Action: &domain.Action{Status: r.Status, Category: r.Category, Title: r.Title, Summary: r.Summary, Outcome: r.Outcome, NextStep: r.NextStep,
				PlannedFor: r.PlannedFor, DoneAt: r.DoneAt, CustomerIDs: []string{}, ContactIDs: []string{}, LeadIDs: []string{}, OpportunityIDs: []string{},
				CaseID: r.CaseID, CaseEvent: r.CaseEvent, CaseTeam: r.CaseTeam, SlipID: r.SlipID, SlipEvent: r.SlipEvent, CampaignID: r.CampaignID}}
	}
	for _, l := range links {
		e := byID[l.ActionID]
		if e == nil {
			continue
		}
		a := e.Action
		switch l.SubjectType {
		case actdomain.SubjectCustomer:
			a.CustomerIDs = append(a.CustomerIDs, l.SubjectID)
		case actdomain.SubjectContact:
			a.ContactIDs = append(a.ContactIDs, l.SubjectID)
		case actdomain.SubjectLead:
			a.LeadIDs = append(a.LeadIDs, l.SubjectID)
		case actdomain.SubjectOpportunity:
			a.OpportunityIDs = append(a.OpportunityIDs, l.SubjectID)
		}
	}
	out := make([]domain.Entry, 0, len(ids))
	for _, id := range ids {
		if e := byID[id]; e != nil {
			out = append(out, *e)
		}
	}
	return out, nil
}

type visitRow struct {
	ID, Day, Status, BookedBy, Department, Purpose string
	StartAt, EndAt                                 time.Time
	LogSummary, LogOutcome, LogNextStep            string
	LoggedBy                                       *string
	LoggedAt                                       *time.Time
	CancelReason                                   string
}

// Visits returns up to n of the customer's visits within b (by their start),
// newest first, with their participants.
func (s *Store) Visits(ctx context.Context, customerID string, b *domain.Bound, n int) ([]domain.Entry, error) {
	db := s.db.WithContext(ctx)
	var rows []visitRow
	q := bounded(db.Table("visits").Select("id, day, status, booked_by, department, purpose, start_at, end_at, log_summary, log_outcome, log_next_step, logged_by, logged_at, cancel_reason").
		Where("customer_id = ?", customerID), b, "start_at", "id")
	if err := q.Order("start_at DESC, id DESC").Limit(n).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Entry, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var ps []struct{ VisitID, UserID, Department, Role string }
	if err := db.Table("visit_participants").Select("visit_id, user_id, department, role").Where("visit_id IN ?", ids).
		Order("visit_id, joined_at, user_id").Find(&ps).Error; err != nil {
		return nil, err
	}
	byVisit := map[string][]domain.Participant{}
	for _, p := range ps {
		byVisit[p.VisitID] = append(byVisit[p.VisitID], domain.Participant{UserID: p.UserID, Department: p.Department, Role: p.Role})
	}
	for _, r := range rows {
		v := &domain.Visit{Day: r.Day, StartAt: r.StartAt.UTC(), EndAt: r.EndAt.UTC(), Purpose: r.Purpose, CancelReason: r.CancelReason,
			Participants: byVisit[r.ID]}
		if v.Participants == nil {
			v.Participants = []domain.Participant{}
		}
		if r.LoggedAt != nil {
			v.Log = &domain.VisitLog{Summary: r.LogSummary, Outcome: r.LogOutcome, NextStep: r.LogNextStep, At: r.LoggedAt.UTC()}
			if r.LoggedBy != nil {
				v.Log.By = *r.LoggedBy
			}
		}
		out = append(out, domain.Entry{Source: domain.SourceVisit, ID: r.ID, At: v.StartAt, Kind: r.Status, Actor: r.BookedBy, Department: r.Department, Visit: v})
	}
	return out, nil
}

// Stages returns up to n of the customer's stage changes within b, newest first.
func (s *Store) Stages(ctx context.Context, customerID string, b *domain.Bound, n int) ([]domain.Entry, error) {
	var rows []custadapters.StageChangeRecord
	q := bounded(s.db.WithContext(ctx).Where("customer_id = ?", customerID), b, "at", "id")
	if err := q.Order("at DESC, id DESC").Limit(n).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]domain.Entry, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.Entry{Source: domain.SourceStage, ID: r.ID, At: r.At.UTC(), Kind: r.Kind, Actor: r.Actor,
			Stage: &domain.Stage{From: r.FromStage, To: r.ToStage, Reason: r.Reason, Competitor: r.Competitor}})
	}
	return out, nil
}
