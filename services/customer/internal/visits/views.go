package visits

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/services/customer/internal/adapters"
	"github.com/closeloop/closeloop/workflows/visit"
)

// View is a visit as the API shows it.
type View struct {
	ID           string            `json:"id"`
	CustomerID   string            `json:"customer_id"`
	Day          string            `json:"day"`
	StartAt      time.Time         `json:"start_at"`
	EndAt        time.Time         `json:"end_at"`
	Status       string            `json:"status"`
	BookedBy     string            `json:"booked_by"`
	Team         string            `json:"team"`
	Department   string            `json:"department"`
	Purpose      string            `json:"purpose"`
	Participants []ParticipantView `json:"participants"`
	Log          *LogView          `json:"log,omitempty"`
	Cancellation *CancelView       `json:"cancellation,omitempty"`
	WorkflowID   string            `json:"workflow_id"`
	CreatedAt    time.Time         `json:"created_at"`
	Events       []EventView       `json:"events,omitempty"`
}

// ParticipantView is one visitor.
type ParticipantView struct {
	UserID     string    `json:"user_id"`
	Department string    `json:"department"`
	Purpose    string    `json:"purpose"`
	Role       string    `json:"role"`
	JoinedAt   time.Time `json:"joined_at"`
}

// LogView is a visit's log.
type LogView struct {
	Summary  string    `json:"summary"`
	Outcome  string    `json:"outcome"`
	NextStep string    `json:"next_step"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// CancelView says who cancelled a visit, when and why.
type CancelView struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason"`
	MovedTo string    `json:"moved_to,omitempty"`
}

// EventView is one entry of a visit's timeline; with a recipient, a
// notification to that person.
type EventView struct {
	Kind      string    `json:"kind"`
	Actor     string    `json:"actor"`
	Recipient string    `json:"recipient,omitempty"`
	Summary   string    `json:"summary"`
	At        time.Time `json:"at"`
}

// Page is a list of visits.
type Page struct {
	Items     []View `json:"items"`
	Truncated bool   `json:"truncated"`
}

func viewOf(r Row, ps []ParticipantRow) View {
	v := View{ID: r.ID, CustomerID: r.CustomerID, Day: r.Day, StartAt: r.StartAt, EndAt: r.EndAt, Status: r.Status, BookedBy: r.BookedBy,
		Team: r.Team, Department: r.Department, Purpose: r.Purpose, WorkflowID: r.WorkflowID, CreatedAt: r.CreatedAt,
		Participants: make([]ParticipantView, 0, len(ps))}
	for _, p := range ps {
		v.Participants = append(v.Participants, ParticipantView{UserID: p.UserID, Department: p.Department, Purpose: p.Purpose, Role: p.Role, JoinedAt: p.JoinedAt})
	}
	if r.LoggedAt != nil {
		v.Log = &LogView{Summary: r.LogSummary, Outcome: r.LogOutcome, NextStep: r.LogNextStep, At: *r.LoggedAt}
		if r.LoggedBy != nil {
			v.Log.By = *r.LoggedBy
		}
	}
	if r.CancelledAt != nil {
		v.Cancellation = &CancelView{At: *r.CancelledAt, Reason: r.CancelReason, MovedTo: r.MovedTo}
		if r.CancelledBy != nil {
			v.Cancellation.By = *r.CancelledBy
		}
	}
	return v
}

func (s *Service) view(ctx context.Context, id string, events bool) (View, error) {
	r, err := s.store.Visit(ctx, id)
	if err != nil {
		return View{}, err
	}
	ps, err := s.store.Participants(ctx, []string{id})
	if err != nil {
		return View{}, err
	}
	v := viewOf(r, ps[id])
	if events {
		evs, err := s.store.Events(ctx, id)
		if err != nil {
			return View{}, err
		}
		v.Events = make([]EventView, len(evs))
		for i, e := range evs {
			v.Events[i] = EventView{Kind: e.Kind, Actor: e.Actor, Recipient: e.Recipient, Summary: e.Summary, At: e.At}
		}
	}
	return v, nil
}

// Get returns a visit with its timeline.
func (s *Service) Get(ctx context.Context, id string) (View, error) {
	if _, _, err := s.visible(ctx, auth.PermCustomersRead, id); err != nil {
		return View{}, err
	}
	return s.view(ctx, id, true)
}

