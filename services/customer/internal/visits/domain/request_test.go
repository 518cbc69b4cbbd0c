package domain

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
	"github.com/closeloop/closeloop/workflows/visit"
)

// problems are err's kind and code, then its fields as field/code.
func problems(err error) []string {
	if err == nil {
		return nil
	}
	e := apperr.From(err)
	out := []string{e.Code}
	for _, f := range e.Fields {
		out = append(out, f.Field+"/"+f.Code)
	}
	return out
}

var rules = Rules{DefaultStart: "10:00", DefaultDuration: time.Hour}

// shanghai works on Mondays only, 09:00-18:00.
func shanghai(t *testing.T) *calendar.Calendar {
	t.Helper()
	cal, err := policy.CalendarFromJSON([]byte(`{"name":"cn","time_zone":"Asia/Shanghai","week":{"monday":[{"start":"09:00","end":"18:00"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func TestCheckFields(t *testing.T) {
	ok := RequestInput{Day: "2026-03-02", Department: visit.DeptSales, Purpose: "renewal"}
	with := func(f func(*RequestInput)) RequestInput { in := ok; f(&in); return in }
	for name, c := range map[string]struct {
		in   RequestInput
		want []string
	}{
		"valid":             {ok, nil},
		"department":        {with(func(in *RequestInput) { in.Department = "legal" }), []string{"validation_failed", "department/invalid"}},
		"purpose blank":     {with(func(in *RequestInput) { in.Purpose = "  " }), []string{"validation_failed", "purpose/required"}},
		"purpose long":      {with(func(in *RequestInput) { in.Purpose = strings.Repeat("é", 2001) }), []string{"validation_failed", "purpose/too_long"}},
		"duration short":    {with(func(in *RequestInput) { in.DurationMinutes = 14 }), []string{"validation_failed", "duration_minutes/out_of_range"}},
		"duration long":     {with(func(in *RequestInput) { in.DurationMinutes = 601 }), []string{"validation_failed", "duration_minutes/out_of_range"}},
		"start":             {with(func(in *RequestInput) { in.StartTime = "9am" }), []string{"validation_failed", "start_time/invalid"}},
		"start at midnight": {with(func(in *RequestInput) { in.StartTime = "24:00" }), []string{"validation_failed", "start_time/invalid"}},
		"day missing":       {with(func(in *RequestInput) { in.Day = "" }), []string{"validation_failed", "day/required"}},
		"day malformed":     {with(func(in *RequestInput) { in.Day = "2026-02-30" }), []string{"validation_failed", "day/invalid"}},
		"all of them, in order": {RequestInput{Department: "x", DurationMinutes: 1, StartTime: "x"},
			[]string{"validation_failed", "department/invalid", "purpose/required", "duration_minutes/out_of_range", "start_time/invalid", "day/required"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := CheckFields(c.in, rules)
			if got := problems(err); !slices.Equal(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
		})
	}
	// The defaults, and the purpose trimmed.
	f, err := CheckFields(with(func(in *RequestInput) { in.Purpose = " renewal " }), rules)
	if err != nil || f.Purpose != "renewal" || f.Start != calendar.At(10, 0) || f.Duration != time.Hour {
		t.Fatalf("%+v %v", f, err)
	}
	f, _ = CheckFields(with(func(in *RequestInput) { in.StartTime, in.DurationMinutes = "14:30", 90 }), rules)
	if f.Start != calendar.At(14, 30) || f.Duration != 90*time.Minute {
		t.Fatalf("%+v", f)
	}
	loc, _ := time.LoadLocation("Asia/Shanghai")
	if got := f.StartIn(loc); !got.Equal(time.Date(2026, 3, 2, 14, 30, 0, 0, loc)) {
		t.Fatalf("start %v", got)
	}
}

func TestCheckDay(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC) // 2026-03-02 01:00 in Shanghai
	for day, want := range map[string][]string{
		"2026-03-01": {"validation_failed", "day/in_the_past"}, // still today in UTC, not in Shanghai
		"2026-03-02": nil,
		"2028-03-01": nil, // 730 days ahead
		"2028-03-02": {"validation_failed", "day/out_of_range"},
	} {
		if got := problems(CheckDay(day, now, loc)); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", day, got, want)
		}
	}
}

func TestBookingRules(t *testing.T) {
	cal := shanghai(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // Sunday 20:00 in Shanghai
	monday := Fields{RequestInput: RequestInput{Day: "2026-03-02"}, Start: calendar.At(10, 0), Duration: time.Hour}
	tuesday := monday
	tuesday.Day = "2026-03-03"
	asked := tuesday
	asked.AllowNonWorkingDay = true
	late := monday
	late.Start, late.Duration = calendar.At(23, 30), time.Hour
	for name, c := range map[string]struct {
		f                    Fields
		now                  time.Time
		allowed, mayOverride bool
		override             bool
		code, field          string
	}{
		"a working day":                         {f: monday, now: now},
		"a non-working day":                     {f: tuesday, now: now, allowed: true, code: visit.CodeNonWorkingDay, field: "day"},
		"non-working days off":                  {f: asked, now: now, mayOverride: true, code: visit.CodeNonWorkingDay, field: "day"},
		"a rep may not override":                {f: asked, now: now, allowed: true, code: visit.CodeOverrideForbidden, field: "allow_non_working_day"},
		"a manager overrides":                   {f: asked, now: now, allowed: true, mayOverride: true, override: true},
		"ends after its day":                    {f: late, now: now, code: visit.CodeEndsAfterDay},
		"starts in the past":                    {f: monday, now: time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC), code: visit.CodeInThePast, field: "start_time"},
		"starting now is in the past":           {f: monday, now: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC), code: visit.CodeInThePast, field: "start_time"},
		"starts a minute ahead is still booked": {f: monday, now: time.Date(2026, 3, 2, 1, 59, 0, 0, time.UTC)},
	} {
		t.Run(name, func(t *testing.T) {
			override, r := BookingRules(c.f, cal, c.now, c.allowed, c.mayOverride)
			code, field := "", ""
			if r != nil {
				code, field = r.Code, r.Field
			}
			if override != c.override || code != c.code || (c.field != "" && field != c.field) {
				t.Fatalf("override %v, refusal %+v", override, r)
			}
		})
	}
}

func TestJoinOnly(t *testing.T) {
	past := &visit.Refusal{Code: visit.CodeInThePast, Field: "start_time", Message: "late"}
	if err := JoinOnly(past, true); err != nil {
		t.Fatalf("a day with a booked visit is joined: %v", err)
	}
	if got := problems(JoinOnly(past, false)); !slices.Equal(got, []string{"validation_failed", "start_time/in_the_past"}) {
		t.Fatalf("%v", got)
	}
	if got := problems(JoinOnly(&visit.Refusal{Code: visit.CodeInvalid, Field: "day", Message: "bad"}, true)); !slices.Equal(got, []string{"validation_failed", "day/invalid"}) {
		t.Fatalf("an invalid request is refused even on a booked day: %v", got)
	}
}

func TestNewRequest(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	c := Customer{ID: "c1", Team: "north", Region: "east"}
	f := Fields{RequestInput: RequestInput{Day: "2026-03-02", Department: visit.DeptService, Join: true}, Purpose: "check",
		Start: calendar.At(10, 0), Duration: 90 * time.Minute}
	for name, tc := range map[string]struct {
		p    auth.Principal
		team string
	}{
		"the requester's first team": {auth.Principal{Subject: "svc-sam", Teams: []string{"south", "west"}}, "south"},
		"else the customer's":        {auth.Principal{Subject: "svc-sam"}, "north"},
	} {
		t.Run(name, func(t *testing.T) {
			in, r := NewRequest(c, tc.p, f, loc, true, "mgr")
			if in.CustomerId != "c1" || in.Day != "2026-03-02" || in.Team != "north" || in.Region != "east" {
				t.Fatalf("input %v", in)
			}
			if r.Team != tc.team || r.RequesterId != "svc-sam" || r.Department != visit.DeptService || r.Purpose != "check" || !r.Join || !r.JoinOnly ||
				r.NonWorkingDayBy != "mgr" || r.StartAt != "2026-03-02T02:00:00Z" || r.EndAt != "2026-03-02T03:30:00Z" {
				t.Fatalf("request %v", r)
			}
		})
	}
}

func TestWhoMay(t *testing.T) {
	rep := auth.Principal{Subject: "rep-ana", Roles: []auth.Role{auth.RoleRep}}
	other := auth.Principal{Subject: "rep-bo", Roles: []auth.Role{auth.RoleRep}}
	mgr := auth.Principal{Subject: "mgr-mo", Roles: []auth.Role{auth.RoleManager}}
	admin := auth.Principal{Subject: "adm", Roles: []auth.Role{auth.RoleAdmin}}
	v := Visit{BookedBy: "rep-ana"}
	visitors := []Participant{{UserID: "rep-ana"}, {UserID: "svc-sam"}}
	for name, c := range map[string]struct {
		err  error
		want string
	}{
		"the booker cancels":        {MayChange(v, rep, "cancel it"), ""},
		"a manager cancels":         {MayChange(v, mgr, "cancel it"), ""},
		"an admin cancels":          {MayChange(v, admin, "cancel it"), ""},
		"another rep does not":      {MayChange(v, other, "reschedule it"), "forbidden: only the visit's booker or a manager may reschedule it"},
		"a visitor logs":            {MayLog(auth.Principal{Subject: "svc-sam"}, visitors), ""},
		"a manager logs":            {MayLog(mgr, nil), ""},
		"someone else does not log": {MayLog(other, visitors), "forbidden: only a visitor of this visit or a manager may log it"},
	} {
		got := ""
		if c.err != nil {
			e := apperr.From(c.err)
			got = e.Code + ": " + e.Message
			if e.Kind != apperr.KindForbidden {
				t.Errorf("%s: kind %v", name, e.Kind)
			}
		}
		if got != c.want {
			t.Errorf("%s: got %q, want %q", name, got, c.want)
		}
	}
}

func TestStateRules(t *testing.T) {
	start := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	booked := Visit{Day: "2026-03-02", Status: visit.StatusBooked, StartAt: start}
	cancelled := Visit{Day: "2026-03-02", Status: visit.StatusCancelled, StartAt: start}
	done := Visit{Day: "2026-03-02", Status: visit.StatusDone, StartAt: start}
	for name, c := range map[string]struct {
		err  error
		want []string
	}{
		"cancel a booked visit":  {Cancellable(booked), nil},
		"cancel a cancelled one": {Cancellable(cancelled), []string{"not_booked"}},
		"move to another day":    {Movable(booked, "2026-03-03"), nil},
		"move a done visit":      {Movable(done, "2026-03-03"), []string{"not_booked"}},
		"move to the same day":   {Movable(booked, "2026-03-02"), []string{"validation_failed", "day/unchanged"}},
		"log once started":       {Loggable(booked, start), nil},
		"log before the start":   {Loggable(booked, start.Add(-time.Second)), []string{visit.CodeVisitNotHappened}},
		"log a cancelled visit":  {Loggable(cancelled, start), []string{visit.CodeVisitNotHappened}},
		"log twice":              {Loggable(done, start), []string{visit.CodeAlreadyLogged}},
		"a reason":               {CheckReason("moved by the customer"), nil},
		"no reason":              {CheckReason(" "), []string{"validation_failed", "reason/required"}},
		"a long reason":          {CheckReason(strings.Repeat("x", 2001)), []string{"validation_failed", "reason/too_long"}},
		"a log":                  {CheckLog(LogInput{Summary: "ok"}), nil},
		"a log without summary":  {CheckLog(LogInput{Summary: " "}), []string{"validation_failed", "summary/required"}},
		"a log too long everywhere": {CheckLog(LogInput{Summary: strings.Repeat("x", 4001), Outcome: strings.Repeat("x", 201), NextStep: strings.Repeat("x", 2001)}),
			[]string{"validation_failed", "summary/too_long", "outcome/too_long", "next_step/too_long"}},
		"an idempotency key":     {CheckIdempotencyKey(strings.Repeat("k", 200)), nil},
		"a long idempotency key": {CheckIdempotencyKey(strings.Repeat("k", 201)), []string{"validation_failed", "Idempotency-Key/too_long"}},
	} {
		if got := problems(c.err); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", name, got, c.want)
		}
	}
}

func TestRefusalError(t *testing.T) {
	for code, want := range map[string]struct {
		kind  apperr.Kind
		probs []string
	}{
		visit.CodeInvalid:           {apperr.KindRule, []string{"validation_failed", "f/invalid"}},
		visit.CodeInThePast:         {apperr.KindRule, []string{"validation_failed", "f/in_the_past"}},
		visit.CodeNonWorkingDay:     {apperr.KindRule, []string{"validation_failed", "f/non_working_day"}},
		visit.CodeEndsAfterDay:      {apperr.KindRule, []string{"validation_failed", "f/ends_after_day"}},
		visit.CodeOverrideForbidden: {apperr.KindForbidden, []string{"forbidden"}},
		visit.CodeDayTaken:          {apperr.KindConflict, []string{"day_taken"}},
		visit.CodeDayFree:           {apperr.KindConflict, []string{"day_free"}},
		visit.CodeVisitStarted:      {apperr.KindRule, []string{"visit_started"}},
		"":                          {apperr.KindInternal, nil},
	} {
		err := RefusalError(&visit.Refusal{Code: code, Field: "f", Message: "m"})
		e := apperr.From(err)
		if e.Kind != want.kind || (want.probs != nil && !slices.Equal(problems(err), want.probs)) {
			t.Errorf("%q: %v %v", code, e.Kind, problems(err))
		}
	}
}
