package domain

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/visit"
)

// Rules are the operator's visit settings the request rules apply.
type Rules struct {
	// AllowNonWorkingDays lets visits be booked on days the customer's
	// business calendar has no working time, each only with a manager's or
	// an admin's explicit override.
	AllowNonWorkingDays bool
	// DefaultStart is the start of a visit whose request names none ("HH:MM"
	// in the customer's calendar time zone).
	DefaultStart string
	// DefaultDuration is the length of a visit whose request names none.
	DefaultDuration time.Duration
}

// RequestInput is a department's request for a visit.
type RequestInput struct {
	Day             string
	Department      string
	Purpose         string
	StartTime       string // "HH:MM" in the customer's time zone; "" = the default
	DurationMinutes int    // 0 = the default
	Join            bool
	// AllowNonWorkingDay asks for a booking on a day without working time
	// (a manager's or an admin's explicit override).
	AllowNonWorkingDay bool
}

// Fields is a request whose fields are valid.
type Fields struct {
	RequestInput
	Purpose  string // trimmed
	Start    calendar.Clock
	Duration time.Duration
}

// CheckFields checks a request's fields, before any calendar is read:
// department, purpose, duration (15..600 minutes), start time and day.
func CheckFields(in RequestInput, r Rules) (Fields, error) {
	var v apperr.Validation
	v.Check(visit.ValidDepartment(in.Department), "department", "invalid", "department must be one of "+strings.Join(visit.Departments(), ", "))
	purpose := strings.TrimSpace(in.Purpose)
	if v.Check(purpose != "", "purpose", "required", "say why the visit is needed") {
		v.Check(len([]rune(purpose)) <= 2000, "purpose", "too_long", "at most 2000 characters")
	}
	dur := r.DefaultDuration
	if in.DurationMinutes != 0 {
		v.Check(in.DurationMinutes >= 15 && in.DurationMinutes <= 600, "duration_minutes", "out_of_range", "between 15 and 600 minutes")
		dur = time.Duration(in.DurationMinutes) * time.Minute
	}
	startTime := in.StartTime
	if startTime == "" {
		startTime = r.DefaultStart
	}
	var clock calendar.Clock
	v.Check(clock.UnmarshalText([]byte(startTime)) == nil && clock < calendar.At(24, 0), "start_time", "invalid", "a time of day, HH:MM")
	if in.Day == "" {
		v.Add("day", "required", "the day of the visit, YYYY-MM-DD")
	} else if _, err := visit.ParseDay(in.Day, time.UTC); err != nil {
		v.Add("day", "invalid", err.Error())
	}
	return Fields{RequestInput: in, Purpose: purpose, Start: clock, Duration: dur}, v.Err()
}

// StartIn is the visit's start on its day in loc.
func (f Fields) StartIn(loc *time.Location) time.Time {
	midnight, _ := visit.ParseDay(f.Day, loc)
	return time.Date(midnight.Year(), midnight.Month(), midnight.Day(), int(f.Start)/60, int(f.Start)%60, 0, 0, loc)
}

// CheckDay is the day rule, in the customer's calendar time zone: not in the
// past, at most two years ahead.
func CheckDay(day string, now time.Time, loc *time.Location) error {
	var v apperr.Validation
	switch today := visit.Today(now, loc); {
	case day < today:
		v.Add("day", visit.CodeInThePast, "the day has passed (today is "+today+" in "+loc.String()+")")
	case day > visit.AddDays(today, 730):
		v.Add("day", "out_of_range", "at most two years ahead")
	}
	return v.Err()
}

// BookingRules are the rules for booking the day: a working day (or an
// allowed override by one who may override), a visit that ends on its day,
// a start still ahead. override says the day is booked by override; a
// refusal says the request may not book the day.
func BookingRules(f Fields, cal *calendar.Calendar, now time.Time, allowed, mayOverride bool) (override bool, refusal *visit.Refusal) {
	loc := cal.Location()
	start := f.StartIn(loc)
	override, refusal = visit.CheckWorkingDay(cal, f.Day, visit.NonWorkingDay{Allowed: allowed, Asked: f.AllowNonWorkingDay, MayOverride: mayOverride})
	if refusal == nil {
		refusal = visit.CheckSpan(f.Day, start, start.Add(f.Duration), loc)
	}
	if refusal == nil && !now.Before(start) {
		refusal = &visit.Refusal{Code: visit.CodeInThePast, Field: "start_time",
			Message: "the visit would start in the past (" + start.In(loc).Format("15:04") + " " + loc.String() + ")"}
	}
	return override, refusal
}

// JoinOnly says what becomes of a request the booking rules refused: on a
// day that holds a booked visit (live) it is sent join-only — it joins that
// visit, keeping its start, or is offered another day, and the workflow
// refuses it should the visit be cancelled meanwhile; elsewhere, and for an
// invalid request, the refusal is the answer.
func JoinOnly(refusal *visit.Refusal, live bool) error {
	if !live || refusal.Code == visit.CodeInvalid {
		return RefusalError(refusal)
	}
	return nil
}

