package domain_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/followup/internal/domain"
	"github.com/closeloop/closeloop/workflows/calendar"
)

var officeWeek = calendar.Weekdays(calendar.Range{Start: calendar.At(9, 0), End: calendar.At(17, 0)})

func input(mod func(*domain.CalendarInput)) domain.CalendarInput {
	in := domain.CalendarInput{TimeZone: "Europe/Berlin", Week: officeWeek, Reason: "office hours"}
	if mod != nil {
		mod(&in)
	}
	return in
}

func TestCheckCalendarInput(t *testing.T) {
	for _, c := range []struct {
		name, calendar string
		in             domain.CalendarInput
		want           string
	}{
		{"valid", "north-office", input(nil), ""},
		{"dots and underscores", "cn.mainland_2027", input(nil), ""},
		{"upper case", "North", input(nil), "name:invalid"},
		{"empty name", "", input(nil), "name:invalid,name:required"},
		{"leading dash", "-north", input(nil), "name:invalid"},
		{"101 characters", strings.Repeat("a", 101), input(nil), "name:invalid"},
		{"the reserved name", "assigned", input(nil), "name:reserved"},
		{"no reason", "north", input(func(in *domain.CalendarInput) { in.Reason = "  " }), "reason:required"},
		{"a long reason", "north", input(func(in *domain.CalendarInput) { in.Reason = strings.Repeat("x", 2001) }), "reason:too_long"},
		{"blank and repeated regions and teams", "north", input(func(in *domain.CalendarInput) {
			in.Regions, in.Teams = []string{"north", " ", "north"}, []string{strings.Repeat("t", 101)}
		}), "regions[1]:invalid,regions[2]:duplicate,teams[0]:invalid"},
		{"not a time zone", "north", input(func(in *domain.CalendarInput) { in.TimeZone = "Mars/Olympus" }), "time_zone:invalid"},
		{"Local is no time zone", "north", input(func(in *domain.CalendarInput) { in.TimeZone = "Local" }), "time_zone:invalid"},
		{"input and calendar problems together", "Bad", input(func(in *domain.CalendarInput) { in.TimeZone = "Mars/Olympus" }),
			"name:invalid,time_zone:invalid"},
	} {
		if got := fields(domain.CheckCalendarInput(c.calendar, c.in)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func book() domain.Calendars {
	return domain.Calendars{
		Current: map[string]domain.CalendarVersion{
			"standard": {Name: "standard", Version: 1, Spec: `{"name":"standard"}`},
			"berlin":   {Name: "berlin", Version: 3, Spec: `{"name":"berlin"}`},
		},
		Assignments: []domain.Assignment{
			{Scope: "default", Calendar: "standard"},
			{Scope: "region", Value: "north", Calendar: "berlin"},
			{Scope: "team", Value: "de", Calendar: "berlin"},
		},
	}
}

func assignments(c domain.Calendars) []string {
	var out []string
	for _, a := range c.Assignments {
		out = append(out, a.Scope+":"+a.Value+"="+a.Calendar)
	}
	slices.Sort(out)
	return out
}

func changed(a domain.AuditEntry) []string {
	var out []string
	for _, c := range a.Changes {
		out = append(out, c.Field+":"+c.From+">"+c.To)
	}
	slices.Sort(out)
	return out
}

func TestCalendarsPut(t *testing.T) {
	now := t0
	for _, c := range []struct {
		name        string
		calendar    string
		in          domain.CalendarInput
		wantErr     string
		wantFields  string
		version     int64
		action      string
		assignments []string
		changes     []string
	}{
		{"a new calendar for a free region", "paris", input(func(in *domain.CalendarInput) { in.Regions = []string{"west"} }), "", "", 1, "created",
			[]string{"default:=standard", "region:north=berlin", "region:west=paris", "team:de=berlin"},
			[]string{"assignment.region:west:>paris", "spec:>" + input(nil).Spec("paris").JSON()}},
		{"a region and a team of another calendar", "paris", input(func(in *domain.CalendarInput) { in.Regions, in.Teams = []string{"west", "north"}, []string{"de"} }),
			"calendar_assignment_conflict", "regions[1]:assigned_elsewhere,teams[0]:assigned_elsewhere", 0, "", nil, nil},
		{"the default cannot be taken away", "standard", input(nil), "calendar_assignment_conflict", "default:default_required", 0, "", nil, nil},
		{"the default moves", "berlin", input(func(in *domain.CalendarInput) { in.Regions, in.Default = []string{"north"}, true }), "", "", 4, "updated",
			[]string{"default:=berlin", "region:north=berlin"},
			[]string{"assignment.default::>berlin", "assignment.team:de:berlin>", "spec:{\"name\":\"berlin\"}>" + input(nil).Spec("berlin").JSON()}},
		{"the default stays", "standard", input(func(in *domain.CalendarInput) { in.Default = true }), "", "", 2, "updated",
			[]string{"default:=standard", "region:north=berlin", "team:de=berlin"},
			[]string{"spec:{\"name\":\"standard\"}>" + input(nil).Spec("standard").JSON()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := book()
			v, err := b.Put(c.calendar, c.in, "analyst-ali", now)
			if code(err) != c.wantErr || fields(err) != c.wantFields {
				t.Fatalf("error %v %q", err, fields(err))
			}
			if err != nil {
				if len(b.Audit) != 0 || !slices.Equal(assignments(b), assignments(book())) {
					t.Error("a refused change changed the book")
				}
				return
			}
			if v.Version != c.version || v.Name != c.calendar || v.Reason != "office hours" || v.CreatedBy != "analyst-ali" || b.Current[c.calendar] != v {
				t.Errorf("version %+v", v)
			}
			if got := assignments(b); !slices.Equal(got, c.assignments) {
				t.Errorf("assignments %v, want %v", got, c.assignments)
			}
			if len(b.Audit) != 1 || b.Audit[0].Action != c.action || b.Audit[0].Kind != "calendar" || b.Audit[0].Version != c.version {
				t.Fatalf("audit %+v", b.Audit)
			}
			if got := changed(b.Audit[0]); !slices.Equal(got, c.changes) {
				t.Errorf("changes %v, want %v", got, c.changes)
			}
		})
	}
}

func TestSameSpecChangesOnlyAssignments(t *testing.T) {
	b := book()
	spec := input(nil).Spec("berlin").JSON()
	v := b.Current["berlin"]
	v.Spec = spec
	b.Current["berlin"] = v
	if _, err := b.Put("berlin", input(func(in *domain.CalendarInput) { in.Regions, in.Teams = []string{"north"}, []string{"de"} }), "a", t0); err != nil {
		t.Fatal(err)
	}
	if len(b.Audit[0].Changes) != 0 {
		t.Errorf("changes %v", b.Audit[0].Changes)
	}
}

func TestAssignedAndCalendarSet(t *testing.T) {
	as := book().Assignments
	for _, c := range []struct{ team, territory, want string }{
		{"de", "south", "berlin"}, {"", "north", "berlin"}, {"fr", "west", "standard"}, {"", "", "standard"},
	} {
		if got := domain.Assigned(as, c.team, c.territory); got != c.want {
			t.Errorf("team %q territory %q: %q, want %q", c.team, c.territory, got, c.want)
		}
	}
	cur := map[string]domain.CalendarVersion{
		"standard": {Name: "standard", Version: 1, Spec: input(func(in *domain.CalendarInput) { in.TimeZone = "UTC" }).Spec("standard").JSON()},
		"berlin":   {Name: "berlin", Version: 3, Spec: input(nil).Spec("berlin").JSON()},
	}
	set, err := domain.NewCalendarSet(cur, as)
	if err != nil {
		t.Fatal(err)
	}
	if cal := set.For("", "de", ""); cal == nil || cal.Location().String() != "Europe/Berlin" {
		t.Errorf("team de: %v", cal)
	}
	if cal := set.For("", "fr", "west"); cal == nil || cal.Location().String() != "UTC" {
		t.Errorf("the default: %v", cal)
	}
	if cal := set.For("berlin", "fr", "west"); cal == nil || cal.Location().String() != "Europe/Berlin" {
		t.Errorf("named: %v", cal)
	}
	if set.For("gone", "", "") != nil {
		t.Error("a calendar that does not exist was found")
	}
	cur["broken"] = domain.CalendarVersion{Name: "broken", Spec: "{"}
	if _, err := domain.NewCalendarSet(cur, as); err == nil || !strings.Contains(err.Error(), "calendar broken") {
		t.Errorf("a broken spec: %v", err)
	}
}

func TestBuildCalendarCountsBusinessTime(t *testing.T) {
	cal, err := domain.BuildCalendar(input(nil).Spec("berlin"))
	if err != nil {
		t.Fatal(err)
	}
	berlin := cal.Location()
	from := time.Date(2026, 3, 6, 16, 0, 0, 0, berlin) // Friday
	if got := cal.Add(from, 2*time.Hour); !got.Equal(time.Date(2026, 3, 9, 10, 0, 0, 0, berlin)) {
		t.Errorf("Friday 16:00 + 2h = %s", got)
	}
}
