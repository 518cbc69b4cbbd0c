package domain

import (
	"strconv"
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/visit"
)

// china is the China 2026 calendar: Monday to Friday 09:00–12:00 and
// 13:30–18:00 in Asia/Shanghai, National Day 1–7 October, the make-up
// Saturday 10 October.
func china(t *testing.T) *calendar.Calendar {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.China2026(loc))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// TestTouchDay: a touch asks for the latest working day whose visit (10:00
// for an hour) starts after the touch is made and ends by its due time;
// with none, the first working day after it is made, after the due time.
// last is the place of a touch that takes the latest day that fits.
const last = 0.999999

// TestTouchDaysSpread: a four-week visit drive's touches take the working
// days of the drive about equally, each touch always the same day; a touch
// at place 0 takes the first day that fits, at the last place the latest.
func TestTouchDaysSpread(t *testing.T) {
	cal := china(t)
	sh := cal.Location()
	made := time.Date(2026, 3, 2, 8, 0, 0, 0, sh)  // a Monday
	due := time.Date(2026, 3, 27, 18, 0, 0, 0, sh) // four weeks later, Friday evening
	per := map[string]int{}
	for i := range 2000 {
		id := "touch-" + strconv.Itoa(i)
		day, byDue, ok := TouchDay(made, due, cal, rules, TouchPlace(id))
		if !ok || !byDue {
			t.Fatalf("%s: %s %v %v", id, day, byDue, ok)
		}
		if again, _, _ := TouchDay(made, due, cal, rules, TouchPlace(id)); again != day {
			t.Fatalf("%s: %s, then %s", id, day, again)
		}
		per[day]++
	}
	if len(per) != 20 {
		t.Fatalf("the touches took %d days, want the drive's 20 working days: %v", len(per), per)
	}
	for day, n := range per {
		if n < 60 || n > 140 {
			t.Errorf("%s holds %d of 2,000 visits, want about 100: %v", day, n, per)
		}
	}
	if day, _, _ := TouchDay(made, due, cal, rules, 0); day != "2026-03-02" {
		t.Errorf("place 0: %s, want the first day", day)
	}
	if day, _, _ := TouchDay(made, due, cal, rules, last); day != "2026-03-27" {
		t.Errorf("the last place: %s, want the last day", day)
	}
}

func TestTouchDay(t *testing.T) {
	cal := china(t)
	sh := cal.Location()
	at := func(day, clock string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name      string
		made, due time.Time
		day       string
		byDue     bool
	}{
		{"the due day", at("2026-03-02", "08:00"), at("2026-03-04", "18:00"), "2026-03-04", true},
		{"a visit ending a minute after the due time is the day before", at("2026-03-02", "08:00"), at("2026-03-04", "10:59"), "2026-03-03", true},
		{"a visit ending at the due time is that day", at("2026-03-02", "08:00"), at("2026-03-04", "11:00"), "2026-03-04", true},
		{"made a minute before the start: that day", at("2026-03-04", "09:59"), at("2026-03-04", "18:00"), "2026-03-04", true},
		{"made at the start: the next working day, after the due time", at("2026-03-04", "10:00"), at("2026-03-04", "18:00"), "2026-03-05", false},
		{"due on a Sunday: the Friday", at("2026-03-02", "08:00"), at("2026-03-08", "12:00"), "2026-03-06", true},
		// A one-touch campaign is due at 23:59:59 UTC on its last day:
		// Sunday 07:59 in Shanghai for a campaign ending on Saturday.
		{"a campaign's last day, in the customer's zone", at("2026-03-02", "08:00"), time.Date(2026, 3, 7, 23, 59, 59, 0, time.UTC), "2026-03-06", true},
		{"due in the National Day holiday: the working day before", at("2026-09-21", "08:00"), at("2026-10-05", "12:00"), "2026-09-30", true},
		{"the make-up Saturday is a working day", at("2026-09-28", "08:00"), at("2026-10-11", "12:00"), "2026-10-10", true},
		{"late, during the holiday: the first working day after it", at("2026-10-02", "08:00"), at("2026-09-30", "18:00"), "2026-10-08", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			day, byDue, ok := TouchDay(c.made, c.due, cal, rules, last)
			if !ok || day != c.day || byDue != c.byDue {
				t.Fatalf("TouchDay = %s %v %v, want %s %v", day, byDue, ok, c.day, c.byDue)
			}
			// Whatever it picks, the API's booking rules would book it.
			f, err := CheckFields(RequestInput{Day: day, Department: visit.DeptMarketing, Purpose: "x"}, rules)
			if err != nil {
				t.Fatal(err)
			}
			if _, refusal := BookingRules(f, cal, c.made, false, false); refusal != nil {
				t.Fatalf("%s is refused: %+v", day, refusal)
			}
		})
	}

	// Never more than two years ahead.
	made := at("2026-03-02", "08:00")
	if day, byDue, ok := TouchDay(made, made.AddDate(5, 0, 0), cal, rules, last); !ok || !byDue || day > visit.AddDays("2026-03-02", 730) {
		t.Fatalf("five years ahead: %s %v %v", day, byDue, ok)
	}
	// No day has room for a visit the operator's default makes run past
	// midnight, nor for one whose start cannot be read.
	for _, r := range []Rules{{DefaultStart: "23:30", DefaultDuration: time.Hour}, {DefaultStart: "25:00", DefaultDuration: time.Hour}} {
		if day, _, ok := TouchDay(made, made.Add(72*time.Hour), cal, r, 0.5); ok {
			t.Fatalf("%+v: %s", r, day)
		}
	}
}

