package domain

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/visit"
)

// A campaign's visit touch goes through the one-visit-per-customer-day rule
// like any person's request: it is a request to the customer-day's Visit
// workflow, on behalf of the touch's assignee, in the touch's department
// (marketing), willing to join, in the customer's team. The rules here
// decide which day it asks for and what its answer means for the touch's
// plan; the workflow decides the day, as for everyone.
//
//   - The day is one of the days that fit: the working days of the
//     customer's business calendar on which a visit at the default start,
//     of the default length, starts after the touch is made (its planned_at,
//     or now, whichever is later) and ends by the touch's due time — the
//     one at the touch's fixed place among them (TouchPlace, from its id),
//     so a visit drive's visits spread evenly over the campaign's working
//     days instead of all falling on its last, and a win-back touch due in a
//     day or two gets one of those days. The
//     booking rules are the API's (BookingRules: a working day, no
//     override, a visit that ends on its day, a start still ahead), so a
//     touch never books a weekend or a holiday. A touch whose window holds
//     no such day (due within hours, or already late) asks for the first
//     working day that has room after it is made; its plan says the visit
//     comes after the due time.
//   - The day is free: the touch books it; its assignee is the booker.
//   - The day holds a visit: the touch joins it. The customer gets one
//     visit that day — the field studies' complaint is several departments
//     visiting one customer uncoordinated, and joining is how the rule
//     coordinates them — the booker is told who joins and why, and the
//     touch is still made by its due time. Moving the touch to another free
//     day instead would add a second trip to the same customer within days.
//   - The assignee already takes part in that day's visit: the touch is made
//     there; nothing changes.
//   - No visit can be had (the day's visit is over or logged, the customer
//     is deleted, no calendar is assigned to it, no day has room): the plan
//     stays on the assignee's list, saying why, to arrange the visit by hand
//     — through the same rule. Before the customer service holds any
//     calendar (they come with the first care sweep) touches wait.
//
// Every request of a touch carries the same update id (TouchUpdateID), and
// the booking or joining it caused is found by that id, so a retried or
// repeated touch books once.

// TouchRequest is a campaign's visit touch as the actions context hands it
// over.
type TouchRequest struct {
	TouchID    string // the touch's key: its plan's id
	CustomerID string
	AssigneeID string    // who visits: the requester
	Department string    // the touch's department: marketing, unless it names another
	Purpose    string    // what the visit is for: the touch plan's title
	PlannedAt  time.Time // when the touch counts as made: its visit starts later
	DueAt      time.Time // by when the touch is to be made
}

// TouchAnswer is what became of a touch's visit.
type TouchAnswer struct {
	// Outcome is visit.OutcomeBooked or visit.OutcomeJoined; "" when no
	// visit was had (Sentence says why).
	Outcome string
	// Repeat: the assignee already took part in the day's visit.
	Repeat  bool
	VisitID string
	Day     string
	// Sentence names the visit — its day, time, booker and id — or says
	// why there is none; the touch's plan records it.
	Sentence string
}

// Booked says whether the touch has a visit (booked or joined).
func (a TouchAnswer) Booked() bool { return a.VisitID != "" }

// touchNS is the namespace of the update ids of visit touches.
var touchNS = uuid.MustParse("5f0c2a9e-7d41-4b6e-9c3a-2e8b1f6d4a07")

// TouchUpdateID is the id of every visit-request update a touch sends:
// Temporal applies it once per run, and the participant it adds carries it
// as request id, by which a retried touch finds what it already has.
func TouchUpdateID(touchID string) string {
	return uuid.NewSHA1(touchNS, []byte("closeloop/visit-touch\x00"+touchID)).String()
}

// maxTouchDays bounds how far ahead a touch's visit may be: the API's
// limit (CheckDay).
const maxTouchDays = 730

// TouchPlace is a touch's fixed place among the days that fit it: a number
// in [0, 1) derived from its id, the same on every try, spread evenly over
// touches.
func TouchPlace(touchID string) float64 {
	h := sha256.Sum256([]byte("closeloop/visit-touch-day\x00" + touchID))
	return float64(binary.BigEndian.Uint64(h[:8])>>11) / (1 << 53)
}

