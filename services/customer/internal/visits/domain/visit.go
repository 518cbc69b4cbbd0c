// Package domain holds the visits context's own rules, the ones that are not
// the Visit workflow's (workflows/visit decides who books, joins or is
// offered a day, and when a visit is reminded and escalated): whether a
// request may be sent to the workflow at all (its fields, its day, and the
// rules for booking that day — checked here, decided nowhere else), who may
// cancel, move or log a visit, what a booking, a join, a cancellation or a
// log stores and writes on the visit's timeline, how a visit, its
// participants and its timeline are shown, and which day a campaign's visit
// touch asks for and what its answer says (touch.go).
//
// It owns no storage, no Temporal and no HTTP: every function is pure and is
// tested without a database. It does not load customers, calendars or
// visits; the app passes in what it loaded.
package domain

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Stored lengths: longer words are cut to these many characters.
const (
	MaxPurpose  = 2000
	MaxSummary  = 2000 // a timeline entry's summary, a cancellation's reason
	MaxLog      = 4000 // a log's summary
	MaxOutcome  = 200
	MaxNextStep = 2000
)

// Participant roles.
const (
	RoleBooker = "booker"
	RoleJoined = "joined"
)

// ErrNotFound is an unknown visit, or one whose customer the caller cannot see.
var ErrNotFound = apperr.NotFound("visit_not_found", "no such visit")

// ErrUnchanged is a change that finds nothing to do (a retried activity, or
// a visit already cancelled or logged): the repository stores nothing and
// reports no error.
var ErrUnchanged = errors.New("visits: nothing to change")

// Customer is what the visit rules need of a customer.
type Customer struct {
	ID, Team, Region string
}

// Visit is a stored visit. NewEvents and ContactAt are what a change decided
// besides the visit's own fields: the timeline entries it adds and the
// instant the customer was last contacted (a logged visit is a contact at
// its start); the repository stores them with the visit.
type Visit struct {
	ID           string
	WorkflowID   string
	CustomerID   string
	Day          string
	StartAt      time.Time
	EndAt        time.Time
	Status       string
	BookedBy     string
	Team         string
	Department   string
	Purpose      string
	LogSummary   string
	LogOutcome   string
	LogNextStep  string
	LoggedBy     *string
	LoggedAt     *time.Time
	CancelledBy  *string
	CancelledAt  *time.Time
	CancelReason string
	MovedTo      string
	CreatedAt    time.Time
	UpdatedAt    time.Time

	NewEvents []Event
	ContactAt *time.Time
}

// Participant is one visitor of a visit.
type Participant struct {
	VisitID    string
	RequestID  string
	UserID     string
	Department string
	Purpose    string
	Role       string
	JoinedAt   time.Time
}

// Event is one entry of a visit's timeline; with a recipient it is a
// notification to that person ("managers:<team>" for a team's managers).
// Its id makes a retried write store it once.
type Event struct {
	ID        string
	VisitID   string
	Kind      string
	Actor     string
	Recipient string
	Summary   string
	Data      string // a JSON object
	At        time.Time
}

// Clip cuts s to at most n characters.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// Entry is e as the timeline keeps it: its summary cut to MaxSummary, its
// data an object ("{}" when it has none).
func Entry(e Event) Event {
	e.Summary = Clip(e.Summary, MaxSummary)
	if e.Data == "" {
		e.Data = "{}"
	}
	return e
}