// Filter narrows the calendar views.
type Filter struct {
	Department string // visits this department takes part in
	UserID     string // visits this person takes part in
	CustomerID string
	From, To   string // days, inclusive
	Status     string // booked, cancelled, done; "" = all
	Limit      int
}

// maxRange is the longest date range one calendar view covers.
const maxRange = 366

func (f *Filter) check(requireRange bool) error {
	var v apperr.Validation
	if f.Department != "" {
		v.Check(visit.ValidDepartment(f.Department), "department", "invalid", "department must be sales, service or marketing")
	}
	if f.Status != "" {
		v.Check(f.Status == visit.StatusBooked || f.Status == visit.StatusCancelled || f.Status == visit.StatusDone, "status", "invalid",
			"status must be booked, cancelled or done")
	}
	v.Check(len(f.UserID) <= 200, "user_id", "too_long", "at most 200 characters")
	if requireRange {
		v.Check(f.From != "", "from", "required", "the first day, YYYY-MM-DD")
		v.Check(f.To != "", "to", "required", "the last day, YYYY-MM-DD")
	}
	from, err1 := time.Parse(visit.DayLayout, f.From)
	to, err2 := time.Parse(visit.DayLayout, f.To)
	if f.From != "" {
		v.Check(err1 == nil, "from", "invalid", "a day, YYYY-MM-DD")
	}
	if f.To != "" {
		v.Check(err2 == nil, "to", "invalid", "a day, YYYY-MM-DD")
	}
	if f.From != "" && f.To != "" && err1 == nil && err2 == nil {
		v.Check(!to.Before(from), "to", "invalid", "to is before from")
		v.Check(to.Sub(from) <= maxRange*24*time.Hour, "to", "out_of_range", "at most 366 days per view")
	}
	if f.Limit == 0 {
		f.Limit = 200
	}
	v.Check(f.Limit >= 1 && f.Limit <= 1000, "limit", "out_of_range", "1..1000")
	return v.Err()
}

func (s *Service) list(ctx context.Context, scope auth.Scope, f Filter) (Page, error) {
	q := s.db.WithContext(ctx).Table("visits v").Select("v.*").Joins("JOIN customers c ON c.id = v.customer_id")
	q = adapters.Scoped(q, scope, "c.")
	if f.CustomerID != "" {
		q = q.Where("v.customer_id = ?", f.CustomerID)
	}
	if f.From != "" {
		q = q.Where("v.day >= ?", f.From)
	}
	if f.To != "" {
		q = q.Where("v.day <= ?", f.To)
	}
	if f.Status != "" {
		q = q.Where("v.status = ?", f.Status)
	}
	part := func(col, val string) *gorm.DB {
		return s.db.Table("visit_participants p").Select("1").Where("p.visit_id = v.id AND p."+col+" = ?", val)
	}
	if f.Department != "" {
		q = q.Where("EXISTS (?)", part("department", f.Department))
	}
	if f.UserID != "" {
		q = q.Where("EXISTS (?)", part("user_id", f.UserID))
	}
	var rows []Row
	if err := q.Order("v.day, v.start_at, v.id").Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return Page{}, err
	}
	out := Page{Items: []View{}}
	if len(rows) > f.Limit {
		rows, out.Truncated = rows[:f.Limit], true
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	ps, err := s.store.Participants(ctx, ids)
	if err != nil {
		return Page{}, err
	}
	for _, r := range rows {
		out.Items = append(out.Items, viewOf(r, ps[r.ID]))
	}
	return out, nil
}

// List is the calendar view of a department or a rep over a date range:
// the visits, in the caller's customer scope, they take part in.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return Page{}, err
	}
	if err := f.check(true); err != nil {
		return Page{}, err
	}
	return s.list(ctx, p.Scope(), f)
}

// ForCustomer lists a customer's visits, past and future, by day.
func (s *Service) ForCustomer(ctx context.Context, customerID string, f Filter) (Page, error) {
	p, err := auth.Authorize(ctx, auth.PermCustomersRead)
	if err != nil {
		return Page{}, err
	}
	if err := f.check(false); err != nil {
		return Page{}, err
	}
	if _, err := s.customerOf(ctx, customerID, p.Scope()); err != nil {
		return Page{}, err
	}
	f.CustomerID = customerID
	return s.list(ctx, p.Scope(), f)
}
