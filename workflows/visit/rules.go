package visit

import (
	"fmt"
	"strconv"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/wfx"
)

// DayLayout is how a day is written: 2026-10-08.
const DayLayout = "2006-01-02"

// Refusal is a rule a request breaks: the one refusal type of every
// workflow's rules (wfx.Refusal). Its Code is the API's error code; the
// customer service maps it to an HTTP status, so the same words reach the
// caller whether the API or the workflow's update validator refused.
type Refusal = wfx.Refusal

// Refusal codes.
const (
	CodeInvalid          = "invalid"
	CodeInThePast        = "in_the_past"
	CodeNonWorkingDay    = "non_working_day"
	CodeVisitOver        = "visit_over"
	CodeVisitStarted     = "visit_started"
	CodeVisitNotHappened = "visit_not_happened"
	CodeVisitClosed      = "visit_closed"
	CodeNotBooked        = "not_booked"
	CodeAlreadyLogged    = "already_logged"
	CodeDayTaken         = "day_taken"
	// CodeEndsAfterDay: a visit ends on its own day, by midnight in the
	// customer's calendar.
	CodeEndsAfterDay = "ends_after_day"
	// CodeDayFree: a join-only request found the day free (its visit was
	// cancelled meanwhile); asked again, it is checked for booking.
	CodeDayFree = "day_free"
	// CodeOverrideForbidden: only a manager or an admin may book a visit on
	// a non-working day.
	CodeOverrideForbidden = "override_forbidden"
)

// ParseDay reads a day in loc: its midnight.
func ParseDay(day string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(DayLayout, day, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("a day is written YYYY-MM-DD")
	}
	return t, nil
}

// DayBounds returns the first instant of the day and of the next day in loc.
func DayBounds(day string, loc *time.Location) (start, end time.Time, err error) {
	start, err = ParseDay(day, loc)
	if err != nil {
		return start, end, err
	}
	return start, time.Date(start.Year(), start.Month(), start.Day()+1, 0, 0, 0, 0, loc), nil
}

// WorkingDay reports whether the calendar has working time on day.
func WorkingDay(cal *calendar.Calendar, day string) (bool, error) {
	start, end, err := DayBounds(day, cal.Location())
	if err != nil {
		return false, err
	}
	w := cal.NextWorkingInstant(start)
	return !w.IsZero() && w.Before(end), nil
}

// AddDays returns the day n days after day.
func AddDays(day string, n int) string {
	t, err := time.Parse(DayLayout, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, n).Format(DayLayout)
}

// Today is the day instant t falls on in loc.
func Today(t time.Time, loc *time.Location) string { return t.In(loc).Format(DayLayout) }

// NextFreeDay returns the first working day after day, within the days
// [AddDays(day,1), AddDays(day,span)], that is not in booked; "" if none.
func NextFreeDay(cal *calendar.Calendar, day string, span int, booked map[string]bool) string {
	for i := 1; i <= span; i++ {
		d := AddDays(day, i)
		if booked[d] {
			continue
		}
		if ok, err := WorkingDay(cal, d); err == nil && ok {
			return d
		}
	}
	return ""
}

// CheckSpan says whether a visit from start to end fits its day in loc: it
// ends after it starts and no later than midnight at the end of the day. A
// visit at 23:30 lasting 600 minutes would run into the next day — a day
// that may hold another visit, or be a holiday — so it is refused.
func CheckSpan(day string, start, end time.Time, loc *time.Location) *Refusal {
	dayStart, dayEnd, err := DayBounds(day, loc)
	switch {
	case err != nil:
		return &Refusal{Code: CodeInvalid, Field: "day", Message: err.Error()}
	case start.Before(dayStart) || !start.Before(dayEnd):
		return &Refusal{Code: CodeInvalid, Field: "start_time", Message: "the visit starts on another day"}
	case !end.After(start):
		return &Refusal{Code: CodeInvalid, Field: "duration_minutes", Message: "a visit ends after it starts"}
	case end.After(dayEnd):
		left := int(dayEnd.Sub(start) / time.Minute)
		return &Refusal{Code: CodeEndsAfterDay, Field: "duration_minutes", Message: "a visit ends on its day: starting at " + start.In(loc).Format("15:04") +
			" it can last at most " + strconv.Itoa(left) + " minutes"}
	}
	return nil
}

// NonWorkingDay is what decides a request for a day without working time in
// the customer's calendar (a weekend, a public holiday).
type NonWorkingDay struct {
	// Allowed: the operator lets visits be booked on such days at all
	// (policy.visits.allowNonWorkingDays, VISIT_ALLOW_NON_WORKING_DAYS).
	Allowed bool
	// Asked: the request says so explicitly (allow_non_working_day).
	Asked bool
	// MayOverride: the caller is a manager or an admin.
	MayOverride bool
}

// CheckWorkingDay applies the working-day rule to day. A working day always
// passes. A non-working day is never booked silently: it needs the
// operator's permission, the request's explicit override and a caller who
// may give it. override is true when the booking goes ahead on a
// non-working day, so that the override is recorded.
func CheckWorkingDay(cal *calendar.Calendar, day string, nw NonWorkingDay) (override bool, r *Refusal) {
	ok, err := WorkingDay(cal, day)
	switch {
	case err != nil:
		return false, &Refusal{Code: CodeInvalid, Field: "day", Message: err.Error()}
	case ok:
		return false, nil
	case !nw.Asked && nw.Allowed:
		return false, &Refusal{Code: CodeNonWorkingDay, Field: "day", Message: day + " is not a working day in the customer's calendar " + cal.Name() +
			"; a manager may book it with allow_non_working_day: true"}
	case !nw.Allowed:
		return false, &Refusal{Code: CodeNonWorkingDay, Field: "day", Message: day + " is not a working day in the customer's calendar " + cal.Name() +
			" (visits on non-working days are turned off)"}
	case !nw.MayOverride:
		return false, &Refusal{Code: CodeOverrideForbidden, Field: "allow_non_working_day", Message: "only a manager or an admin may book a visit on a non-working day"}
	}
	return true, nil
}