// NewRequest is the workflow's input and request for customer c by
// requester p (her first team, else the customer's), the day booked by
// override of overrideBy ("" for none).
func NewRequest(c Customer, p auth.Principal, f Fields, loc *time.Location, joinOnly bool, overrideBy string) (*visit.Input, *visit.Request) {
	team := c.Team
	if len(p.Teams) > 0 {
		team = p.Teams[0]
	}
	start := f.StartIn(loc)
	return &visit.Input{CustomerId: c.ID, Day: f.Day, Team: c.Team, Region: c.Region},
		&visit.Request{CustomerId: c.ID, Day: f.Day, RequesterId: p.Subject, Team: team, Department: f.Department, Purpose: f.Purpose,
			StartAt: visit.Stamp(start), EndAt: visit.Stamp(start.Add(f.Duration)), Join: f.Join, JoinOnly: joinOnly, NonWorkingDayBy: overrideBy}
}

// CheckIdempotencyKey limits an Idempotency-Key to 200 characters.
func CheckIdempotencyKey(key string) error {
	var v apperr.Validation
	v.Check(len(key) <= 200, "Idempotency-Key", "too_long", "at most 200 characters")
	return v.Err()
}

// Manages says whether p is a manager or an admin.
func Manages(p auth.Principal) bool { return p.Has(auth.RoleManager) || p.Has(auth.RoleAdmin) }

// MayChange: only the visit's booker or a manager may cancel or move it
// (what: "cancel it", "reschedule it").
func MayChange(v Visit, p auth.Principal, what string) error {
	if v.BookedBy != p.Subject && !Manages(p) {
		return apperr.Forbidden("forbidden", "only the visit's booker or a manager may "+what)
	}
	return nil
}

// CheckReason: a cancellation or a move says why, in at most 2000 characters.
func CheckReason(reason string) error {
	var v apperr.Validation
	if v.Check(strings.TrimSpace(reason) != "", "reason", "required", "say why") {
		v.Check(len([]rune(reason)) <= 2000, "reason", "too_long", "at most 2000 characters")
	}
	return v.Err()
}

// Cancellable: only a booked visit can be cancelled (its day's workflow may
// have ended: the stored record answers).
func Cancellable(v Visit) error {
	if v.Status != visit.StatusBooked {
		return apperr.Rule(visit.CodeNotBooked, "no booked visit to cancel: this one is "+v.Status)
	}
	return nil
}

// Movable: only a booked visit can be moved, and to another day.
func Movable(v Visit, day string) error {
	if v.Status != visit.StatusBooked {
		return apperr.Rule(visit.CodeNotBooked, "only a booked visit can be moved; this one is "+v.Status)
	}
	if day == v.Day {
		var val apperr.Validation
		val.Add("day", "unchanged", "the visit is already on "+v.Day)
		return val.Err()
	}
	return nil
}

// Booker is the principal a move requests the new day for: the visit's
// booker, in the visit's team.
func Booker(v Visit) auth.Principal {
	return auth.Principal{Subject: v.BookedBy, Teams: []string{v.Team}}
}

// LogInput is what a visit achieved.
type LogInput struct {
	Summary, Outcome, NextStep string
}

// CheckLog checks a log's fields.
func CheckLog(in LogInput) error {
	var v apperr.Validation
	if v.Check(strings.TrimSpace(in.Summary) != "", "summary", "required", "say what the visit achieved") {
		v.Check(len([]rune(in.Summary)) <= 4000, "summary", "too_long", "at most 4000 characters")
	}
	v.Check(len([]rune(in.Outcome)) <= 200, "outcome", "too_long", "at most 200 characters")
	v.Check(len([]rune(in.NextStep)) <= 2000, "next_step", "too_long", "at most 2000 characters")
	return v.Err()
}

// MayLog: a visitor of the visit or a manager.
func MayLog(p auth.Principal, visitors []Participant) error {
	if Manages(p) || slices.ContainsFunc(visitors, func(x Participant) bool { return x.UserID == p.Subject }) {
		return nil
	}
	return apperr.Forbidden("forbidden", "only a visitor of this visit or a manager may log it")
}

// Loggable: a visit that happened (not cancelled, started by now), once.
func Loggable(v Visit, now time.Time) error {
	switch {
	case v.Status == visit.StatusCancelled:
		return apperr.Rule(visit.CodeVisitNotHappened, "a log for a visit that did not happen: it was cancelled")
	case v.Status == visit.StatusDone:
		return apperr.Rule(visit.CodeAlreadyLogged, "the visit is already logged")
	case now.Before(v.StartAt):
		return apperr.Rule(visit.CodeVisitNotHappened, "a log for a visit that did not happen: it starts at "+v.StartAt.Format(time.RFC3339))
	}
	return nil
}

// RefusalError is the one place a visit refusal becomes an API error.
func RefusalError(r *visit.Refusal) error {
	switch r.Code {
	case visit.CodeInvalid, visit.CodeInThePast, visit.CodeNonWorkingDay, visit.CodeEndsAfterDay:
		var v apperr.Validation
		v.Add(r.Field, r.Code, r.Message)
		return v.Err()
	case visit.CodeOverrideForbidden:
		return apperr.Forbidden("forbidden", r.Message)
	case visit.CodeDayTaken, visit.CodeDayFree:
		return apperr.Conflict(r.Code, r.Message)
	case "":
		return apperr.Internal(errors.New(r.Message))
	}
	return apperr.Rule(r.Code, r.Message)
}