// TestNewTouchRequest: the assignee asks for the day in the customer's team
// and the touch's department, at the default start, willing to join — a
// touch never declines a day another department holds.
func TestNewTouchRequest(t *testing.T) {
	cal := china(t)
	c := Customer{ID: "c1", Team: "east", Region: "shanghai"}
	tr := TouchRequest{TouchID: "camp/c1/0", CustomerID: "c1", AssigneeID: "rep-ana", Department: visit.DeptMarketing, Purpose: " Spring visits: visit ",
		DueAt: time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)}
	in, r := NewTouchRequest(c, tr, "2026-03-04", cal.Location(), rules)
	if in.CustomerId != "c1" || in.Day != "2026-03-04" || in.Team != "east" || in.Region != "shanghai" {
		t.Fatalf("input %v", in)
	}
	if r.RequesterId != "rep-ana" || r.Team != "east" || r.Department != "marketing" || r.Purpose != "Spring visits: visit" || !r.Join || r.JoinOnly ||
		r.NonWorkingDayBy != "" || r.StartAt != "2026-03-04T02:00:00Z" || r.EndAt != "2026-03-04T03:00:00Z" {
		t.Fatalf("request %v", r)
	}
	tr.Department = visit.DeptService
	if _, r := NewTouchRequest(c, tr, "2026-03-04", cal.Location(), rules); r.Department != "service" {
		t.Fatalf("request %v", r)
	}
	if a, b := TouchUpdateID("camp/c1/0"), TouchUpdateID("camp/c1/0"); a != b || a == TouchUpdateID("camp/c1/1") {
		t.Fatal("one update id per touch")
	}
}

// TestTouchAnswer: the plan's sentence names the visit — day, time in the
// customer's zone, booker and id — or says why there is none.
func TestTouchAnswer(t *testing.T) {
	sh := china(t).Location()
	v := Visit{ID: "v1", Day: "2026-03-04", StartAt: time.Date(2026, 3, 4, 6, 30, 0, 0, time.UTC), EndAt: time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC),
		BookedBy: "tech-tim", Department: visit.DeptService}
	for _, c := range []struct {
		outcome string
		repeat  bool
		byDue   bool
		want    string
	}{
		{visit.OutcomeBooked, false, true, "Visit booked for 2026-03-04 14:30–16:00 Asia/Shanghai (visit v1)."},
		{visit.OutcomeJoined, false, true, "Visit joined: tech-tim (service) holds 2026-03-04 14:30–16:00 Asia/Shanghai, one visit per customer and day, so the touch joins that visit (visit v1)."},
		{visit.OutcomeBooked, true, true, "Visit: rep-ana had already booked the visit of 2026-03-04 14:30–16:00 Asia/Shanghai (service, visit v1); the touch is made there."},
		{visit.OutcomeJoined, true, true, "Visit: rep-ana already joins the visit of 2026-03-04 14:30–16:00 Asia/Shanghai booked by tech-tim (service, visit v1); the touch is made there."},
		{visit.OutcomeBooked, false, false, "Visit booked for 2026-03-04 14:30–16:00 Asia/Shanghai (visit v1). It comes after the touch's due time: no working day before then had room for it."},
	} {
		a := TouchAnswerOf(c.outcome, c.repeat, v, "rep-ana", sh, c.byDue)
		if a.Sentence != c.want || !a.Booked() || a.VisitID != "v1" || a.Day != "2026-03-04" || a.Outcome != c.outcome || a.Repeat != c.repeat {
			t.Errorf("%s repeat=%v: %+v", c.outcome, c.repeat, a)
		}
	}
	none := NoTouchVisit(NoVisitNoCalendar)
	if none.Booked() || none.Outcome != "" || none.Sentence != "No visit booked: no business calendar is assigned to the customer's team, its region or as default." {
		t.Fatalf("%+v", none)
	}
	if s := NoTouchVisit("the visit of that day is over.").Sentence; s != "No visit booked: the visit of that day is over." {
		t.Fatal(s)
	}
}