func jsonOf(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// Booking is the Visit workflow's booking of a customer-day.
type Booking struct {
	VisitID, WorkflowID, RequestID, CustomerID, Day string
	StartAt, EndAt                                  time.Time
	BookedBy, Team, Department, Purpose             string
	// NonWorkingDayBy is who allowed a day without working time ("" for a
	// working day).
	NonWorkingDayBy string
	At              time.Time
}

// Book is the booked visit with its booker, and its timeline: booked, and
// the non-working-day override when there was one.
func Book(b Booking) (Visit, Participant) {
	v := Visit{ID: b.VisitID, WorkflowID: b.WorkflowID, CustomerID: b.CustomerID, Day: b.Day, StartAt: b.StartAt, EndAt: b.EndAt,
		Status: visit.StatusBooked, BookedBy: b.BookedBy, Team: b.Team, Department: b.Department, Purpose: Clip(b.Purpose, MaxPurpose),
		CreatedAt: b.At, UpdatedAt: b.At}
	p := Participant{VisitID: b.VisitID, RequestID: b.RequestID, UserID: b.BookedBy, Department: b.Department,
		Purpose: Clip(b.Purpose, MaxPurpose), Role: RoleBooker, JoinedAt: b.At}
	v.NewEvents = append(v.NewEvents, Entry(Event{ID: b.VisitID + ":booked", VisitID: b.VisitID, Kind: "booked", Actor: b.BookedBy,
		Summary: b.BookedBy + " of " + b.Department + " booked the visit: " + b.Purpose, At: b.At}))
	if b.NonWorkingDayBy != "" {
		v.NewEvents = append(v.NewEvents, Entry(Event{ID: b.VisitID + ":non-working-day", VisitID: b.VisitID, Kind: "non_working_day",
			Actor: b.NonWorkingDayBy, Summary: b.Day + " is not a working day in the customer's calendar; " + b.NonWorkingDayBy + " allowed the visit",
			Data: jsonOf(map[string]string{"allowed_by": b.NonWorkingDayBy, "day": b.Day}), At: b.At}))
	}
	return v, p
}

// ErrDayTaken refuses a booking of a day that holds another live visit.
func ErrDayTaken(day string) error {
	return apperr.Conflict(visit.CodeDayTaken, "the customer already has a visit on "+day)
}

// Joining is a person joining a booked visit.
type Joining struct {
	VisitID, RequestID, UserID, Department, Purpose string
	Notify                                          string // who is told: the booker
	At                                              time.Time
}

// Join is the new participant and the notice to the booker of who joins and
// why. One participant per person: the repository adds neither when the
// person already takes part.
func Join(j Joining) (Participant, Event) {
	return Participant{VisitID: j.VisitID, RequestID: j.RequestID, UserID: j.UserID, Department: j.Department,
			Purpose: Clip(j.Purpose, MaxPurpose), Role: RoleJoined, JoinedAt: j.At},
		Entry(Event{ID: j.VisitID + ":joined:" + j.RequestID, VisitID: j.VisitID, Kind: "joined", Actor: j.UserID, Recipient: j.Notify,
			Summary: j.UserID + " of " + j.Department + " joins: " + j.Purpose,
			Data:    jsonOf(map[string]string{"user_id": j.UserID, "department": j.Department, "purpose": j.Purpose}), At: j.At})
}

// Cancellation is the workflow's cancellation of a booked visit.
type Cancellation struct {
	Actor, Reason, MovedTo string
	Notify                 []string // the other visitors
	At                     time.Time
}

// Cancel cancels a booked visit (moved, with MovedTo) and tells the other
// visitors; a visit that is not booked is left as it is (ErrUnchanged).
func (v *Visit) Cancel(c Cancellation) error {
	if v.Status != visit.StatusBooked {
		return ErrUnchanged
	}
	actor, at := c.Actor, c.At
	v.Status, v.CancelledBy, v.CancelledAt, v.CancelReason, v.MovedTo, v.UpdatedAt =
		visit.StatusCancelled, &actor, &at, Clip(c.Reason, MaxSummary), c.MovedTo, c.At
	what := "cancelled"
	if c.MovedTo != "" {
		what = "moved to " + c.MovedTo
	}
	v.NewEvents = append(v.NewEvents, Entry(Event{ID: v.ID + ":cancelled", VisitID: v.ID, Kind: "cancelled", Actor: c.Actor,
		Summary: c.Actor + " " + what + " the visit: " + c.Reason, At: c.At}))
	for _, u := range c.Notify {
		v.NewEvents = append(v.NewEvents, Entry(Event{ID: v.ID + ":cancelled:" + u, VisitID: v.ID, Kind: "cancel_notice", Actor: c.Actor,
			Recipient: u, Summary: "the visit you join was " + what + " by " + c.Actor + ": " + c.Reason, At: c.At}))
	}
	return nil
}

// LogEntry is the workflow's record of what a visit achieved.
type LogEntry struct {
	Actor, Summary, Outcome, NextStep string
	At                                time.Time
}

// RecordLog marks a booked visit done with its log; a visit is a contact, so
// the customer's care cadence restarts at its start (ContactAt). A visit
// that is not booked is left as it is (ErrUnchanged).
func (v *Visit) RecordLog(l LogEntry) error {
	if v.Status != visit.StatusBooked {
		return ErrUnchanged
	}
	actor, at, start := l.Actor, l.At, v.StartAt
	v.Status, v.LogSummary, v.LogOutcome, v.LogNextStep, v.LoggedBy, v.LoggedAt, v.UpdatedAt =
		visit.StatusDone, Clip(l.Summary, MaxLog), Clip(l.Outcome, MaxOutcome), Clip(l.NextStep, MaxNextStep), &actor, &at, l.At
	v.ContactAt = &start
	v.NewEvents = append(v.NewEvents, Entry(Event{ID: v.ID + ":logged", VisitID: v.ID, Kind: "logged", Actor: l.Actor,
		Summary: l.Actor + " logged the visit: " + l.Summary, At: l.At}))
	return nil
}
