package visit

import (
	"testing"
	"time"

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
	free := &State{CustomerID: "c", Day: "2026-03-04"}
	req := &Request{CustomerID: "c", Day: "2026-03-04", RequesterID: "u", Department: DeptSales, StartAt: start, EndAt: start.Add(time.Hour)}
	if r := CheckRequest(free, req, start.Add(-time.Second)); r != nil {
		t.Errorf("a second before the start: %v", r)
	}
	if r := CheckRequest(free, req, start); r == nil || r.Code != CodeInThePast {
		t.Errorf("at the start: %v", r)
	}
	booked := &State{CustomerID: "c", Day: "2026-03-04", Status: StatusBooked, VisitID: "v", StartAt: start, EndAt: start.Add(time.Hour)}
	if r := CheckRequest(booked, req, start.Add(59*time.Minute)); r != nil {
		t.Errorf("joining during the visit: %v", r)
	}
	if r := CheckRequest(booked, req, start.Add(time.Hour)); r == nil || r.Code != CodeVisitOver {
		t.Errorf("after the visit: %v", r)
	}
	bad := *req
	bad.Department = "finance"
	if r := CheckRequest(free, &bad, start.Add(-time.Hour)); r == nil || r.Field != "department" {
		t.Errorf("unknown department: %v", r)
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