// FindParticipant returns the visitor userID of the day's visit, or nil.
func FindParticipant(s *State, userID string) *Participant {
	for _, p := range s.GetParticipants() {
		if p.GetUserId() == userID {
			return p
		}
	}
	return nil
}

// RepeatDecision answers a request from someone who already takes part in
// the day's visit: one participant per person, so nothing changes, and the
// answer says what she already has — the booker is told she is the booker.
func RepeatDecision(s *State, p *Participant, loc *time.Location) *Decision {
	when := At(s.StartAt).In(loc).Format("15:04") + "–" + At(s.EndAt).In(loc).Format("15:04")
	if p.Role == RoleBooker {
		return &Decision{Outcome: OutcomeBooked, Repeat: true, Role: RoleBooker, VisitId: s.VisitId, Day: s.Day,
			Message: "you booked this visit (" + p.Department + ", " + s.Day + " " + when + "); you are its booker, nothing changed"}
	}
	return &Decision{Outcome: OutcomeJoined, Repeat: true, Role: RoleJoined, VisitId: s.VisitId, Day: s.Day,
		Message: "you already join this visit, booked by " + s.BookedBy + " (" + s.Department + ", " + s.Day + " " + when + "); nothing changed"}
}

// Decide is the rule for a request against a day's state at instant now —
// the state a run holds, or the customer-day as the customer service stored
// it (customer.DecideVisitRequest): refused (the refusal says why), repeat
// (the requester already takes part: p), booked (the day is free), joined
// (the requester joins the day's visit) or offer (she declined to join).
func Decide(s *State, r *Request, now time.Time) (outcome string, p *Participant, refusal *Refusal) {
	if ref := CheckRequest(s, r, now); ref != nil {
		return DecidedRefused, nil, ref
	}
	if p := FindParticipant(s, r.RequesterId); p != nil {
		return DecidedRepeat, p, nil
	}
	switch {
	case s.Status == "":
		return OutcomeBooked, nil, nil
	case r.Join:
		return OutcomeJoined, nil, nil
	}
	return DecidedOffer, nil, nil
}

// CheckRequest checks a request against the day's state at instant now:
// what the workflow's validator refuses.
func CheckRequest(s *State, r *Request, now time.Time) *Refusal {
	start, errStart := ParseAt(r.StartAt)
	end, errEnd := ParseAt(r.EndAt)
	switch {
	case r.CustomerId != s.CustomerId || r.Day != s.Day:
		return &Refusal{Code: CodeInvalid, Field: "day", Message: "the request is for another customer-day"}
	case !ValidDepartment(r.Department):
		return &Refusal{Code: CodeInvalid, Field: "department", Message: "department must be sales, service or marketing"}
	case r.RequesterId == "":
		return &Refusal{Code: CodeInvalid, Field: "requester_id", Message: "a request needs its requester"}
	case s.Status == StatusDone:
		return &Refusal{Code: CodeVisitClosed, Field: "day", Message: "the visit of that day has taken place and is logged"}
	case s.Status == StatusBooked && !now.Before(At(s.EndAt)):
		return &Refusal{Code: CodeVisitOver, Field: "day", Message: "the visit of that day is over"}
	case s.Status == "" && r.JoinOnly:
		return &Refusal{Code: CodeDayFree, Field: "day", Message: "the day's visit was cancelled while you asked; ask again to book the day"}
	case s.Status == "" && (errStart != nil || errEnd != nil):
		return &Refusal{Code: CodeInvalid, Field: "start_time", Message: "a visit's start and end are instants in RFC 3339"}
	case s.Status == "" && !now.Before(start):
		return &Refusal{Code: CodeInThePast, Field: "start_time", Message: "the visit would start in the past"}
	case s.Status == "" && !end.After(start):
		return &Refusal{Code: CodeInvalid, Field: "duration_minutes", Message: "a visit ends after it starts"}
	}
	return nil
}

// CheckCancel says whether the booked visit may be cancelled at now.
func CheckCancel(s *State, c *Cancel, now time.Time) *Refusal {
	switch {
	case s.Status != StatusBooked || (c.VisitId != "" && c.VisitId != s.VisitId):
		return &Refusal{Code: CodeNotBooked, Field: "", Message: "no booked visit to cancel (already cancelled or logged)"}
	case !now.Before(At(s.StartAt)):
		return &Refusal{Code: CodeVisitStarted, Field: "", Message: "the visit has started; log it instead"}
	}
	return nil
}

// CheckLog says whether the visit may be logged at now.
func CheckLog(s *State, l *Log, now time.Time) *Refusal {
	switch {
	case s.Status == StatusDone && (l.VisitId == "" || l.VisitId == s.VisitId):
		return &Refusal{Code: CodeAlreadyLogged, Field: "", Message: "the visit is already logged"}
	case s.Status != StatusBooked || (l.VisitId != "" && l.VisitId != s.VisitId):
		return &Refusal{Code: CodeVisitNotHappened, Field: "", Message: "a log for a visit that did not happen: the visit was cancelled"}
	case now.Before(At(s.StartAt)):
		return &Refusal{Code: CodeVisitNotHappened, Field: "", Message: "a log for a visit that did not happen: it starts at " + At(s.StartAt).Format(time.RFC3339)}
	case l.Summary == "":
		return &Refusal{Code: CodeInvalid, Field: "summary", Message: "say what the visit achieved"}
	}
	return nil
}
