package visit

import (
	"time"

	visitv1 "github.com/closeloop/closeloop/proto/gen/closeloop/visit/v1"
)

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

// What customer.DecideVisitRequest found besides booked, joined and offered
// (DecideResult.outcome).
const (
	// DecidedRepeat: the requester already takes part in the day's visit.
	DecidedRepeat = "repeat"
	// DecidedOffer: the requester declined to join the day's visit; the
	// workflow finds the day to offer and records the offer.
	DecidedOffer = "offer"
	// DecidedRefused: the day as stored refuses the request (code, message).
	DecidedRefused = "refused"
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

// The workflow's payloads are protobuf messages, like every other workflow
// contract (proto/closeloop/visit/v1/visit.proto); these names are where a
// reader of this package finds them. Instants are RFC 3339 strings and the
// words above (departments, outcomes, roles, statuses) plain strings, so that
// the JSON payloads of executions started before the move still decode (see
// the .proto file); Stamp and At convert.
type (
	// Input starts the Visit workflow of one customer-day (Visit:<customer>:<day>).
	Input = visitv1.Input
	// Request is the visit-request update.
	Request = visitv1.Request
	// Decision is the answer to a request.
	Decision = visitv1.Decision
	// Cancel is the visit-cancel update (also the first half of a reschedule).
	Cancel = visitv1.Cancel
	// Log is the visit-log update.
	Log = visitv1.Log
	// Participant is one visitor.
	Participant = visitv1.Participant
	// State is what the visit-state query answers.
	State = visitv1.State
	// BookInput is customer.BookVisit's input.
	BookInput = visitv1.BookInput
	// DecideInput is customer.DecideVisitRequest's input.
	DecideInput = visitv1.DecideInput
	// DecideResult is customer.DecideVisitRequest's result.
	DecideResult = visitv1.DecideResult
	// JoinInput is customer.JoinVisit's input.
	JoinInput = visitv1.JoinInput
	// EventInput is customer.RecordVisitEvent's input.
	EventInput = visitv1.EventInput
	// BookedDaysInput is customer.VisitBookedDays' input.
	BookedDaysInput = visitv1.BookedDaysInput
	// BookedDaysResult is customer.VisitBookedDays' result.
	BookedDaysResult = visitv1.BookedDaysResult
	// CancelInput is customer.CancelVisit's input.
	CancelInput = visitv1.CancelInput
	// LogInput is customer.LogVisit's input.
	LogInput = visitv1.LogInput
)

// Stamp writes an instant as the payloads carry it: RFC 3339 in UTC, with
// fractional seconds as needed; the zero instant is "".
func Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ParseAt reads an instant of a payload: RFC 3339, in any offset (payloads
// written before the move to proto kept the offset they had), "" being the
// zero instant.
func ParseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// At is ParseAt for instants the workflow wrote itself or the API checked:
// a malformed one reads as the zero instant.
func At(s string) time.Time {
	t, _ := ParseAt(s)
	return t
}
