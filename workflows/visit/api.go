package visit

import "time"

// Departments that may request a visit.
const (
	DeptSales     = "sales"
	DeptService   = "service"
	DeptMarketing = "marketing"
)

// Departments returns every department, in a stable order.
func Departments() []string { return []string{DeptSales, DeptService, DeptMarketing} }

// ValidDepartment reports whether d is a known department.
func ValidDepartment(d string) bool {
	return d == DeptSales || d == DeptService || d == DeptMarketing
}

// Outcomes of a visit request: every request gets exactly one.
const (
	// OutcomeBooked: the day was free; the request booked it.
	OutcomeBooked = "booked"
	// OutcomeJoined: the day was booked; the requester joins that visit.
	OutcomeJoined = "joined"
	// OutcomeOffered: the day was booked and the requester declined to join;
	// the answer names the next working day without a visit. Nothing is booked.
	OutcomeOffered = "offered"
)

// Roles of a participant.
const (
	RoleBooker = "booker"
	RoleJoined = "joined"
)

// Statuses of a visit.
const (
	StatusBooked    = "booked"
	StatusCancelled = "cancelled"
	StatusDone      = "done" // logged
)

// Input starts the Visit workflow of one customer-day (Visit:<customer>:<day>).
type Input struct {
	CustomerID string `json:"customer_id"`
	Day        string `json:"day"` // YYYY-MM-DD in the customer's calendar
	// Team and Region of the customer: they choose the business calendar.
	Team   string `json:"team"`
	Region string `json:"region"`
}

// Request is the request update: a department asks for a visit on the day.
// The API has checked the requester's rights, the customer and the day rule;
// the workflow decides booked, joined or offered.
type Request struct {
	CustomerID  string    `json:"customer_id"`
	Day         string    `json:"day"`
	RequesterID string    `json:"requester_id"`
	Team        string    `json:"team"` // the requester's team: the log follow-up escalates to its managers
	Department  string    `json:"department"`
	Purpose     string    `json:"purpose"`
	StartAt     time.Time `json:"start_at"`
	EndAt       time.Time `json:"end_at"`
	Join        bool      `json:"join"`
	// JoinOnly: the API let the request through because the day held a
	// visit (it would not book the day: a non-working day, a start that has
	// passed, a visit past midnight); with the day free it is refused.
	JoinOnly bool `json:"join_only,omitempty"`
	// NonWorkingDayBy is who allowed a booking on a day without working
	// time in the customer's calendar (the override is recorded with the
	// visit); empty on a working day.
	NonWorkingDayBy string `json:"non_working_day_by,omitempty"`
}

// Decision is the answer to a request.
type Decision struct {
	Outcome string `json:"outcome"`
	// Repeat: the requester already took part in the day's visit; nothing
	// changed (Role says as what).
	Repeat     bool   `json:"repeat,omitempty"`
	Role       string `json:"role,omitempty"` // booker or joined, for those outcomes
	VisitID    string `json:"visit_id"`
	Day        string `json:"day"`
	OfferedDay string `json:"offered_day,omitempty"`
	Message    string `json:"message"`
}

// Cancel is the cancel update (also the first half of a reschedule).
type Cancel struct {
	VisitID string `json:"visit_id"`
	Actor   string `json:"actor"`
	Reason  string `json:"reason"`
	MovedTo string `json:"moved_to,omitempty"` // the new day of a reschedule
}

// Log is the log update: what the visit achieved.
type Log struct {
	VisitID  string `json:"visit_id"`
	Actor    string `json:"actor"`
	Summary  string `json:"summary"`
	Outcome  string `json:"outcome"`
	NextStep string `json:"next_step"`
}

// Participant is one visitor.
type Participant struct {
	UserID     string    `json:"user_id"`
	Department string    `json:"department"`
	Purpose    string    `json:"purpose"`
	Role       string    `json:"role"` // RoleBooker or RoleJoined
	JoinedAt   time.Time `json:"joined_at"`
}

// State is what the visit-state query answers.
type State struct {
	CustomerID   string        `json:"customer_id"`
	Day          string        `json:"day"`
	VisitID      string        `json:"visit_id,omitempty"`
	Status       string        `json:"status,omitempty"` // "" while the day is free
	BookedBy     string        `json:"booked_by,omitempty"`
	Team         string        `json:"team,omitempty"`
	Department   string        `json:"department,omitempty"`
	StartAt      time.Time     `json:"start_at,omitzero"`
	EndAt        time.Time     `json:"end_at,omitzero"`
	RemindAt     time.Time     `json:"remind_at,omitzero"`
	Reminded     bool          `json:"reminded"`
	Participants []Participant `json:"participants,omitempty"`
	Answered     int           `json:"answered"` // requests answered by this run
	FollowUpID   string        `json:"follow_up_id,omitempty"`
	LogDueAt     time.Time     `json:"log_due_at,omitzero"`
	Cancelled    []string      `json:"cancelled,omitempty"` // visit ids cancelled on this day
}

// Activity payloads (the customer service's visit activities).

// BookInput stores a new booked visit with its booker as first participant.
type BookInput struct {
	VisitID    string    `json:"visit_id"`
	WorkflowID string    `json:"workflow_id"`
	RequestID  string    `json:"request_id"`
	CustomerID string    `json:"customer_id"`
	Day        string    `json:"day"`
	StartAt    time.Time `json:"start_at"`
	EndAt      time.Time `json:"end_at"`
	BookedBy   string    `json:"booked_by"`
	Team       string    `json:"team"`
	Department string    `json:"department"`
	Purpose    string    `json:"purpose"`
	At         time.Time `json:"at"`
	// NonWorkingDayBy: see Request.
	NonWorkingDayBy string `json:"non_working_day_by,omitempty"`
}

// JoinInput adds a participant and tells the booker who joins and why.
type JoinInput struct {
	VisitID    string    `json:"visit_id"`
	RequestID  string    `json:"request_id"`
	UserID     string    `json:"user_id"`
	Department string    `json:"department"`
	Purpose    string    `json:"purpose"`
	Notify     string    `json:"notify"` // the booker
	At         time.Time `json:"at"`
}

// EventInput records one entry of a visit's timeline; Recipient, when set,
// makes it a notification to that person. Idempotent on ID.
type EventInput struct {
	ID        string            `json:"id"`
	VisitID   string            `json:"visit_id"`
	Kind      string            `json:"kind"`
	Actor     string            `json:"actor"`
	Recipient string            `json:"recipient,omitempty"`
	Summary   string            `json:"summary"`
	Data      map[string]string `json:"data,omitempty"`
	At        time.Time         `json:"at"`
}

// BookedDaysInput asks which days of a customer have a visit in [From, To].
type BookedDaysInput struct {
	CustomerID string `json:"customer_id"`
	From       string `json:"from"`
	To         string `json:"to"`
}

// BookedDaysResult lists them.
type BookedDaysResult struct {
	Days []string `json:"days"`
}

// CancelInput cancels a booked visit and tells its participants.
type CancelInput struct {
	Cancel
	Notify []string  `json:"notify"`
	At     time.Time `json:"at"`
}

// LogInput records a visit's log (status done).
type LogInput struct {
	Log
	At time.Time `json:"at"`
}
