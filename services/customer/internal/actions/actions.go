// Package actions keeps the customer's contact history across departments:
// action plans (a planned call, visit, report or submission) and action logs
// (what was done, the outcome, the next step), in the categories of the field
// studies — briefing or report, phone call, visit or reception, submission of
// materials. One action may concern several customers, contacts, leads and
// opportunities.
//
// A logged contact (a phone call or a visit/reception) closes the open
// follow-ups it answers, through their workflows: the care-contact follow-ups
// of its customers (package care) and the first-contact follow-ups of its
// leads (or, without leads named, of its customers' leads owned by the person
// who logged it), which the follow-up service lists and closes through its
// API, asked as the person who logged the contact. Only follow-ups the person
// may close are touched; the answer lists what was closed and what could not
// be. The action is stored first: a follow-up service that does not answer
// leaves its follow-ups open (listed as not closed), never the action unsaved.
package actions

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/httpx"
	wfc "github.com/closeloop/closeloop/proto/contract/workflows"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/services/customer/internal/care"
	"github.com/closeloop/closeloop/services/customer/internal/domain"
	"github.com/closeloop/closeloop/services/followup/client"
	"github.com/closeloop/closeloop/workflows/policy"
)

// Kinds, statuses, categories and departments.
const (
	KindPlan = "plan"
	KindLog  = "log"

	StatusPlanned   = "planned"
	StatusDone      = "done"
	StatusCancelled = "cancelled"
)

var (
	// Categories of actions.
	Categories = []string{"briefing_report", "phone_call", "visit_reception", "materials_submission"}
	// Departments that act towards customers.
	Departments = []string{"sales", "service", "marketing"}
	// contactCategories are the categories that are a contact with the customer.
	contactCategories = []string{"phone_call", "visit_reception"}
)

// Limits.
const (
	maxLinks = 20
	maxText  = 4000
)

