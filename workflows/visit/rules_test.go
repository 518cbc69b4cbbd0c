package visit

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

func china(t *testing.T) *calendar.Calendar {
	t.Helper()
	loc, err := policy.Location("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.China2026(loc))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// TestWorkingDay: holidays and weekends are not working days; make-up days are.
func TestWorkingDay(t *testing.T) {
	cal := china(t)
	for day, want := range map[string]bool{
		"2026-09-30": true,  // Wednesday before National Day
		"2026-10-01": false, // National Day
		"2026-10-07": false, // last day of the holiday
		"2026-10-08": true,
		"2026-10-10": true,  // make-up Saturday
		"2026-10-11": false, // Sunday
		"2026-09-20": true,  // make-up Sunday
	} {
		if got, err := WorkingDay(cal, day); err != nil || got != want {
			t.Errorf("WorkingDay(%s) = %v, %v; want %v", day, got, err, want)
		}
	}
	if _, err := WorkingDay(cal, "30/09/2026"); err == nil {
		t.Error("a malformed day was accepted")
	}
}

// TestNextFreeDay skips booked days, holidays and weekends.
func TestNextFreeDay(t *testing.T) {
	cal := china(t)
	if d := NextFreeDay(cal, "2026-09-30", 31, nil); d != "2026-10-08" {
		t.Errorf("after 30 Sep: %s, want 2026-10-08", d)
	}
	booked := map[string]bool{"2026-10-08": true, "2026-10-09": true}
	if d := NextFreeDay(cal, "2026-09-30", 31, booked); d != "2026-10-10" {
		t.Errorf("with 8 and 9 Oct booked: %s, want the make-up Saturday 2026-10-10", d)
	}
	if d := NextFreeDay(cal, "2026-09-30", 5, nil); d != "" {
		t.Errorf("within five days (all holidays): %s, want none", d)
	}
}

// TestChecks: the validators' rules at the edges.
func TestChecks(t *testing.T) {
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	free := &State{CustomerId: "c", Day: "2026-03-04"}
	req := &Request{CustomerId: "c", Day: "2026-03-04", RequesterId: "u", Department: DeptSales, StartAt: Stamp(start), EndAt: Stamp(start.Add(time.Hour))}
	if r := CheckRequest(free, req, start.Add(-time.Second)); r != nil {
		t.Errorf("a second before the start: %v", r)
	}
	if r := CheckRequest(free, req, start); r == nil || r.Code != CodeInThePast {
		t.Errorf("at the start: %v", r)
	}
	booked := &State{CustomerId: "c", Day: "2026-03-04", Status: StatusBooked, VisitId: "v", StartAt: Stamp(start), EndAt: Stamp(start.Add(time.Hour))}
	if r := CheckRequest(booked, req, start.Add(59*time.Minute)); r != nil {
		t.Errorf("joining during the visit: %v", r)
	}
	if r := CheckRequest(booked, req, start.Add(time.Hour)); r == nil || r.Code != CodeVisitOver {
		t.Errorf("after the visit: %v", r)
	}
	joinOnly := proto.Clone(req).(*Request)
	joinOnly.JoinOnly = true
	if r := CheckRequest(booked, joinOnly, start.Add(time.Minute)); r != nil {
		t.Errorf("join-only on a booked day: %v", r)
	}
	if r := CheckRequest(free, joinOnly, start.Add(-time.Hour)); r == nil || r.Code != CodeDayFree {
		t.Errorf("join-only on a free day: %v", r)
	}
	bad := proto.Clone(req).(*Request)
	bad.Department = "finance"
	if r := CheckRequest(free, bad, start.Add(-time.Hour)); r == nil || r.Field != "department" {
		t.Errorf("unknown department: %v", r)
	}
	// The instants are RFC 3339: one that is not cannot book the day.
	garbled := proto.Clone(req).(*Request)
	garbled.StartAt = "2026-03-04 10:00"
	if r := CheckRequest(free, garbled, start.Add(-time.Hour)); r == nil || r.Code != CodeInvalid || r.Field != "start_time" {
		t.Errorf("a start that is not RFC 3339: %v", r)
	}
	if r := CheckRequest(booked, garbled, start.Add(time.Minute)); r != nil {
		t.Errorf("joining needs no instant of its own: %v", r)
	}
	if r := CheckCancel(booked, &Cancel{Actor: "u"}, start.Add(-time.Second)); r != nil {
		t.Errorf("cancel before the start: %v", r)
	}
	if r := CheckCancel(booked, &Cancel{Actor: "u"}, start); r == nil || r.Code != CodeVisitStarted {
		t.Errorf("cancel at the start: %v", r)
	}
	if r := CheckLog(booked, &Log{Actor: "u", Summary: "s"}, start.Add(-time.Second)); r == nil || r.Code != CodeVisitNotHappened {
		t.Errorf("log before the start: %v", r)
	}
	if r := CheckLog(booked, &Log{Actor: "u", Summary: "s"}, start); r != nil {
		t.Errorf("log at the start: %v", r)
	}
	if r := CheckLog(free, &Log{Actor: "u", Summary: "s"}, start); r == nil || r.Code != CodeVisitNotHappened {
		t.Errorf("log of a free day: %v", r)
	}
}

// TestCheckSpan: a visit ends on its day, by midnight in the customer's time
// zone — 23:30 for 30 minutes fits, 600 minutes does not.
func TestCheckSpan(t *testing.T) {
	loc := china(t).Location()
	at := func(h, m int) time.Time { return time.Date(2026, 3, 4, h, m, 0, 0, loc) }
	for _, c := range []struct {
		start time.Time
		dur   time.Duration
		code  string
	}{
		{at(10, 0), time.Hour, ""},
		{at(23, 30), 30 * time.Minute, ""},               // ends at midnight: still its day
		{at(23, 30), 31 * time.Minute, CodeEndsAfterDay}, // a minute into the next day
		{at(23, 30), 600 * time.Minute, CodeEndsAfterDay},
		{at(14, 0), 600 * time.Minute, ""},
		{at(10, 0), 0, CodeInvalid},
		{at(10, 0).AddDate(0, 0, 1), time.Hour, CodeInvalid}, // another day
	} {
		r := CheckSpan("2026-03-04", c.start, c.start.Add(c.dur), loc)
		if got := ""; r != nil {
			got = r.Code
			if got != c.code {
				t.Errorf("%s for %s: %v, want %q", c.start.Format("15:04"), c.dur, r, c.code)
			}
		} else if c.code != "" {
			t.Errorf("%s for %s accepted, want %s", c.start.Format("15:04"), c.dur, c.code)
		}
	}
	if r := CheckSpan("2026-03-04", at(23, 30), at(23, 30).Add(600*time.Minute), loc); r == nil || r.Field != "duration_minutes" ||
		r.Message != "a visit ends on its day: starting at 23:30 it can last at most 30 minutes" {
		t.Errorf("23:30 for 600 minutes: %+v", r)
	}
}

// TestCheckWorkingDay: a non-working day is never booked silently — it
// needs the operator's permission, the request's override and a manager.
func TestCheckWorkingDay(t *testing.T) {
	cal := china(t)
	const holiday, workday = "2026-10-01", "2026-10-08"
	for _, c := range []struct {
		day      string
		nw       NonWorkingDay
		override bool
		code     string
	}{
		{workday, NonWorkingDay{}, false, ""},
		{workday, NonWorkingDay{Allowed: true, Asked: true, MayOverride: true}, false, ""}, // nothing to override: not recorded
		{holiday, NonWorkingDay{}, false, CodeNonWorkingDay},
		{holiday, NonWorkingDay{Asked: true, MayOverride: true}, false, CodeNonWorkingDay},   // the operator does not allow it
		{holiday, NonWorkingDay{Allowed: true, MayOverride: true}, false, CodeNonWorkingDay}, // allowed, but not asked for: not silently
		{holiday, NonWorkingDay{Allowed: true, Asked: true}, false, CodeOverrideForbidden},   // a rep
		{holiday, NonWorkingDay{Allowed: true, Asked: true, MayOverride: true}, true, ""},
		{"1 Oct", NonWorkingDay{}, false, CodeInvalid},
	} {
		override, r := CheckWorkingDay(cal, c.day, c.nw)
		code := ""
		if r != nil {
			code = r.Code
		}
		if override != c.override || code != c.code {
			t.Errorf("%s %+v: override %v, refusal %v; want %v, %q", c.day, c.nw, override, r, c.override, c.code)
		}
	}
}

// TestRepeatDecision: a participant asking again gets what she has; the
// booker is told she is the booker.
func TestRepeatDecision(t *testing.T) {
	loc := china(t).Location()
	start := time.Date(2026, 3, 4, 10, 0, 0, 0, loc)
	s := &State{CustomerId: "c", Day: "2026-03-04", VisitId: "v", Status: StatusBooked, BookedBy: "rep-ana", Department: DeptSales,
		StartAt: Stamp(start), EndAt: Stamp(start.Add(time.Hour)), Participants: []*Participant{
			{UserId: "rep-ana", Department: DeptSales, Role: RoleBooker}, {UserId: "svc-sam", Department: DeptService, Role: RoleJoined}}}
	if FindParticipant(s, "mkt-mo") != nil {
		t.Error("a stranger is a participant")
	}
	d := RepeatDecision(s, FindParticipant(s, "rep-ana"), loc)
	if d.Outcome != OutcomeBooked || !d.Repeat || d.Role != RoleBooker || d.VisitId != "v" ||
		d.Message != "you booked this visit (sales, 2026-03-04 10:00–11:00); you are its booker, nothing changed" {
		t.Errorf("the booker: %+v", d)
	}
	d = RepeatDecision(s, FindParticipant(s, "svc-sam"), loc)
	if d.Outcome != OutcomeJoined || !d.Repeat || d.Role != RoleJoined ||
		d.Message != "you already join this visit, booked by rep-ana (sales, 2026-03-04 10:00–11:00); nothing changed" {
		t.Errorf("a joined visitor: %+v", d)
	}
}

// TestInstants: the payloads' instants are RFC 3339 strings; those written
// before the move to proto (Go's time.Time in JSON, with its offset) read
// the same instant.
func TestInstants(t *testing.T) {
	at := time.Date(2026, 11, 25, 14, 30, 0, 500, time.FixedZone("CST", 8*3600))
	if got := Stamp(at); got != "2026-11-25T06:30:00.0000005Z" {
		t.Errorf("Stamp: %s", got)
	}
	if Stamp(time.Time{}) != "" || !At("").IsZero() {
		t.Error("the zero instant is the empty string")
	}
	old, err := at.MarshalJSON() // how the JSON payloads wrote it
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{Stamp(at), strings.Trim(string(old), `"`)} {
		if got, err := ParseAt(s); err != nil || !got.Equal(at) {
			t.Errorf("ParseAt(%s) = %v, %v; want %v", s, got, err, at)
		}
	}
	if _, err := ParseAt("25.11.2026 14:30"); err == nil {
		t.Error("a malformed instant is read")
	}
	if !At("25.11.2026 14:30").IsZero() {
		t.Error("At of a malformed instant is not the zero instant")
	}
}