// TouchDay is the day a touch made at made and due at due, at place (in
// [0, 1), TouchPlace) among the days that fit, asks for, in the customer's
// calendar: see the rules above. byDue says the visit ends by the due time;
// ok is false when no working day within two years has room.
func TouchDay(made, due time.Time, cal *calendar.Calendar, r Rules, place float64) (day string, byDue, ok bool) {
	loc := cal.Location()
	first := visit.Today(made, loc)
	f, err := CheckFields(RequestInput{Day: first, Department: visit.DeptMarketing, Purpose: "touch"}, r)
	if err != nil {
		return "", false, false // the operator's default start or length is unusable
	}
	fits := func(d string) (end time.Time, ok bool) {
		f.Day = d
		if _, refusal := BookingRules(f, cal, made, false, false); refusal != nil {
			return time.Time{}, false
		}
		return f.StartIn(loc).Add(f.Duration), true
	}
	horizon := visit.AddDays(first, maxTouchDays)
	var byDueDays []string
	for d := first; d <= min(visit.Today(due, loc), horizon); d = visit.AddDays(d, 1) {
		if end, ok := fits(d); ok && !end.After(due) {
			byDueDays = append(byDueDays, d)
		}
	}
	if n := len(byDueDays); n > 0 {
		return byDueDays[min(n-1, max(0, int(place*float64(n))))], true, true
	}
	for d := first; d <= horizon; d = visit.AddDays(d, 1) {
		if _, ok := fits(d); ok {
			return d, false, true
		}
	}
	return "", false, false
}

// NewTouchRequest is the workflow's input and the touch's request for day:
// the assignee asks, in the customer's team and the touch's department, at
// the default start for the default length, willing to join.
func NewTouchRequest(c Customer, t TouchRequest, day string, loc *time.Location, r Rules) (*visit.Input, *visit.Request) {
	f, _ := CheckFields(RequestInput{Day: day, Department: t.Department, Purpose: t.Purpose}, r)
	start := f.StartIn(loc)
	return &visit.Input{CustomerId: c.ID, Day: day, Team: c.Team, Region: c.Region},
		&visit.Request{CustomerId: c.ID, Day: day, RequesterId: t.AssigneeID, Team: c.Team, Department: t.Department,
			Purpose: Clip(strings.TrimSpace(t.Purpose), MaxPurpose), StartAt: visit.Stamp(start), EndAt: visit.Stamp(start.Add(f.Duration)), Join: true}
}

// TouchAnswerOf is the answer of a touch that booked (outcome booked) or
// joined v, the visit as stored; repeat: its assignee already took part.
// byDue false: the visit comes after the touch's due time.
func TouchAnswerOf(outcome string, repeat bool, v Visit, assignee string, loc *time.Location, byDue bool) TouchAnswer {
	when := v.Day + " " + v.StartAt.In(loc).Format("15:04") + "–" + v.EndAt.In(loc).Format("15:04") + " " + loc.String()
	var s string
	switch {
	case outcome == visit.OutcomeBooked && !repeat:
		s = "Visit booked for " + when + " (visit " + v.ID + ")."
	case outcome == visit.OutcomeBooked:
		s = "Visit: " + assignee + " had already booked the visit of " + when + " (" + v.Department + ", visit " + v.ID + "); the touch is made there."
	case repeat:
		s = "Visit: " + assignee + " already joins the visit of " + when + " booked by " + v.BookedBy + " (" + v.Department + ", visit " + v.ID + "); the touch is made there."
	default:
		s = "Visit joined: " + v.BookedBy + " (" + v.Department + ") holds " + when + ", one visit per customer and day, so the touch joins that visit (visit " + v.ID + ")."
	}
	if !byDue {
		s += " It comes after the touch's due time: no working day before then had room for it."
	}
	return TouchAnswer{Outcome: outcome, Repeat: repeat, VisitID: v.ID, Day: v.Day, Sentence: s}
}

// NoTouchVisit is the answer of a touch that could have no visit, and why.
func NoTouchVisit(why string) TouchAnswer {
	return TouchAnswer{Sentence: "No visit booked: " + strings.TrimSuffix(strings.TrimSpace(why), ".") + "."}
}

// Reasons a touch has no visit, besides the workflow's refusals.
const (
	NoVisitCustomerGone = "the customer is deleted"
	NoVisitNoCalendar   = "no business calendar is assigned to the customer's team, its region or as default"
	NoVisitNoDay        = "no working day within two years has room for a visit"
)

// CodeCalendarsUnknown: the customer service holds no business calendars
// yet (they come with the first care sweep); touches wait for them.
const CodeCalendarsUnknown = "calendars_unknown"

// ErrCalendarsUnknown says touches wait for the calendars.
var ErrCalendarsUnknown = apperr.Unavailable(CodeCalendarsUnknown,
	"the customer service holds no business calendars yet: they come with the first care sweep; visit touches wait for them")
