package policy_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/workflows/calendar"
	"github.com/closeloop/closeloop/workflows/policy"
)

func known(name string) bool { return name == "cn-mainland" }

func TestEveryDefaultIsValidAndRoundTrips(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range policy.Catalogue() {
		if seen[d.Name] {
			t.Fatalf("%s defined twice", d.Name)
		}
		seen[d.Name] = true
		if errs := policy.Validate(d, d.Default, known); len(errs) > 0 {
			t.Errorf("%s default invalid: %+v", d.Name, errs)
		}
		if d.Title == "" || d.Effect == "" || d.Workflow == "" {
			t.Errorf("%s lacks words for analysts", d.Name)
		}
		back, err := policy.Parse(d.Default.MustJSON())
		if err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		if !reflect.DeepEqual(back, d.Default) {
			t.Errorf("%s: round trip %s != %+v", d.Name, d.Default.MustJSON(), back)
		}
	}
	for _, k := range policy.Kinds() {
		if _, ok := policy.Lookup(k.Deadline); !ok && (k.Deadline != "" || !k.WithoutCustomer) {
			// Only a kind its workflow opens with a due time of its own (a
			// notice's deadline) has no deadline policy.
			t.Errorf("kind %s: unknown deadline policy %s", k.Name, k.Deadline)
		}
		if e, ok := policy.Lookup(k.Escalation); k.Escalation != "" && (!ok || e.Shape != policy.ShapeLadder) {
			t.Errorf("kind %s: escalation %s is not a ladder", k.Name, k.Escalation)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{"90m": 90 * time.Minute, "8h": 8 * time.Hour, "1h30m": 90 * time.Minute, "3d": 72 * time.Hour, "1d4h": 28 * time.Hour, "0m": 0}
	for s, want := range good {
		d, err := policy.ParseDuration(s)
		if err != nil || d.D() != want {
			t.Errorf("%q: %v %v", s, d, err)
		}
		if back, _ := policy.ParseDuration(d.String()); back != d {
			t.Errorf("%q: String %q does not parse back", s, d.String())
		}
	}
	for _, s := range []string{"", "8", "h", "8s", "1.5h", "-1h", "1h1d", "2h3h", "1234567h", "8 h"} {
		if _, err := policy.ParseDuration(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestParseIsStrict(t *testing.T) {
	for name, raw := range map[string]string{
		"unknown field":      `{"timer":{"duration":"4h","clock":"business","colour":"red"}}`,
		"unknown top field":  `{"timer":{"duration":"4h","clock":"business"},"x":1}`,
		"days in business":   `{"timer":{"duration":"2d","clock":"business"}}`,
		"days in ladder":     `{"ladder":{"clock":"business","steps":[{"after":"1d","action":"remind"}]}}`,
		"bad duration":       `{"timer":{"duration":"4 hours","clock":"calendar"}}`,
		"number duration":    `{"timer":{"duration":14400,"clock":"calendar"}}`,
		"trailing":           `{"timer":{"duration":"4h","clock":"calendar"}} {}`,
		"bad step field":     `{"ladder":{"clock":"calendar","steps":[{"after":"1h","action":"remind","x":1}]}}`,
		"table entry fields": `{"table":{"A":{"duration":"4h","clock":"calendar","y":2}}}`,
	} {
		if _, err := policy.Parse([]byte(raw)); err == nil {
			t.Errorf("%s: accepted %s", name, raw)
		}
	}
	v, err := policy.Parse([]byte(`{"timer":{"duration":"2d","clock":"calendar"}}`))
	if err != nil || v.Timer.Duration.D() != 48*time.Hour {
		t.Fatalf("calendar days: %+v %v", v, err)
	}
	if got := string(policy.Value{Timer: &policy.Timer{Duration: policy.Duration(48 * time.Hour), Clock: policy.ClockBusiness}}.MustJSON()); !strings.Contains(got, `"48h"`) {
		t.Fatalf("business durations are written in hours: %s", got)
	}
}

func fields(errs []policy.FieldError) string {
	var b []string
	for _, e := range errs {
		b = append(b, e.Field+":"+e.Code)
	}
	return strings.Join(b, " ")
}

func TestValidate(t *testing.T) {
	sla, _ := policy.Lookup(policy.LeadFirstContactSLA)
	ladder, _ := policy.Lookup(policy.LeadEscalation)
	care, _ := policy.Lookup(policy.CareCadence)
	h := func(n int) policy.Duration { return policy.Duration(time.Duration(n) * time.Hour) }
	cases := []struct {
		name string
		def  policy.Definition
		v    policy.Value
		want string
	}{
		{"too short", sla, policy.Value{Timer: &policy.Timer{Duration: policy.Duration(5 * time.Minute), Clock: "business"}}, "timer.duration:out_of_range"},
		{"too long", sla, policy.Value{Timer: &policy.Timer{Duration: h(24 * 31), Clock: "calendar"}}, "timer.duration:out_of_range"},
		{"no clock", sla, policy.Value{Timer: &policy.Timer{Duration: h(4)}}, "timer.clock:required"},
		{"bad clock", sla, policy.Value{Timer: &policy.Timer{Duration: h(4), Clock: "lunar"}}, "timer.clock:invalid"},
		{"unknown calendar", sla, policy.Value{Timer: &policy.Timer{Duration: h(4), Clock: "business", Calendar: "mars"}}, "timer.calendar:unknown"},
		{"calendar on elapsed", sla, policy.Value{Timer: &policy.Timer{Duration: h(4), Clock: "calendar", Calendar: "cn-mainland"}}, "timer.calendar:invalid"},
		{"wrong shape", sla, policy.Value{Ladder: &policy.Ladder{}}, "timer:wrong_shape"},
		{"two shapes", sla, policy.Value{Timer: &policy.Timer{Duration: h(4), Clock: "business"}, Ladder: &policy.Ladder{}}, "timer:wrong_shape"},
		{"empty", sla, policy.Value{}, "timer:wrong_shape"},
		{"not increasing", ladder, policy.Value{Ladder: &policy.Ladder{Clock: "business", Steps: []policy.Step{{After: h(4), Action: "remind"}, {After: h(4), Action: "reassign"}}}}, "ladder.steps[1].after:not_increasing"},
		{"decreasing", ladder, policy.Value{Ladder: &policy.Ladder{Clock: "business", Steps: []policy.Step{{After: h(4), Action: "remind"}, {After: h(2), Action: "reassign"}}}}, "ladder.steps[1].after:not_increasing"},
		{"bad action", ladder, policy.Value{Ladder: &policy.Ladder{Clock: "business", Steps: []policy.Step{{After: 0, Action: "offer"}}}}, "ladder.steps[0].action:not_allowed"},
		{"no steps", ladder, policy.Value{Ladder: &policy.Ladder{Clock: "business"}}, "ladder.steps:required"},
		{"missing key", care, policy.Value{Table: map[string]policy.Timer{"A": {Duration: h(24 * 30), Clock: "calendar"}, "B": {Duration: h(24 * 30), Clock: "calendar"}}}, "table.C:required"},
		{"unknown key", care, policy.Value{Table: map[string]policy.Timer{"A": {Duration: h(24 * 30), Clock: "calendar"}, "B": {Duration: h(24 * 30), Clock: "calendar"}, "C": {Duration: h(24 * 30), Clock: "calendar"}, "D": {Duration: h(24), Clock: "calendar"}}}, "table.D:unknown"},
		{"entry out of range", care, policy.Value{Table: map[string]policy.Timer{"A": {Duration: h(1), Clock: "calendar"}, "B": {Duration: h(24 * 30), Clock: "calendar"}, "C": {Duration: h(24 * 30), Clock: "calendar"}}}, "table.A.duration:out_of_range"},
	}
	for _, c := range cases {
		if got := fields(policy.Validate(c.def, c.v, known)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
	tooMany := policy.Ladder{Clock: "calendar"}
	for i := range 9 {
		tooMany.Steps = append(tooMany.Steps, policy.Step{After: h(i), Action: "remind"})
	}
	if got := fields(policy.Validate(ladder, policy.Value{Ladder: &tooMany}, known)); got != "ladder.steps:too_many" {
		t.Errorf("too many steps: %q", got)
	}
}

func TestDiff(t *testing.T) {
	ladder, _ := policy.Lookup(policy.LeadEscalation)
	b := policy.Value{Ladder: &policy.Ladder{Clock: "business", Steps: []policy.Step{
		{After: 0, Action: "remind"}, {After: policy.Duration(2 * time.Hour), Action: "escalate_manager"},
	}}}
	got := policy.Diff(ladder.Default, b)
	want := []policy.Change{
		{Field: "ladder.steps[01].after", From: "4h", To: "2h"},
		{Field: "ladder.steps[02].action", From: "reassign"},
		{Field: "ladder.steps[02].after", From: "16h"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("diff %+v", got)
	}
	if d := policy.Diff(b, b); len(d) != 0 {
		t.Fatalf("self diff %+v", d)
	}
}

func TestDeadlines(t *testing.T) {
	sh, err := policy.Location("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(calendar.China2026(sh))
	cal, err := policy.CalendarFromJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	// Wednesday 30 September 2026, 16:00: the National Day holiday runs 1–7
	// October and Saturday 10 October is a make-up working day.
	anchor := time.Date(2026, 9, 30, 16, 0, 0, 0, sh)
	biz := policy.Timer{Duration: policy.Duration(4 * time.Hour), Clock: policy.ClockBusiness}
	due, err := biz.Due(anchor, cal)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 10, 8, 11, 0, 0, 0, sh); !due.Equal(want) {
		t.Fatalf("business due %v, want %v", due, want)
	}
	el := policy.Timer{Duration: policy.Duration(4 * time.Hour), Clock: policy.ClockCalendar}
	if due, _ := el.Due(anchor, nil); !due.Equal(anchor.Add(4 * time.Hour)) {
		t.Fatalf("elapsed due %v", due)
	}
	if _, err := biz.Due(anchor, nil); err == nil {
		t.Fatal("business time without a calendar")
	}
	l := policy.Ladder{Clock: policy.ClockBusiness, Steps: []policy.Step{{After: 0, Action: "remind"}, {After: policy.Duration(4 * time.Hour), Action: "escalate_manager"}}}
	n, _ := l.StepsReached(due, due.Add(time.Hour), cal)
	if n != 1 {
		t.Fatalf("steps reached %d", n)
	}
	n, _ = l.StepsReached(due, time.Date(2026, 10, 8, 16, 30, 0, 0, sh), cal) // 11:00–12:00 and 13:30–16:30
	if n != 2 {
		t.Fatalf("steps reached %d", n)
	}
}