// Row is a row of actions.
type Row struct {
	ID         string `gorm:"primaryKey"`
	Kind       string
	Status     string
	Category   string
	Department string
	ActorID    string
	Title      string
	Summary    string
	Outcome    string
	NextStep   string
	PlannedFor *time.Time
	DoneAt     *time.Time
	OccurredAt time.Time // done_at for logs, planned_for for plans: the history's order
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (Row) TableName() string { return "actions" }

// Link ties an action to a customer, contact, lead or opportunity.
type Link struct {
	ActionID    string `gorm:"primaryKey"`
	SubjectType string `gorm:"primaryKey"` // customer | contact | lead | opportunity
	SubjectID   string `gorm:"primaryKey"`
	CustomerID  string
	OccurredAt  time.Time
}

func (Link) TableName() string { return "action_links" }

// FollowUps is the follow-up service's API as actions use it, called as the
// person acting (client.Client; the context carries the caller's token).
type FollowUps interface {
	// OpenFirstContacts lists a customer's open first-contact follow-ups
	// the caller may see.
	OpenFirstContacts(ctx context.Context, customerID string) ([]client.FollowUp, error)
	// Complete closes a follow-up as done by the caller.
	Complete(ctx context.Context, id, note string) (client.FollowUp, error)
}

// Service is the actions use cases.
type Service struct {
	db        *gorm.DB
	customers *adapters.Store
	followups FollowUps
	care      *care.Service
	now       func() time.Time
}

// New returns the service; fu lists and closes the first-contact follow-ups
// a logged contact answers, cs closes its care follow-ups.
func New(db *gorm.DB, customers *adapters.Store, fu FollowUps, cs *care.Service) *Service {
	return &Service{db: db, customers: customers, followups: fu, care: cs, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

// Input is a new action.
type Input struct {
	Kind, Category, Department, Title, Summary, Outcome, NextStep string
	CustomerIDs, ContactIDs, LeadIDs, OpportunityIDs              []string
	PlannedFor, DoneAt                                            *time.Time
}

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

func ids(v *apperr.Validation, field string, in []string) []string {
	var out []string
	seen := map[string]bool{}
	v.Check(len(in) <= maxLinks, field, "too_many", "at most 20")
	for i, id := range in {
		id = strings.TrimSpace(id)
		if _, err := uuid.Parse(id); err != nil {
			v.Add(field+"["+itoa(i)+"]", "invalid", "must be an id")
			continue
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func checkText(v *apperr.Validation, field, s string, max int, required bool) {
	if required {
		v.Check(strings.TrimSpace(s) != "", field, "required", "is required")
	}
	v.Check(utf8.RuneCountInString(s) <= max, field, "too_long", "too long")
}

// Create records an action plan or log on customers the caller may change.
func (s *Service) Create(ctx context.Context, in Input) (Result, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	var v apperr.Validation
	v.Check(in.Kind == KindPlan || in.Kind == KindLog, "kind", "invalid", "plan or log")
	v.Check(slices.Contains(Categories, in.Category), "category", "invalid", "one of "+strings.Join(Categories, ", "))
	v.Check(slices.Contains(Departments, in.Department), "department", "invalid", "one of "+strings.Join(Departments, ", "))
	checkText(&v, "title", in.Title, 200, true)
	checkText(&v, "summary", in.Summary, maxText, in.Kind == KindLog)
	checkText(&v, "outcome", in.Outcome, maxText, false)
	checkText(&v, "next_step", in.NextStep, maxText, false)
	custs := ids(&v, "customer_ids", in.CustomerIDs)
	v.Check(len(in.CustomerIDs) > 0, "customer_ids", "required", "name at least one customer")
	contacts := ids(&v, "contact_ids", in.ContactIDs)
	leads := ids(&v, "lead_ids", in.LeadIDs)
	opps := ids(&v, "opportunity_ids", in.OpportunityIDs)
	row := Row{ID: uuid.Must(uuid.NewV7()).String(), Kind: in.Kind, Category: in.Category, Department: in.Department, ActorID: p.Subject,
		Title: strings.TrimSpace(in.Title), Summary: strings.TrimSpace(in.Summary), Outcome: in.Outcome, NextStep: in.NextStep, CreatedAt: now, UpdatedAt: now}
	switch in.Kind {
	case KindPlan:
		if v.Check(in.PlannedFor != nil, "planned_for", "required", "when the action is planned") {
			v.Check(in.PlannedFor.After(now.Add(-24*time.Hour)), "planned_for", "in_past", "a plan is for now or later")
			t := in.PlannedFor.UTC()
			row.PlannedFor, row.OccurredAt = &t, t
		}
		v.Check(in.DoneAt == nil, "done_at", "not_allowed", "a plan is not done yet; complete it later")
		row.Status = StatusPlanned
	case KindLog:
		t := now
		if in.DoneAt != nil {
			t = in.DoneAt.UTC()
			v.Check(!t.After(now.Add(time.Minute)), "done_at", "in_future", "a log records what was done")
			v.Check(t.After(now.Add(-30*24*time.Hour)), "done_at", "too_old", "at most 30 days ago")
		}
		row.DoneAt, row.OccurredAt, row.Status = &t, t, StatusDone
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	// Every customer must be one the caller may change; contacts must belong to them.
	scope := p.Scope()
	for i, id := range custs {
		if _, err := s.customers.GetCustomer(ctx, id, scope, false); err != nil {
			if errors.Is(err, domain.ErrCustomerNotFound) {
				v.Add("customer_ids["+itoa(i)+"]", "not_found", "no such customer, or not one of yours")
				continue
			}
			return Result{}, err
		}
	}
	links := make([]Link, 0, len(custs)+len(contacts)+len(leads)+len(opps))
	for _, id := range custs {
		links = append(links, Link{ActionID: row.ID, SubjectType: "customer", SubjectID: id, CustomerID: id, OccurredAt: row.OccurredAt})
	}
	for i, id := range contacts {
		var c adapters.ContactRecord
		err := s.db.WithContext(ctx).Where("id = ? AND deleted_at IS NULL AND customer_id IN ?", id, custs).Take(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			v.Add("contact_ids["+itoa(i)+"]", "not_found", "no such contact of the named customers")
			continue
		} else if err != nil {
			return Result{}, err
		}
		links = append(links, Link{ActionID: row.ID, SubjectType: "contact", SubjectID: id, CustomerID: c.CustomerID, OccurredAt: row.OccurredAt})
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	// Leads and opportunities live in the sales service: kept as references,
	// filed under the first customer.
	for _, id := range leads {
		links = append(links, Link{ActionID: row.ID, SubjectType: "lead", SubjectID: id, CustomerID: custs[0], OccurredAt: row.OccurredAt})
	}
	for _, id := range opps {
		links = append(links, Link{ActionID: row.ID, SubjectType: "opportunity", SubjectID: id, CustomerID: custs[0], OccurredAt: row.OccurredAt})
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Create(&links).Error; err != nil {
			return err
		}
		if row.Kind == KindLog && slices.Contains(contactCategories, row.Category) {
			return care.Touch(tx, custs, row.OccurredAt) // the care cadence restarts
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{Action: view(row, links), ClosedFollowUps: []Closed{}}
	if row.Kind == KindLog {
		res.ClosedFollowUps, res.NotClosed = s.closeAnswered(ctx, p, row, custs, leads)
	}
	return res, nil
}

// closeAnswered closes the open follow-ups a logged contact answers.
func (s *Service) closeAnswered(ctx context.Context, p auth.Principal, row Row, customers, leads []string) ([]Closed, []NotClosed) {
	closed, failed := []Closed{}, []NotClosed(nil)
	if !slices.Contains(contactCategories, row.Category) {
		return closed, nil
	}
	note := "contact logged (" + row.Category + "): " + row.Title
	// Care is owed to the customer: a contact by anyone answers it.
	if s.care != nil {
		rows, err := s.care.CloseAnswered(ctx, customers, p.Subject)
		if err != nil {
			failed = append(failed, NotClosed{Kind: policy.KindCareContact, Reason: "could not close the customer's care follow-up: the next care sweep closes it"})
		}
		for _, r := range rows {
			closed = append(closed, Closed{ID: r.ID, Kind: r.Kind, Owner: r.OwnerID})
		}
	}
	for _, cid := range customers {
		items, err := s.followups.OpenFirstContacts(ctx, cid)
		if err != nil {
			failed = append(failed, NotClosed{Kind: policy.KindFirstContact,
				Reason: "could not list the customer's follow-ups (" + apperr.From(err).Message + "): retry by completing them"})
			continue
		}
		for _, f := range items {
			if !answersLead(f, leads, p.Subject) {
				continue
			}
			if _, err := s.followups.Complete(ctx, f.ID, note); err != nil {
				failed = append(failed, NotClosed{ID: f.ID, Kind: f.Kind, Reason: apperr.From(err).Message})
				continue
			}
			closed = append(closed, Closed{ID: f.ID, Kind: f.Kind, Owner: f.OwnerID})
		}
	}
	return closed, failed
}

// answersLead: a first-contact follow-up is answered by a contact logged on
// its lead, or — when no lead is named — by its own owner's contact.
func answersLead(f client.FollowUp, leads []string, actor string) bool {
	if len(leads) == 0 {
		return f.OwnerID == actor
	}
	for _, id := range leads {
		if f.WorkflowID == wfc.LeadWorkflowID(id) {
			return true
		}
	}
	return false
}

// Get returns an action on a customer the caller may see.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return View{}, err
	}
	row, links, err := s.visible(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	return view(row, links), nil
}

var errNotFound = apperr.NotFound("action_not_found", "no such action")

func (s *Service) visible(ctx context.Context, p auth.Principal, id string) (Row, []Link, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Row{}, nil, errNotFound
	}
	var row Row
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Row{}, nil, errNotFound
		}
		return Row{}, nil, err
	}
	var links []Link
	if err := s.db.WithContext(ctx).Where("action_id = ?", id).Order("subject_type, subject_id").Find(&links).Error; err != nil {
		return Row{}, nil, err
	}
	// Visible when one of its customers is.
	for _, l := range links {
		if l.SubjectType != "customer" {
			continue
		}
		if _, err := s.customers.GetCustomer(ctx, l.CustomerID, p.Scope(), false); err == nil {
			return row, links, nil
		} else if !errors.Is(err, domain.ErrCustomerNotFound) {
			return Row{}, nil, err
		}
	}
	return Row{}, nil, errNotFound
}

// CompleteInput turns a plan into a log.
type CompleteInput struct {
	Summary, Outcome, NextStep string
	DoneAt                     *time.Time
}

// Complete records that a planned action was done; a contact closes the
// follow-ups it answers.
func (s *Service) Complete(ctx context.Context, id string, in CompleteInput) (Result, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return Result{}, err
	}
	row, links, err := s.visible(ctx, p, id)
	if err != nil {
		return Result{}, err
	}
	if row.ActorID != p.Subject && !p.Has(auth.RoleManager) && !p.Has(auth.RoleAdmin) {
		return Result{}, apperr.Forbidden("not_your_action", "only the person who planned it or a manager may complete it")
	}
	if row.Status != StatusPlanned {
		return Result{}, apperr.Rule("not_planned", "the action is already "+row.Status)
	}
	now := s.now()
	var v apperr.Validation
	checkText(&v, "summary", in.Summary, maxText, true)
	checkText(&v, "outcome", in.Outcome, maxText, false)
	checkText(&v, "next_step", in.NextStep, maxText, false)
	t := now
	if in.DoneAt != nil {
		t = in.DoneAt.UTC()
		v.Check(!t.After(now.Add(time.Minute)), "done_at", "in_future", "a log records what was done")
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}
	res := s.db.WithContext(ctx).Model(&Row{}).Where("id = ? AND status = ?", id, StatusPlanned).Updates(map[string]any{
		"kind": KindLog, "status": StatusDone, "summary": strings.TrimSpace(in.Summary), "outcome": in.Outcome, "next_step": in.NextStep,
		"done_at": t, "occurred_at": t, "updated_at": now})
	if res.Error != nil {
		return Result{}, res.Error
	}
	if res.RowsAffected == 0 {
		return Result{}, apperr.Rule("not_planned", "the action was completed or cancelled meanwhile")
	}
	if err := s.db.WithContext(ctx).Model(&Link{}).Where("action_id = ?", id).Update("occurred_at", t).Error; err != nil {
		return Result{}, err
	}
	row, links, err = s.visible(ctx, p, id)
	if err != nil {
		return Result{}, err
	}
	var custs, leads []string
	for _, l := range links {
		switch l.SubjectType {
		case "customer":
			custs = append(custs, l.SubjectID)
		case "lead":
			leads = append(leads, l.SubjectID)
		}
	}
	out := Result{Action: view(row, links)}
	out.ClosedFollowUps, out.NotClosed = s.closeAnswered(ctx, p, row, custs, leads)
	return out, nil
}

// Cancel drops a planned action.
func (s *Service) Cancel(ctx context.Context, id string) (View, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersWrite)
	if err != nil {
		return View{}, err
	}
	row, _, err := s.visible(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if row.ActorID != p.Subject && !p.Has(auth.RoleManager) && !p.Has(auth.RoleAdmin) {
		return View{}, apperr.Forbidden("not_your_action", "only the person who planned it or a manager may cancel it")
	}
	res := s.db.WithContext(ctx).Model(&Row{}).Where("id = ? AND status = ?", id, StatusPlanned).
		Updates(map[string]any{"status": StatusCancelled, "updated_at": s.now()})
	if res.Error != nil {
		return View{}, res.Error
	}
	if res.RowsAffected == 0 {
		return View{}, apperr.Rule("not_planned", "only a planned action can be cancelled; it is "+row.Status)
	}
	r, links, err := s.visible(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	return view(r, links), nil
}

// HistoryCursor is a position in a customer's history (newest first).
type HistoryCursor struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// HistoryPage is a page of a customer's contact history.
type HistoryPage struct {
	Items      []View `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// History is one customer's contact history across all departments, newest
// first: every action linked to it, to one of its contacts, or through one of
// its leads or opportunities filed under it.
func (s *Service) History(ctx context.Context, customerID, kind, department string, after *HistoryCursor, limit int) (HistoryPage, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return HistoryPage{}, err
	}
	if _, err := uuid.Parse(customerID); err != nil {
		return HistoryPage{}, domain.ErrCustomerNotFound
	}
	if _, err := s.customers.GetCustomer(ctx, customerID, p.Scope(), false); err != nil {
		return HistoryPage{}, err
	}
	var v apperr.Validation
	v.Check(kind == "" || kind == KindPlan || kind == KindLog, "kind", "invalid", "plan or log")
	v.Check(department == "" || slices.Contains(Departments, department), "department", "invalid", "one of "+strings.Join(Departments, ", "))
	if err := v.Err(); err != nil {
		return HistoryPage{}, err
	}
	q := s.db.WithContext(ctx).Model(&Row{}).Where("id IN (?)", s.db.Model(&Link{}).Select("action_id").Where("customer_id = ?", customerID))
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if department != "" {
		q = q.Where("department = ?", department)
	}
	if after != nil {
		q = q.Where("(occurred_at, id) < (?, ?)", after.At, after.ID)
	}
	var rows []Row
	if err := q.Order("occurred_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return HistoryPage{}, err
	}
	page := HistoryPage{Items: []View{}}
	for i, r := range rows {
		if i == limit {
			page.NextCursor = httpx.EncodeCursor(HistoryCursor{At: rows[i-1].OccurredAt, ID: rows[i-1].ID})
			break
		}
		var links []Link
		if err := s.db.WithContext(ctx).Where("action_id = ?", r.ID).Order("subject_type, subject_id").Find(&links).Error; err != nil {
			return HistoryPage{}, err
		}
		page.Items = append(page.Items, view(r, links))
	}
	return page, nil
}

func view(r Row, links []Link) View {
	v := View{ID: r.ID, Kind: r.Kind, Status: r.Status, Category: r.Category, Department: r.Department, ActorID: r.ActorID, Title: r.Title,
		Summary: r.Summary, Outcome: r.Outcome, NextStep: r.NextStep, PlannedFor: r.PlannedFor, DoneAt: r.DoneAt, OccurredAt: r.OccurredAt,
		CustomerIDs: []string{}, ContactIDs: []string{}, LeadIDs: []string{}, OpportunityIDs: []string{}, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	for _, l := range links {
		switch l.SubjectType {
		case "customer":
			v.CustomerIDs = append(v.CustomerIDs, l.SubjectID)
		case "contact":
			v.ContactIDs = append(v.ContactIDs, l.SubjectID)
		case "lead":
			v.LeadIDs = append(v.LeadIDs, l.SubjectID)
		case "opportunity":
			v.OpportunityIDs = append(v.OpportunityIDs, l.SubjectID)
		}
	}
	return v
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
