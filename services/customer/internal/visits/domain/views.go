package domain

import (
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
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

// ViewOf shows a visit with its participants (always a list, empty when
// none), its log once logged and its cancellation once cancelled; without
// its timeline.
func ViewOf(r Visit, ps []Participant) View {
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

// Timeline shows a visit's timeline entries in the order given (the
// repository loads them oldest first); always a list.
func Timeline(evs []Event) []EventView {
	out := make([]EventView, len(evs))
	for i, e := range evs {
		out[i] = EventView{Kind: e.Kind, Actor: e.Actor, Recipient: e.Recipient, Summary: e.Summary, At: e.At}
	}
	return out
}

// PageOf shows the visits loaded for a page of at most limit (the repository
// loads one more to tell there are more), with their participants by visit id.
func PageOf(vs []Visit, limit int, ps map[string][]Participant) Page {
	out := Page{Items: []View{}}
	if len(vs) > limit {
		vs, out.Truncated = vs[:limit], true
	}
	for _, r := range vs {
		out.Items = append(out.Items, ViewOf(r, ps[r.ID]))
	}
	return out
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

// MaxRange is the longest date range one calendar view covers, in days.
const MaxRange = 366

// Check validates the filter, the date range required or not, and sets the
// default limit (200).
func (f *Filter) Check(requireRange bool) error {
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
		v.Check(to.Sub(from) <= MaxRange*24*time.Hour, "to", "out_of_range", "at most 366 days per view")
	}
	if f.Limit == 0 {
		f.Limit = 200
	}
	v.Check(f.Limit >= 1 && f.Limit <= 1000, "limit", "out_of_range", "1..1000")
	return v.Err()
}
